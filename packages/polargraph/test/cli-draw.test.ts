import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli/run.js";
import { parseSvg } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "polargraph-draw-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const image = join(dir, "gradient.png");

beforeAll(async () => {
  // 64 × 64: dark on the left, light on the right
  const raw = Buffer.alloc(64 * 64);
  for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) raw[y * 64 + x] = x * 4;
  await sharp(raw, { raw: { width: 64, height: 64, channels: 1 } })
    .png()
    .toFile(image);
});

async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe("polargraph draw", () => {
  it("writes the same SVG for the same seed, inside the page, and reports the paths", async () => {
    const a = join(dir, "a.svg");
    const b = join(dir, "b.svg");
    const args = ["--style", "squiggle", "--width", "100", "--columns", "20"];
    const r = await cli("draw", image, ...args, "--seed", "5", "--out", a);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/style\s+squiggle/);
    expect(r.stdout).toMatch(/pen up\s+[\d.]+ → [\d.]+ m/);
    await cli("draw", image, ...args, "--seed", "5", "--out", b);
    expect(readFileSync(b, "utf8")).toBe(readFileSync(a, "utf8"));
    const drawing = parseSvg(readFileSync(a, "utf8"));
    const points = drawing.strokes.flat();
    expect(points.length).toBeGreaterThan(100);
    // the A3 example page less its 10 mm margins; a 100 mm picture centred: x 98.5–198.5
    for (const p of points) {
      expect(p.x).toBeGreaterThanOrEqual(98.5 - 1e-6);
      expect(p.x).toBeLessThanOrEqual(198.5 + 1e-6);
    }
    const c = join(dir, "c.svg");
    await cli("draw", image, ...args, "--seed", "6", "--out", c);
    expect(readFileSync(c, "utf8")).not.toBe(readFileSync(a, "utf8"));
  });

  it("writes G-code and a PNG for each style", async () => {
    for (const style of ["square-wave", "spiral", "sine", "crosshatch"]) {
      const g = join(dir, `${style}.gcode`);
      const r = await cli("draw", image, "--style", style, "--width", "80", "--out", g);
      expect(r.code).toBe(0);
      expect(readFileSync(g, "utf8")).toMatch(/^G1 /m);
    }
    const png = join(dir, "p.png");
    expect((await cli("draw", image, "--width", "80", "--columns", "16", "--out", png)).code).toBe(
      0,
    );
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe("png");
    expect(meta.width).toBeGreaterThan(0);
  });

  it("exits 1 or 2 with a clear message on bad input", async () => {
    const out = join(dir, "x.svg");
    const cases: [string[], number, RegExp][] = [
      [["draw", "--out", out], 1, /needs an image/],
      [["draw", image], 1, /needs --out/],
      [["draw", image, "--out", join(dir, "x.pdf")], 1, /\.svg, \.gcode or \.png/],
      [["draw", image, "--style", "mosaic", "--out", out], 1, /--style must be one of/],
      [["draw", join(dir, "missing.png"), "--out", out], 1, /INVALID_IMAGE/],
      [["draw", image, "--columns", "65", "--out", out], 1, /more than the image/],
      [["draw", image, "--width=-5", "--out", out], 1, /width must be a positive/],
      [["draw", image, "--width", "900", "--out", out], 1, /leaves the page/],
      [["draw", image, "--seed", "abc", "--out", out], 1, /--seed must be a number/],
    ];
    for (const [argv, code, message] of cases) {
      const r = await cli(...argv);
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(message);
    }
  });
});
