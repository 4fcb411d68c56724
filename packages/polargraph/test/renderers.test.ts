import { describe, expect, it } from "vitest";
import {
  exampleMachine,
  type GreyGrid,
  isPolargraphError,
  type Polyline,
  placeGrid,
  renderCrosshatch,
  renderSineLines,
  renderSpiral,
  renderSquareWave,
  renderSquiggle,
  seededRandom,
} from "../src/index.js";

const m = exampleMachine; // drawable area: x 10–287, y 10–410 (page mm)

function grid(columns: number, rows: number, f: (c: number, r: number) => number): GreyGrid {
  const darkness = new Float64Array(columns * rows);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) darkness[r * columns + c] = f(c, r);
  return { columns, rows, darkness };
}
const random = seededRandom(42);
const noisy = grid(30, 40, () => random());
const renderers = {
  squareWave: renderSquareWave,
  squiggle: renderSquiggle,
  spiral: renderSpiral,
  sineLines: renderSineLines,
  crosshatch: renderCrosshatch,
} as const;

function allPoints(lines: Polyline[]) {
  return lines.flat();
}

describe("placeGrid", () => {
  it("fits the largest picture by default and centres it", () => {
    // 30 × 40 cells on a 277 × 400 mm area: the width limits (277 × 369.33)
    const p = placeGrid(m, noisy);
    expect(p.width).toBeCloseTo(277, 9);
    expect(p.height).toBeCloseTo(369.333, 2);
    expect(p.x).toBeCloseTo(10, 9);
    expect(p.y).toBeCloseTo(10 + (400 - 369.333) / 2, 2);
    expect(p.cellWidth).toBeCloseTo(277 / 30, 9);
  });
});

describe.each(Object.entries(renderers))("%s", (_name, render) => {
  it("is deterministic by seed", () => {
    const a = render(m, noisy, { seed: 7, width: 120 });
    const b = render(m, noisy, { seed: 7, width: 120 });
    expect(b).toEqual(a);
    expect(allPoints(a).length).toBeGreaterThan(100);
  });

  it("never leaves the page less its margins, nor its own rectangle", () => {
    for (const options of [
      {},
      { width: 100, origin: { x: 10, y: 10 } },
      { width: 100, origin: { x: 187, y: 276.66 } },
    ]) {
      const p = placeGrid(m, noisy, options);
      const pts = allPoints(render(m, noisy, { ...options, seed: 3 }));
      expect(pts.length).toBeGreaterThan(0);
      let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
      for (const pt of pts) {
        minX = Math.min(minX, pt.x);
        maxX = Math.max(maxX, pt.x);
        minY = Math.min(minY, pt.y);
        maxY = Math.max(maxY, pt.y);
      }
      expect(minX).toBeGreaterThanOrEqual(Math.max(10, p.x) - 1e-9);
      expect(maxX).toBeLessThanOrEqual(Math.min(287, p.x + p.width) + 1e-9);
      expect(minY).toBeGreaterThanOrEqual(Math.max(10, p.y) - 1e-9);
      expect(maxY).toBeLessThanOrEqual(Math.min(410, p.y + p.height) + 1e-9);
    }
  });

  it("refuses a picture off the page, a negative width and a malformed grid", () => {
    const cases = [
      () => render(m, noisy, { width: -5 }),
      () => render(m, noisy, { width: 300 }),
      () => render(m, noisy, { width: 100, origin: { x: 5, y: 20 } }),
      () => render(m, noisy, { width: 100, origin: { x: 200, y: 20 } }),
      () => render(m, { columns: 2, rows: 2, darkness: new Float64Array(3) }),
      () => render(m, { columns: 0, rows: 2, darkness: new Float64Array(0) }),
    ];
    for (const f of cases) {
      let error: unknown;
      try {
        f();
      } catch (e) {
        error = e;
      }
      expect(isPolargraphError(error)).toBe(true);
      expect((error as { code: string }).code).toBe("INVALID_ARGUMENT");
    }
  });
});

function expectInvalid(f: () => unknown, message: RegExp) {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect((error as { code: string }).code).toBe("INVALID_ARGUMENT");
  expect((error as Error).message).toMatch(message);
}

describe("renderSquareWave", () => {
  it("packs round(darkness × N) cycles per cell, N one pen width apart", () => {
    // 2 × 1 cells, 10 mm wide: cells 5 × 5 mm, N = 5 cycles at a 0.5 mm pen, amplitude 2.25 mm
    const g = grid(2, 1, (c) => (c === 0 ? 1 : 0.4));
    const [row] = renderSquareWave(m, g, { width: 10, origin: { x: 50, y: 50 } });
    const cy = 52.5;
    const tops = (row as Polyline).filter((p) => Math.abs(p.y - (cy - 2.25)) < 1e-9);
    const inFirst = tops.filter((p) => p.x < 55 - 1e-9).length;
    const inSecond = tops.filter((p) => p.x >= 55 - 1e-9).length;
    expect(inFirst).toBe(10); // 5 cycles, two top corners each
    expect(inSecond).toBe(4); // round(0.4 × 5) = 2 cycles
    expect(Math.min(...(row as Polyline).map((p) => p.y))).toBeCloseTo(50.25, 9);
  });

  it("draws a white row as a straight line, rows alternating direction", () => {
    const lines = renderSquareWave(
      m,
      grid(3, 2, () => 0),
      { width: 30, origin: { x: 20, y: 20 } },
    );
    expect(lines).toHaveLength(2);
    expect(new Set(lines[0]?.map((p) => p.y))).toEqual(new Set([25]));
    expect(lines[0]?.[0]?.x).toBe(20);
    expect(lines[1]?.[0]?.x).toBe(50);
  });

  it("refuses a pen width ≤ 0 and a row gap outside [0, 1)", () => {
    expectInvalid(() => renderSquareWave(m, noisy, { penWidth: 0 }), /penWidth/);
    expectInvalid(() => renderSquareWave(m, noisy, { rowGap: 1 }), /rowGap/);
  });
});

describe("renderSquiggle", () => {
  it("visits round(darkness × maxPoints) random points in each cell; seeds differ", () => {
    const g = grid(2, 1, (c) => (c === 0 ? 1 : 0.5));
    const [row] = renderSquiggle(m, g, { width: 20, origin: { x: 50, y: 50 }, seed: 1 });
    // two row ends + 8 points in the black cell + 4 in the half-grey one
    expect(row).toHaveLength(14);
    const inner = (row as Polyline).slice(1, -1);
    expect(inner.filter((p) => p.x < 60)).toHaveLength(8);
    expect(inner.filter((p) => p.x >= 60)).toHaveLength(4);
    const other = renderSquiggle(m, g, { width: 20, origin: { x: 50, y: 50 }, seed: 2 });
    expect(other[0]).not.toEqual(row);
  });

  it("refuses maxPoints that is not a positive integer", () => {
    expectInvalid(() => renderSquiggle(m, noisy, { maxPoints: 0 }), /maxPoints/);
    expectInvalid(() => renderSquiggle(m, noisy, { maxPoints: 2.5 }), /maxPoints/);
  });
});

describe("renderSpiral", () => {
  it("is a plain Archimedean spiral on white and wiggles by up to 0.45 × spacing on black", () => {
    const opts = { width: 100, origin: { x: 50, y: 50 }, turnSpacing: 2 };
    const [white] = renderSpiral(
      m,
      grid(10, 10, () => 0),
      opts,
    );
    const radius = (white as Polyline).map((p) => Math.hypot(p.x - 100, p.y - 100));
    for (let i = 1; i < radius.length; i++)
      expect(radius[i]).toBeGreaterThanOrEqual((radius[i - 1] as number) - 1e-9);
    expect(Math.max(...radius)).toBeLessThanOrEqual(50 - 0.9 + 1e-9);
    expect(Math.max(...radius)).toBeGreaterThan(48);
    const [black] = renderSpiral(
      m,
      grid(10, 10, () => 1),
      opts,
    );
    // same angle, offset radius: the largest deviation from the plain spiral is 0.9 mm
    let deviation = 0;
    (black as Polyline).forEach((p, i) => {
      deviation = Math.max(
        deviation,
        Math.abs(Math.hypot(p.x - 100, p.y - 100) - (radius[i] as number)),
      );
    });
    expect(deviation).toBeCloseTo(0.9, 2);
  });

  it("turns the start angle by seed and refuses a spacing too wide", () => {
    const a = renderSpiral(m, noisy, { seed: 1, width: 100 });
    const b = renderSpiral(m, noisy, { seed: 2, width: 100 });
    expect(a[0]?.[50]).not.toEqual(b[0]?.[50]);
    expectInvalid(() => renderSpiral(m, noisy, { turnSpacing: 80, width: 100 }), /too wide/);
    expectInvalid(() => renderSpiral(m, noisy, { wavelength: 0 }), /wavelength/);
  });
});

describe("renderSineLines", () => {
  it("draws flat lines on white (minFrequency 0) and 0.45 × spacing waves on black", () => {
    const opts = { width: 40, origin: { x: 50, y: 50 }, lineSpacing: 4, minFrequency: 0 };
    const flat = renderSineLines(
      m,
      grid(4, 4, () => 0),
      opts,
    );
    expect(flat).toHaveLength(10); // 40 mm tall / 4 mm
    for (const [i, line] of flat.entries())
      expect(new Set(line.map((p) => p.y))).toEqual(new Set([52 + 4 * i]));
    const wavy = renderSineLines(
      m,
      grid(4, 4, () => 1),
      opts,
    );
    const ys = (wavy[0] as Polyline).map((p) => p.y - 52);
    expect(Math.max(...ys)).toBeCloseTo(1.8, 1);
    expect(Math.min(...ys)).toBeCloseTo(-1.8, 1);
    // 1 wiggle per mm over 40 mm: about 40 upward zero crossings
    let crossings = 0;
    for (let i = 1; i < ys.length; i++)
      if ((ys[i - 1] as number) < 0 && (ys[i] as number) >= 0) crossings++;
    expect(crossings).toBeGreaterThanOrEqual(39);
    expect(crossings).toBeLessThanOrEqual(41);
  });

  it("refuses reversed frequencies and a spacing taller than the picture", () => {
    expectInvalid(
      () => renderSineLines(m, noisy, { minFrequency: 2, maxFrequency: 1 }),
      /minFrequency/,
    );
    expectInvalid(() => renderSineLines(m, noisy, { width: 30, lineSpacing: 100 }), /taller/);
  });
});

describe("renderCrosshatch", () => {
  it("draws layer k of n only where darkness passes k / (n + 1)", () => {
    const opts = { width: 40, origin: { x: 50, y: 50 }, angles: [0, 90] };
    // thresholds 1/3 and 2/3
    expect(
      renderCrosshatch(
        m,
        grid(4, 4, () => 0.3),
        opts,
      ),
    ).toEqual([]);
    const one = renderCrosshatch(
      m,
      grid(4, 4, () => 0.5),
      opts,
    );
    expect(one.length).toBeGreaterThan(20);
    for (const line of one) expect(new Set(line.map((p) => p.y)).size).toBe(1); // horizontal only
    const both = renderCrosshatch(
      m,
      grid(4, 4, () => 0.9),
      opts,
    );
    expect(both.some((line) => new Set(line.map((p) => p.x)).size === 1)).toBe(true);
    expect(both.length).toBeGreaterThan(one.length * 1.8);
  });

  it("refuses no angles and a spacing ≤ 0", () => {
    expectInvalid(() => renderCrosshatch(m, noisy, { angles: [] }), /angles/);
    expectInvalid(() => renderCrosshatch(m, noisy, { spacing: 0 }), /spacing/);
  });
});
