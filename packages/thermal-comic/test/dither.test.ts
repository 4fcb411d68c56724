import { describe, expect, it } from "vitest";
import type { GreyBitmap } from "../src/index.js";
import { bayerMatrix, DITHER_METHODS, type DitherMethod, dither, isBlack } from "../src/index.js";

const flat = (width: number, height: number, value: number): GreyBitmap => ({
  width,
  height,
  data: new Uint8Array(width * height).fill(value),
});

function blackFraction(bitmap: GreyBitmap, method: DitherMethod, extra = {}): number {
  const mono = dither(bitmap, { method, ...extra });
  let black = 0;
  for (let y = 0; y < mono.height; y++)
    for (let x = 0; x < mono.width; x++) if (isBlack(mono, x, y)) black++;
  return black / (mono.width * mono.height);
}

describe("dither", () => {
  it("packs rows most significant bit first, 1 = black, with zero padding bits", () => {
    const data = new Uint8Array([
      0, 255, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255,
    ]);
    const mono = dither({ width: 10, height: 2, data }, { method: "threshold" });
    expect(mono.bytesPerRow).toBe(2);
    // Row 0: 0 255 0 255 0 255 0 255 | 0 0  → 1010 1010 | 11 000000
    // Row 1: 255 255 0 0 255 255 0 0 | 255 255 → 0011 0011 | 00 000000
    expect([...mono.data]).toEqual([0b10101010, 0b11000000, 0b00110011, 0b00000000]);
  });

  it("threshold: below the threshold is black", () => {
    const data = new Uint8Array([99, 100, 101, 200]);
    expect(blackFraction({ width: 4, height: 1, data }, "threshold", { threshold: 101 })).toBe(0.5);
  });

  it("keeps black black and white white with every method", () => {
    for (const method of DITHER_METHODS) {
      expect(blackFraction(flat(33, 17, 0), method), method).toBe(1);
      expect(blackFraction(flat(33, 17, 255), method), method).toBe(0);
    }
  });

  it("Bayer matrices are permutations of 0 … n²−1 in the classic order", () => {
    expect(bayerMatrix(2)).toEqual([0, 2, 3, 1]);
    expect(bayerMatrix(4)).toEqual([0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5]);
    expect([...bayerMatrix(8)].sort((a, b) => a - b)).toEqual([...Array(64).keys()]);
  });

  it("ordered dither of a flat grey blackens exactly the matrix cells below it", () => {
    // Grey 64 on a 4×4 matrix: cells whose threshold (i + 0.5)·16 exceeds 64 are black: i ≥ 4, 12 of 16.
    expect(blackFraction(flat(64, 64, 64), "bayer4")).toBe(12 / 16);
    expect(blackFraction(flat(64, 64, 128), "bayer2")).toBe(2 / 4);
    expect(blackFraction(flat(64, 64, 192), "bayer8")).toBe(16 / 64);
  });

  it("error diffusion keeps the mean grey of flat areas", () => {
    for (const method of ["floyd-steinberg", "atkinson", "stucki", "sierra"] as const)
      for (const grey of [32, 96, 160, 224]) {
        const expected = 1 - grey / 255;
        // Atkinson drops 1/4 of the error on purpose: deep shadows and bright highlights clip
        // (grey 32 comes out solid black: each dot gets at most 6 × 32/8 = 24 back, never reaching 128).
        const tolerance = method === "atkinson" ? 0.13 : 0.02;
        expect(
          Math.abs(blackFraction(flat(96, 96, grey), method) - expected),
          `${method} ${grey}`,
        ).toBeLessThan(tolerance);
      }
  });

  it("scans serpentine by default, which changes the pattern; the same input gives the same bits", () => {
    const gradient: GreyBitmap = {
      width: 64,
      height: 32,
      data: new Uint8Array(64 * 32).map((_, i) => (i % 64) * 4),
    };
    const a = dither(gradient);
    const b = dither(gradient);
    const plain = dither(gradient, { serpentine: false });
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    expect(Buffer.from(a.data).equals(Buffer.from(plain.data))).toBe(false);
  });

  it("gamma above 1 and more contrast darken mid-tones", () => {
    const mid = flat(64, 64, 150);
    const base = blackFraction(mid, "floyd-steinberg");
    expect(blackFraction(mid, "floyd-steinberg", { gamma: 1.8 })).toBeGreaterThan(base + 0.1);
    expect(blackFraction(flat(64, 64, 100), "floyd-steinberg", { contrast: 0.5 })).toBeGreaterThan(
      blackFraction(flat(64, 64, 100), "floyd-steinberg") + 0.1,
    );
  });

  it("rejects unknown methods and bad options", () => {
    const bad: Array<[object, string]> = [
      [{ method: "halftone" }, "unknown dither method"],
      [{ threshold: 0 }, "threshold"],
      [{ gamma: 0 }, "gamma"],
      [{ contrast: 1 }, "contrast"],
    ];
    for (const [options, text] of bad)
      expect(() => dither(flat(4, 4, 0), options)).toThrow(
        expect.objectContaining({
          code: "INVALID_ARGUMENT",
          message: expect.stringContaining(text),
        }),
      );
    expect(() => dither({ width: 4, height: 4, data: new Uint8Array(3) })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});
