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

  it("draws stipples, a single line and flow-field lines with their own options", async () => {
    const base = ["--width", "80", "--columns", "32", "--seed", "3"];
    const stipple = join(dir, "stipple.svg");
    let r = await cli(
      "draw",
      image,
      ...base,
      "--style",
      "stipple",
      "--points",
      "300",
      "--iterations",
      "10",
      "--dot",
      "tap",
      "--out",
      stipple,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/style\s+stipple/);
    expect(r.stderr).toMatch(/relax 100%/);
    // 300 taps, each a zero-length line (merging may join a few that touch, none here)
    const taps = parseSvg(readFileSync(stipple, "utf8")).strokes;
    expect(taps).toHaveLength(300);
    for (const t of taps) expect(t.every((q) => q.x === t[0]?.x && q.y === t[0]?.y)).toBe(true);

    const single = join(dir, "single.svg");
    r = await cli(
      "draw",
      image,
      ...base,
      "--style",
      "single-line",
      "--points",
      "400",
      "--out",
      single,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/lines\s+1 → 1/);
    const line = parseSvg(readFileSync(single, "utf8")).strokes;
    expect(line).toHaveLength(1);
    expect(line[0]).toHaveLength(400);

    const flow = join(dir, "flow.svg");
    r = await cli(
      "draw",
      image,
      ...base,
      "--style",
      "flow-field",
      "--spacing",
      "1.5",
      "--field",
      "contours",
      "--out",
      flow,
    );
    expect(r.code).toBe(0);
    const strokes = parseSvg(readFileSync(flow, "utf8")).strokes;
    expect(strokes.length).toBeGreaterThan(10);
    // the gradient image is darkest on the left: more line in the left half of the 80 mm picture
    const mid = 148.5;
    let left = 0;
    let right = 0;
    for (const l of strokes)
      for (let i = 1; i < l.length; i++) {
        const a = l[i - 1] as { x: number; y: number };
        const b = l[i] as { x: number; y: number };
        const d = Math.hypot(b.x - a.x, b.y - a.y);
        if (a.x < mid) left += d;
        else right += d;
      }
    expect(left).toBeGreaterThan(1.5 * right);
  });

  it("exits 1 or 2 with a clear message on bad input", async () => {
    const out = join(dir, "x.svg");
    const cases: [string[], number, RegExp][] = [
      [["draw", "--out", out], 1, /needs an image/],
      [["draw", image], 1, /needs --out/],
      [["draw", image, "--out", join(dir, "x.pdf")], 1, /\.svg, \.gcode or \.png/],
      [
        ["draw", image, "--style", "mosaic", "--out", out],
        1,
        /--style must be one of .*stipple, single-line, flow-field/,
      ],
      [["draw", join(dir, "missing.png"), "--out", out], 1, /INVALID_IMAGE/],
      [["draw", image, "--columns", "65", "--out", out], 1, /more than the image/],
      [["draw", image, "--width=-5", "--out", out], 1, /width must be a positive/],
      [["draw", image, "--width", "900", "--out", out], 1, /leaves the page/],
      [["draw", image, "--seed", "abc", "--out", out], 1, /--seed must be a number/],
      [
        ["draw", image, "--style", "stipple", "--dot", "star", "--out", out],
        1,
        /dot must be circle or tap/,
      ],
      [["draw", image, "--style", "stipple", "--points", "0", "--out", out], 1, /points must be/],
      [
        ["draw", image, "--style", "single-line", "--points", "x", "--out", out],
        1,
        /--points must be a number/,
      ],
      [["draw", image, "--style", "flow-field", "--spacing", "0", "--out", out], 1, /minSpacing/],
      [
        ["draw", image, "--style", "flow-field", "--field", "waves", "--out", out],
        1,
        /field must be/,
      ],
    ];
    for (const [argv, code, message] of cases) {
      const r = await cli(...argv);
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(message);
    }
  });
});
