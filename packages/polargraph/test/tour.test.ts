import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  exampleMachine,
  type GreyGrid,
  isPolargraphError,
  type Point,
  renderSingleLine,
  seededRandom,
  stipplePoints,
  type TourProgressEvent,
  tspTour,
} from "../src/index.js";

const dist = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);
function closedLength(points: Point[], order: number[]): number {
  let s = 0;
  for (let k = 0; k < order.length; k++)
    s += dist(
      points[order[k] as number] as Point,
      points[order[(k + 1) % order.length] as number] as Point,
    );
  return s;
}
function pathLength(points: Point[], order: number[]): number {
  let s = 0;
  for (let k = 1; k < order.length; k++)
    s += dist(points[order[k - 1] as number] as Point, points[order[k] as number] as Point);
  return s;
}
function randomPoints(n: number, seed: number, size = 200): Point[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => ({ x: r() * size, y: r() * size }));
}
/** The shortest closed tour by trying every order that starts at point 0 (n ≤ 9). */
function optimum(points: Point[]): number {
  const n = points.length;
  let best = Number.POSITIVE_INFINITY;
  const rest = Array.from({ length: n - 1 }, (_, i) => i + 1);
  const permute = (k: number) => {
    if (k === rest.length) best = Math.min(best, closedLength(points, [0, ...rest]));
    else
      for (let i = k; i < rest.length; i++) {
        [rest[k], rest[i]] = [rest[i] as number, rest[k] as number];
        permute(k + 1);
        [rest[k], rest[i]] = [rest[i] as number, rest[k] as number];
      }
  };
  permute(0);
  return best;
}

describe("tspTour", () => {
  it("visits every point exactly once", () => {
    for (const n of [0, 1, 2, 3, 4, 5, 7, 100, 2000]) {
      const { order } = tspTour(randomPoints(n, n));
      expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });

  it("never lengthens the tour it starts from (any start order)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: 80 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.boolean(),
        (n, seed, orOpt) => {
          const points = randomPoints(n, seed);
          const r = seededRandom(seed + 1);
          const start = Array.from({ length: n }, (_, i) => i);
          for (let i = n - 1; i > 0; i--) {
            const j = Math.floor(r() * (i + 1));
            [start[i], start[j]] = [start[j] as number, start[i] as number];
          }
          const lengths: number[] = [];
          const t = tspTour(points, {
            initialOrder: start,
            closed: true,
            orOpt,
            onProgress: (e) => lengths.push(e.lengthMm as number),
          });
          expect([...t.order].sort((a, b) => a - b)).toEqual(
            Array.from({ length: n }, (_, i) => i),
          );
          expect(t.initialClosedMm).toBeCloseTo(closedLength(points, start), 6);
          expect(t.closedMm).toBeCloseTo(closedLength(points, t.order), 6);
          expect(t.closedMm).toBeLessThanOrEqual(t.initialClosedMm + 1e-9);
          for (let i = 1; i < lengths.length; i++)
            expect(lengths[i]).toBeLessThanOrEqual((lengths[i - 1] as number) + 1e-9);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("finds the optimum or comes close on small instances (checked by trying every order)", () => {
    const ratios: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const points = randomPoints(8, seed * 7);
      const t = tspTour(points, { closed: true });
      ratios.push(t.closedMm / optimum(points));
    }
    for (const r of ratios) expect(r).toBeGreaterThanOrEqual(1 - 1e-9);
    for (const r of ratios) expect(r).toBeLessThan(1.1);
    expect(ratios.reduce((s, r) => s + r, 0) / ratios.length).toBeLessThan(1.02);
  });

  it("untangles points on a circle into the circle, from a shuffled start", () => {
    const n = 60;
    const points = Array.from({ length: n }, (_, i) => ({
      x: 100 + 50 * Math.cos((2 * Math.PI * i) / n),
      y: 100 + 50 * Math.sin((2 * Math.PI * i) / n),
    }));
    const r = seededRandom(9);
    const start = Array.from({ length: n }, (_, i) => i).sort(() => r() - 0.5);
    const t = tspTour(points, { initialOrder: start, closed: true });
    // the regular 60-gon's perimeter: 60 × 2 × 50 × sin(π / 60)
    expect(t.closedMm).toBeCloseTo(60 * 2 * 50 * Math.sin(Math.PI / 60), 6);
  });

  it("shortens the nearest-neighbour tour by a tenth or more on random points, and opens it at its longest edge", () => {
    const points = randomPoints(2000, 11);
    const nn = tspTour(points, { improve: false, closed: true });
    const t = tspTour(points);
    expect(nn.closedMm).toBeCloseTo(nn.initialClosedMm, 9);
    expect(t.initialClosedMm).toBeCloseTo(nn.closedMm, 9);
    expect(t.closedMm).toBeLessThan(0.9 * nn.closedMm);
    expect(t.twoOptMoves + t.orOptMoves).toBeGreaterThan(100);
    expect(t.lengthMm).toBeCloseTo(pathLength(points, t.order), 6);
    const longest = Math.max(
      ...t.order.map((v, k) =>
        dist(points[v] as Point, points[t.order[(k + 1) % 2000] as number] as Point),
      ),
    );
    expect(t.lengthMm).toBeCloseTo(t.closedMm - longest, 6);
  });

  it("reports building and improving", () => {
    const events: TourProgressEvent[] = [];
    tspTour(randomPoints(3000, 5), { onProgress: (e) => events.push(e) });
    const nn = events.filter((e) => e.phase === "nearest-neighbour");
    const improve = events.filter((e) => e.phase === "improve");
    expect(nn.at(-1)).toEqual({ phase: "nearest-neighbour", done: 3000, total: 3000 });
    expect(improve.length).toBeGreaterThanOrEqual(2);
    const last = improve.at(-1) as TourProgressEvent;
    expect(last.done).toBe(last.total);
    expect(last.lengthMm).toBeLessThan(improve[0]?.lengthMm as number);
  });

  it("refuses points that are not finite, a bad start order and bad neighbour counts", () => {
    const cases: [() => unknown, RegExp][] = [
      () =>
        tspTour([
          { x: 0, y: 0 },
          { x: Number.NaN, y: 1 },
        ]),
      () => tspTour(randomPoints(4, 1), { initialOrder: [0, 1, 1, 2] }),
      () => tspTour(randomPoints(4, 1), { initialOrder: [0, 1, 2] }),
      () => tspTour(randomPoints(4, 1), { neighbours: 0 }),
    ].map((f, i) => [f, [/not finite/, /permutation/, /all 4 points/, /neighbours/][i] as RegExp]);
    for (const [f, message] of cases) {
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
  });
});

describe("renderSingleLine", () => {
  const ramp: GreyGrid = {
    columns: 30,
    rows: 30,
    darkness: Float64Array.from({ length: 900 }, (_, i) => (i % 30) / 29),
  };

  it("draws one line through every stipple, the same for the same seed", () => {
    const options = { points: 800, width: 120, seed: 2 };
    const lines = renderSingleLine(exampleMachine, ramp, options);
    expect(lines).toHaveLength(1);
    const line = lines[0] as Point[];
    const { points, placement: p } = stipplePoints(exampleMachine, ramp, options);
    const key = (q: Point) => `${q.x},${q.y}`;
    expect(line.map(key).sort()).toEqual(points.map(key).sort());
    expect(renderSingleLine(exampleMachine, ramp, options)).toEqual(lines);
    expect(renderSingleLine(exampleMachine, ramp, { ...options, seed: 3 })).not.toEqual(lines);
    for (const q of line) {
      expect(q.x).toBeGreaterThanOrEqual(p.x);
      expect(q.x).toBeLessThanOrEqual(p.x + p.width);
      expect(q.y).toBeGreaterThanOrEqual(p.y);
      expect(q.y).toBeLessThanOrEqual(p.y + p.height);
    }
  });

  it("reports relaxation and then the tour", () => {
    const phases = new Set<string>();
    renderSingleLine(exampleMachine, ramp, {
      points: 300,
      width: 80,
      iterations: 5,
      onProgress: (e) => phases.add(e.phase),
    });
    expect([...phases]).toEqual(["relax", "nearest-neighbour", "improve"]);
  });
});
