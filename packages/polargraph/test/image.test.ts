import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { greyGridFromPixels, isPolargraphError, loadImageGrid } from "../src/index.js";

/** A 4 × 2 left-black / right-white picture: columns 0–1 are 0, columns 2–3 are 255. */
const halves = new Uint8Array([0, 0, 255, 255, 0, 0, 255, 255]);

async function rejection(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}
function thrown(f: () => unknown) {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("greyGridFromPixels", () => {
  it("averages the covered pixels, fractional pixels by their fraction", () => {
    expect(Array.from(greyGridFromPixels(halves, 4, 2, { columns: 2, rows: 1 }).darkness)).toEqual([
      1, 0,
    ]);
    // 3 columns over 4 pixels: cell 1 spans x 4/3–8/3: 2/3 of pixel 1 (black) and 2/3 of pixel 2 (white) → darkness 0.5
    const g = greyGridFromPixels(halves, 4, 2, { columns: 3, rows: 2 });
    expect(g.darkness[0]).toBeCloseTo(1, 12);
    expect(g.darkness[1]).toBeCloseTo(0.5, 12);
    expect(g.darkness[2]).toBeCloseTo(0, 12);
  });

  it("keeps the aspect ratio for rows and defaults to at most 100 columns", () => {
    const g = greyGridFromPixels(new Uint8Array(200 * 50).fill(128), 200, 50);
    expect(g.columns).toBe(100);
    expect(g.rows).toBe(25);
    expect(g.darkness[0]).toBeCloseTo(1 - 128 / 255, 12);
    const narrow = greyGridFromPixels(new Uint8Array(30 * 60), 30, 60);
    expect([narrow.columns, narrow.rows]).toEqual([30, 60]);
  });

  it("applies levels, then gamma, then contrast, then invert", () => {
    const mid = new Uint8Array([51]); // brightness 0.2
    const one = (o: object) =>
      greyGridFromPixels(mid, 1, 1, { columns: 1, rows: 1, ...o }).darkness[0] as number;
    expect(one({})).toBeCloseTo(0.8, 12);
    // levels 0.1–0.5: (0.2 − 0.1) / 0.4 = 0.25 brightness
    expect(one({ levels: { black: 0.1, white: 0.5 } })).toBeCloseTo(0.75, 12);
    expect(one({ levels: { black: 0.3 } })).toBe(1);
    // gamma 2: 0.2^(1/2) = 0.4472 brightness
    expect(one({ gamma: 2 })).toBeCloseTo(1 - Math.sqrt(0.2), 12);
    // contrast 2: (0.2 − 0.5) × 2 + 0.5 = −0.1 → clamped to 0 brightness
    expect(one({ contrast: 2 })).toBe(1);
    expect(one({ contrast: 0.5 })).toBeCloseTo(1 - 0.35, 12);
    expect(one({ contrast: 0 })).toBeCloseTo(0.5, 12);
    expect(one({ invert: true })).toBeCloseTo(0.2, 12);
    // levels before gamma: 0.25^(1/2) = 0.5
    expect(one({ levels: { black: 0.1, white: 0.5 }, gamma: 2 })).toBeCloseTo(0.5, 12);
  });

  it("refuses more cells than pixels, zero-size images and bad options", () => {
    const cases: [() => unknown, string, RegExp][] = [
      [() => greyGridFromPixels(halves, 4, 2, { columns: 5 }), "INVALID_ARGUMENT", /more than/],
      [
        () => greyGridFromPixels(halves, 4, 2, { columns: 2, rows: 3 }),
        "INVALID_ARGUMENT",
        /2 × 3 cells/,
      ],
      [() => greyGridFromPixels(new Uint8Array(0), 0, 0), "INVALID_IMAGE", /no pixels/],
      [() => greyGridFromPixels(halves, 3, 2), "INVALID_IMAGE", /expected 6/],
      [() => greyGridFromPixels(halves, 4, 2, { columns: 0 }), "INVALID_ARGUMENT", /columns/],
      [() => greyGridFromPixels(halves, 4, 2, { columns: -2 }), "INVALID_ARGUMENT", /columns/],
      [() => greyGridFromPixels(halves, 4, 2, { rows: 1.5 }), "INVALID_ARGUMENT", /rows/],
      [() => greyGridFromPixels(halves, 4, 2, { gamma: 0 }), "INVALID_ARGUMENT", /gamma/],
      [() => greyGridFromPixels(halves, 4, 2, { gamma: Number.NaN }), "INVALID_ARGUMENT", /gamma/],
      [() => greyGridFromPixels(halves, 4, 2, { contrast: -1 }), "INVALID_ARGUMENT", /contrast/],
      [
        () => greyGridFromPixels(halves, 4, 2, { levels: { black: 0.6, white: 0.5 } }),
        "INVALID_ARGUMENT",
        /levels/,
      ],
      [
        () => greyGridFromPixels(halves, 4, 2, { levels: { white: 2 } }),
        "INVALID_ARGUMENT",
        /levels/,
      ],
    ];
    for (const [f, code, message] of cases) {
      const e = thrown(f);
      expect(isPolargraphError(e)).toBe(true);
      expect((e as { code: string }).code).toBe(code);
      expect((e as Error).message).toMatch(message);
    }
  });
});

describe("loadImageGrid (sharp)", () => {
  // a 40 × 20 RGBA picture: left half black, right half white, bottom-right quarter transparent
  async function picture(format: "png" | "jpeg"): Promise<Buffer> {
    const raw = Buffer.alloc(40 * 20 * 4);
    for (let y = 0; y < 20; y++)
      for (let x = 0; x < 40; x++) {
        const i = (y * 40 + x) * 4;
        const v = x < 20 ? 0 : 255;
        raw[i] = raw[i + 1] = raw[i + 2] = v;
        raw[i + 3] = x >= 20 && y >= 10 ? 0 : 255;
      }
    const s = sharp(raw, { raw: { width: 40, height: 20, channels: 4 } });
    return format === "png"
      ? s.png().toBuffer()
      : s.flatten({ background: "#ffffff" }).jpeg({ quality: 95 }).toBuffer();
  }

  it("reads a PNG from a file into a grid, transparency as white paper", async () => {
    const dir = await mkdtemp(join(tmpdir(), "polar-img-"));
    const file = join(dir, "halves.png");
    await writeFile(file, await picture("png"));
    const g = await loadImageGrid(file, { columns: 4 });
    expect([g.columns, g.rows]).toEqual([4, 2]);
    expect(Array.from(g.darkness)).toEqual([1, 1, 0, 0, 1, 1, 0, 0]);
  });

  it("reads a JPEG from bytes (lossy: within 3% of the original tones)", async () => {
    const g = await loadImageGrid(await picture("jpeg"), { columns: 2, rows: 1 });
    expect(g.darkness[0]).toBeGreaterThan(0.97);
    expect(g.darkness[1]).toBeLessThan(0.03);
  });

  it("applies the EXIF orientation", async () => {
    // stored 40 × 20, orientation 6 (rotate 90° clockwise): shown 20 × 40, black on top
    const bytes = await sharp(await picture("png"))
      .flatten({ background: "#ffffff" })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const g = await loadImageGrid(bytes, { columns: 1, rows: 2 });
    expect(g.darkness[0]).toBeGreaterThan(0.97);
    expect(g.darkness[1]).toBeLessThan(0.03);
  });

  it("gives INVALID_IMAGE for a missing, empty, undecodable or zero-width image", async () => {
    const dir = await mkdtemp(join(tmpdir(), "polar-img-"));
    const empty = join(dir, "empty.png");
    await writeFile(empty, "");
    const garbage = join(dir, "garbage.png");
    await writeFile(garbage, "this is not a picture");
    // a PNG signature and an IHDR that says 0 × 10 pixels
    const zeroWidth = Buffer.from(
      "89504e470d0a1a0a0000000d49484452000000000000000a0806000000",
      "hex",
    );
    const truncated = (await picture("png")).subarray(0, 60);
    const cases: [string | Uint8Array, RegExp][] = [
      [join(dir, "missing.png"), /cannot read image/],
      [empty, /empty/],
      [garbage, /not a readable image/],
      [zeroWidth, /not a readable image/],
      [truncated, /not a readable image/],
    ];
    for (const [input, message] of cases) {
      const e = await rejection(loadImageGrid(input));
      expect(isPolargraphError(e)).toBe(true);
      expect((e as { code: string }).code).toBe("INVALID_IMAGE");
      expect((e as Error).message).toMatch(message);
    }
    const missing = await rejection(loadImageGrid(join(dir, "missing.png")));
    expect(((missing as Error).cause as NodeJS.ErrnoException).code).toBe("ENOENT");
  });

  it("gives INVALID_ARGUMENT for more cells than pixels and ABORTED on the signal", async () => {
    const e = await rejection(loadImageGrid(await picture("png"), { columns: 41 }));
    expect((e as { code: string }).code).toBe("INVALID_ARGUMENT");
    expect((e as Error).message).toMatch(/41 × 21 cells is more than the image's 40 × 20 pixels/);
    const a = await rejection(
      loadImageGrid(await picture("png"), { signal: AbortSignal.abort(new Error("stop")) }),
    );
    expect((a as { code: string }).code).toBe("ABORTED");
  });
});
