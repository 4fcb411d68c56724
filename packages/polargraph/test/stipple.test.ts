import { describe, expect, it } from "vitest";
import {
  exampleMachine,
  type GreyGrid,
  isPolargraphError,
  type Point,
  renderStipples,
  type StippleProgressEvent,
  stipplePoints,
} from "../src/index.js";

const m = exampleMachine; // drawable area: x 10–287, y 10–410 (page mm)

function grid(columns: number, rows: number, f: (c: number, r: number) => number): GreyGrid {
  const darkness = new Float64Array(columns * rows);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) darkness[r * columns + c] = f(c, r);
  return { columns, rows, darkness };
}

// darkness rising linearly from 0 on the left to 1 on the right
const ramp = grid(40, 40, (c) => c / 39);
const grey = grid(20, 20, () => 0.5);

function nearestNeighbourDistances(points: Point[]): number[] {
  return points.map((p, i) => {
    let best = Number.POSITIVE_INFINITY;
    points.forEach((q, j) => {
      if (i !== j) best = Math.min(best, Math.hypot(p.x - q.x, p.y - q.y));
    });
    return best;
  });
}

function expectInvalid(f: () => unknown, message: RegExp) {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(isPolargraphError(error)).toBe(true);
  expect((error as { code: string }).code).toBe("INVALID_ARGUMENT");
  expect((error as Error).message).toMatch(message);
}

describe("stipplePoints", () => {
  it("puts stipples in proportion to darkness on a ramp", () => {
    const { points, placement: p } = stipplePoints(m, ramp, {
      points: 1000,
      width: 100,
      iterations: 20,
    });
    expect(points).toHaveLength(1000);
    // ∫ x dx over each quarter of [0, 1], over ∫ x dx = 1/2: 1/16, 3/16, 5/16, 7/16 of the stipples
    const counts = [0, 0, 0, 0];
    for (const q of points) {
      const k = Math.min(3, Math.floor(((q.x - p.x) / p.width) * 4));
      counts[k] = (counts[k] as number) + 1;
    }
    const expected = [62.5, 187.5, 312.5, 437.5];
    counts.forEach((c, k) => {
      expect(Math.abs(c - (expected[k] as number))).toBeLessThan(0.2 * (expected[k] as number));
    });
  });

  it("leaves white paper empty", () => {
    // the left half white, the right half mid-grey; bilinear sampling blurs the edge by half a cell
    const half = grid(20, 20, (c) => (c < 10 ? 0 : 0.5));
    const { points, placement: p } = stipplePoints(m, half, { points: 400, width: 100 });
    expect(points).toHaveLength(400);
    for (const q of points) expect(q.x).toBeGreaterThanOrEqual(p.x + 50 - 2.5);
  });

  it("crowds every stipple onto the one dark cell of a white picture, quickly", () => {
    // 20 × 20 cells over 100 mm: the dark cell (column 12, row 5) spans x 60–65, y 25–30 mm from
    // the picture's corner; bilinear sampling spreads it to the neighbouring cell centres, and a
    // stipple may lie anywhere in its raster pixel (256 across 100 mm: 0.39 mm)
    const dot = grid(20, 20, (c, r) => (c === 12 && r === 5 ? 1 : 0));
    const { points, placement: p } = stipplePoints(m, dot, { points: 2000, width: 100 });
    expect(points).toHaveLength(2000);
    for (const q of points) {
      expect(q.x - p.x).toBeGreaterThan(57.5 - 0.4);
      expect(q.x - p.x).toBeLessThan(67.5 + 0.4);
      expect(q.y - p.y).toBeGreaterThan(22.5 - 0.4);
      expect(q.y - p.y).toBeLessThan(32.5 + 0.4);
    }
  });

  it("spreads stipples evenly: relaxation pushes apart what random sampling clumps", () => {
    const raw = stipplePoints(m, grey, { points: 300, width: 100, iterations: 0 });
    const relaxed = stipplePoints(m, grey, { points: 300, width: 100, iterations: 30 });
    // a hexagonal packing of 300 points in 100 × 100 mm is sqrt(2 × 10⁴ / (300 √3)) = 6.2 mm apart
    const hex = Math.sqrt((2 * 100 * 100) / (300 * Math.sqrt(3)));
    const minRaw = Math.min(...nearestNeighbourDistances(raw.points));
    const minRelaxed = Math.min(...nearestNeighbourDistances(relaxed.points));
    expect(minRelaxed).toBeGreaterThan(0.5 * hex);
    expect(minRaw).toBeLessThan(0.25 * hex);
  });

  it("is deterministic by seed, finite and inside the picture and the page", () => {
    const a = stipplePoints(m, ramp, { points: 500, width: 120, seed: 4 });
    const b = stipplePoints(m, ramp, { points: 500, width: 120, seed: 4 });
    const c = stipplePoints(m, ramp, { points: 500, width: 120, seed: 5 });
    expect(b.points).toEqual(a.points);
    expect(c.points).not.toEqual(a.points);
    const p = a.placement;
    for (const q of a.points) {
      expect(Number.isFinite(q.x) && Number.isFinite(q.y)).toBe(true);
      expect(q.x).toBeGreaterThanOrEqual(p.x);
      expect(q.x).toBeLessThanOrEqual(p.x + p.width);
      expect(q.y).toBeGreaterThanOrEqual(p.y);
      expect(q.y).toBeLessThanOrEqual(p.y + p.height);
      expect(q.x).toBeGreaterThanOrEqual(10);
      expect(q.x).toBeLessThanOrEqual(287);
    }
    for (const d of a.darkness) expect(d).toBeGreaterThanOrEqual(0);
  });

  it("reports every relaxation iteration, the stipples settling", () => {
    const events: StippleProgressEvent[] = [];
    stipplePoints(m, ramp, {
      points: 300,
      width: 80,
      iterations: 12,
      onProgress: (e) => events.push(e),
    });
    expect(events.map((e) => e.done)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(events.every((e) => e.total === 12 && e.phase === "relax")).toBe(true);
    const first = events[0] as StippleProgressEvent;
    const last = events[11] as StippleProgressEvent;
    expect(last.meanMovementMm).toBeLessThan(first.meanMovementMm / 3);
  });

  it("has no stipples for a blank picture", () => {
    const blank = grid(10, 10, () => 0);
    expect(stipplePoints(m, blank, { points: 100, width: 50 }).points).toEqual([]);
    expect(renderStipples(m, blank, { points: 100, width: 50 })).toEqual([]);
  });

  it("refuses bad counts and a picture off the page", () => {
    expectInvalid(() => stipplePoints(m, ramp, { points: 0 }), /points/);
    expectInvalid(() => stipplePoints(m, ramp, { points: 2.5 }), /points/);
    expectInvalid(() => stipplePoints(m, ramp, { iterations: -1 }), /iterations/);
    expectInvalid(() => stipplePoints(m, ramp, { resolution: 3 }), /resolution/);
    expectInvalid(() => stipplePoints(m, ramp, { width: 400 }), /leaves the page/);
  });
});

describe("renderStipples", () => {
  it("draws closed circles, larger where it is darker, inside the picture", () => {
    const lines = renderStipples(m, ramp, {
      points: 300,
      width: 100,
      dotRadius: 0.6,
      minDotRadius: 0.1,
    });
    expect(lines).toHaveLength(300);
    const p = stipplePoints(m, ramp, { points: 300, width: 100 }).placement;
    const radii: { x: number; r: number }[] = [];
    for (const circle of lines) {
      const first = circle[0] as Point;
      const last = circle[circle.length - 1] as Point;
      expect(last.x).toBeCloseTo(first.x, 9);
      expect(last.y).toBeCloseTo(first.y, 9);
      const cx = circle.slice(0, -1).reduce((s, q) => s + q.x, 0) / (circle.length - 1);
      const cy = circle.slice(0, -1).reduce((s, q) => s + q.y, 0) / (circle.length - 1);
      const r = Math.hypot(first.x - cx, first.y - cy);
      expect(r).toBeGreaterThanOrEqual(0.1 - 1e-9);
      expect(r).toBeLessThanOrEqual(0.6 + 1e-9);
      radii.push({ x: cx, r });
      for (const q of circle) {
        expect(q.x).toBeGreaterThanOrEqual(p.x - 1e-9);
        expect(q.x).toBeLessThanOrEqual(p.x + p.width + 1e-9);
        expect(q.y).toBeGreaterThanOrEqual(p.y - 1e-9);
        expect(q.y).toBeLessThanOrEqual(p.y + p.height + 1e-9);
      }
    }
    const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
    const mid = p.x + p.width / 2;
    const lightR = mean(radii.filter((d) => d.x < mid).map((d) => d.r));
    const darkR = mean(radii.filter((d) => d.x >= mid).map((d) => d.r));
    expect(darkR).toBeGreaterThan(lightR + 0.1);
  });

  it("draws pen taps as zero-length lines on the stipples", () => {
    const taps = renderStipples(m, ramp, { points: 200, width: 100, dot: "tap", seed: 3 });
    const { points } = stipplePoints(m, ramp, { points: 200, width: 100, seed: 3 });
    expect(taps).toEqual(points.map((q) => [q, q]));
  });

  it("refuses bad dots", () => {
    expectInvalid(() => renderStipples(m, ramp, { dot: "square" as "tap" }), /dot must be/);
    expectInvalid(() => renderStipples(m, ramp, { dotRadius: -1 }), /dotRadius/);
    expectInvalid(
      () => renderStipples(m, ramp, { dotRadius: 0.2, minDotRadius: 0.3 }),
      /minDotRadius/,
    );
    expectInvalid(() => renderStipples(m, ramp, { tolerance: 0 }), /tolerance/);
  });
});
