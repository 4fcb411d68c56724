import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bandHeights,
  decodeEscPos,
  encodeEscPos,
  type MonoBitmap,
  PRINTER_PROFILES,
  renderPaper,
} from "../src/index.js";

const fixtures = join(import.meta.dirname, "fixtures");

/** Reads a binary PBM (P4): rows MSB first, 1 = black — the same packing as a MonoBitmap. */
function readPbm(file: string): MonoBitmap {
  const bytes = readFileSync(join(fixtures, file));
  const header = bytes.subarray(0, 20).toString("latin1");
  const match = /^P4\s+(\d+)\s+(\d+)\s/.exec(header);
  if (!match) throw new Error("not a P4 PBM");
  const width = Number(match[1]);
  const height = Number(match[2]);
  const bytesPerRow = (width + 7) >> 3;
  return {
    width,
    height,
    bytesPerRow,
    data: new Uint8Array(bytes.subarray(match[0].length, match[0].length + bytesPerRow * height)),
  };
}

/** The picture's dots, 1 byte each, for comparing with decoded paper. */
function dotsOf(mono: MonoBitmap): Uint8Array {
  const dots = new Uint8Array(mono.width * mono.height);
  for (let y = 0; y < mono.height; y++)
    for (let x = 0; x < mono.width; x++)
      dots[y * mono.width + x] =
        (mono.data[y * mono.bytesPerRow + (x >> 3)] as number) & (0x80 >> (x & 7)) ? 1 : 0;
  return dots;
}

/** The top-left `width`×`height` dots of decoded paper. */
function region(
  paper: { width: number; dots: Uint8Array },
  width: number,
  height: number,
  top = 0,
): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    out.set(
      paper.dots.subarray((top + y) * paper.width, (top + y) * paper.width + width),
      y * width,
    );
  return out;
}

const pattern = readPbm("pattern-384x200.pbm");

describe("decodeEscPos on another encoder's output (golden files)", () => {
  it("renders receipt-printer-encoder's GS v 0 raster picture dot for dot, its text and its cut", () => {
    const paper = decodeEscPos(readFileSync(join(fixtures, "receipt-printer-encoder-raster.bin")), {
      width: 384,
    });
    expect(paper.unknown).toEqual([]);
    expect(region(paper, 384, 200)).toEqual(dotsOf(pattern));
    expect(paper.texts.map((t) => t.text)).toEqual(["tinkerbox"]);
    expect(paper.cuts).toHaveLength(1);
    expect(paper.texts[0]!.y).toBeGreaterThanOrEqual(200);
  });

  it("renders its ESC * 24-dot column picture dot for dot (the last stripe padded white)", () => {
    const paper = decodeEscPos(readFileSync(join(fixtures, "receipt-printer-encoder-column.bin")), {
      width: 384,
    });
    expect(paper.unknown).toEqual([]);
    expect(region(paper, 384, 200)).toEqual(dotsOf(pattern));
    // 200 rows are 9 stripes of 24: rows 200–215 are padding.
    expect(region(paper, 384, 16, 200).every((d) => d === 0)).toBe(true);
    expect(paper.texts.map((t) => t.text)).toEqual(["tinkerbox"]);
  });
});

describe("encodeEscPos", () => {
  it("writes the same GS v 0 block as receipt-printer-encoder for the same picture", () => {
    const peer = readFileSync(join(fixtures, "receipt-printer-encoder-raster.bin"));
    const ours = encodeEscPos(pattern, {
      profile: { ...PRINTER_PROFILES["58mm"]!, maxBandRows: 255 },
    });
    // Our one band: 1d 76 30 00 30 00 c8 00 + 48 × 200 bytes, found verbatim in the peer's stream.
    const band = Buffer.from(ours.subarray(2, 2 + 8 + 48 * 200));
    expect([...band.subarray(0, 8)]).toEqual([0x1d, 0x76, 0x30, 0x00, 48, 0, 200, 0]);
    expect(peer.indexOf(band)).toBeGreaterThan(0);
    // And both decode to the same dots.
    const a = decodeEscPos(ours, { width: 384 });
    const b = decodeEscPos(peer, { width: 384 });
    expect(region(a, 384, 200)).toEqual(region(b, 384, 200));
  });

  it("round-trips any picture bit-exactly in raster, column and graphics mode, in bands", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 300 }),
        fc.constantFrom("raster", "column", "graphics"),
        fc.constantFrom("58mm", "xprinter-58-clone", "adafruit-csn-a2"),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (width, height, imageMode, profile, seed) => {
          const bytesPerRow = (width + 7) >> 3;
          const data = new Uint8Array(bytesPerRow * height);
          let s = seed;
          for (let i = 0; i < data.length; i++) {
            s = (Math.imul(s, 1103515245) + 12345) >>> 0;
            data[i] = s >>> 24;
          }
          // Clear the padding bits of each row's last byte, as dither does.
          const mask = width % 8 === 0 ? 0xff : (0xff << (8 - (width % 8))) & 0xff;
          for (let y = 0; y < height; y++) data[y * bytesPerRow + bytesPerRow - 1]! &= mask;
          const picture = { width, height, bytesPerRow, data };
          const paper = decodeEscPos(encodeEscPos(picture, { profile, imageMode, feedLines: 0 }), {
            width: 384,
          });
          expect(paper.unknown).toEqual([]);
          expect(region(paper, width, height)).toEqual(dotsOf(picture));
        },
      ),
      { numRuns: 120 },
    );
  });

  it("never sends a band a quirky clone misprints, nor one over the profile's limit", () => {
    expect(bandHeights(300, 100, [48, 96])).toEqual([100, 100, 100]);
    expect(bandHeights(96, 100, [48, 96])).toEqual([95, 1]);
    const tall = { width: 8, height: 1000, bytesPerRow: 1, data: new Uint8Array(1000).fill(0xaa) };
    const bytes = encodeEscPos(tall, { profile: "xprinter-58-clone", feedLines: 0 });
    const heights: number[] = [];
    for (let i = 0; i < bytes.length - 8; i++)
      if (bytes[i] === 0x1d && bytes[i + 1] === 0x76 && bytes[i + 2] === 0x30) {
        const h = bytes[i + 6]! | (bytes[i + 7]! << 8);
        heights.push(h);
        i += 8 + h - 1;
      }
    expect(heights.reduce((a, b) => a + b, 0)).toBe(1000);
    for (const h of heights) {
      expect(h).toBeLessThanOrEqual(100);
      expect(h % 48).not.toBe(0);
    }
  });

  it("sends heat settings, caption, feed and cut as the profile says", () => {
    const tiny = { width: 8, height: 2, bytesPerRow: 1, data: new Uint8Array([0xff, 0x81]) };
    const adafruit = encodeEscPos(tiny, {
      profile: "adafruit-csn-a2",
      caption: "Café ¿sí?",
      feedLines: 2,
    });
    expect([...adafruit.subarray(0, 7)]).toEqual([0x1b, 0x40, 0x1b, 0x37, 11, 120, 40]);
    const paper = decodeEscPos(adafruit, { width: 384 });
    expect(paper.heat).toEqual([[11, 120, 40]]);
    expect(paper.texts.map((t) => t.text)).toEqual(["Café ¿sí?"]);
    expect(paper.cuts).toEqual([]); // no cutter
    const withCut = decodeEscPos(encodeEscPos(tiny, { profile: "80mm" }), { width: 576 });
    expect(withCut.cuts).toHaveLength(1);
    expect(withCut.cuts[0]).toBe(2 + 4 * 30); // picture, then 4 lines of 30 dots
    expect([
      ...encodeEscPos(tiny, { profile: "80mm", caption: "€", codePage: "wpc1252" }).subarray(
        -11,
        -7,
      ),
    ]).toEqual([0x1b, 0x74, 16, 0x80]);
  });

  it("refuses a picture wider than the printer, or crops it when asked", () => {
    const wide = { width: 400, height: 1, bytesPerRow: 50, data: new Uint8Array(50).fill(0xff) };
    expect(() => encodeEscPos(wide, { profile: "58mm" })).toThrow(
      expect.objectContaining({
        code: "INVALID_ARGUMENT",
        message: expect.stringContaining("400 dots wide"),
      }),
    );
    const paper = decodeEscPos(encodeEscPos(wide, { profile: "58mm", tooWide: "crop" }), {
      width: 384,
    });
    expect(paper.width).toBe(384);
    expect(region(paper, 384, 1).every((d) => d === 1)).toBe(true);
    expect(() => encodeEscPos(wide, { profile: "no-such" })).toThrow(
      expect.objectContaining({ message: expect.stringContaining("58mm") }),
    );
  });
});

describe("decodeEscPos on foreign streams", () => {
  it("skips and reports unknown commands without losing the picture", () => {
    const picture = {
      width: 16,
      height: 3,
      bytesPerRow: 2,
      data: new Uint8Array([0xff, 0x00, 0x0f, 0xf0, 0x81, 0x81]),
    };
    const ours = encodeEscPos(picture, { profile: "58mm", feedLines: 0 });
    const noisy = new Uint8Array([
      0x1b,
      0x5a,
      0x07,
      ...ours.subarray(0, 2),
      0x1d,
      0x99,
      ...ours.subarray(2),
      0x10,
      0x04,
      0x01,
    ]);
    const paper = decodeEscPos(noisy, { width: 384 });
    expect(region(paper, 16, 3)).toEqual(dotsOf(picture));
    expect(paper.unknown.map((u) => u.bytes)).toEqual(["1b 5a", "07", "1d 99"]);
    expect(paper.statusQueries).toEqual([1]);
  });
});

describe("renderPaper", () => {
  it("draws the decoded dots, text and cut into a PNG of the paper's size", async () => {
    const { loadImage, createCanvas } = await import("@napi-rs/canvas");
    const paper = decodeEscPos(readFileSync(join(fixtures, "receipt-printer-encoder-raster.bin")), {
      width: 384,
    });
    const png = renderPaper(paper);
    const image = await loadImage(png);
    expect([image.width, image.height]).toEqual([384, paper.height]);
    const ctx = createCanvas(image.width, image.height).getContext("2d");
    ctx.drawImage(image, 0, 0);
    const pixels = ctx.getImageData(0, 0, 384, 200).data;
    const dots = dotsOf(pattern);
    for (const i of [0, 1000, 20_000, 50_000, 76_799])
      expect(pixels[i * 4]).toBe(dots[i] ? 0 : 255);
    // The text line "tinkerbox" put ink below the picture.
    const text = ctx.getImageData(0, paper.texts[0]!.y, 200, 24).data;
    expect(text.some((v, i) => i % 4 === 0 && v < 128)).toBe(true);
  });
});
