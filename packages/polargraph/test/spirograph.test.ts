import { describe, expect, it } from "vitest";
import {
  exampleMachine,
  type Point,
  planDrawing,
  randomSpirographOptions,
  spirograph,
} from "../src/index.js";

const m = exampleMachine; // drawable area: x 10–287, y 10–410 (page mm)

describe("spirograph", () => {
  it("draws a closed hypotrochoid fitted to its size, starting at a + d", () => {
    const line = spirograph(m, {
      ringTeeth: 96,
      wheelTeeth: 36,
      penRatio: 0.5,
      size: 200,
      centre: { x: 148.5, y: 210 },
    });
    // a = 60, d = 18: the start is the farthest point, at radius 100 mm
    expect(line[0]?.x).toBeCloseTo(248.5, 9);
    expect(line[0]?.y).toBeCloseTo(210, 9);
    const last = line[line.length - 1] as Point;
    expect(last.x).toBeCloseTo(248.5, 6);
    expect(last.y).toBeCloseTo(210, 6);
    expect(Math.max(...line.map((p) => Math.hypot(p.x - 148.5, p.y - 210)))).toBeLessThanOrEqual(
      100 + 1e-9,
    );
    // the pen comes closest at a − d = 42 teeth of 78 → 53.846 mm
    const nearest = Math.min(...line.map((p) => Math.hypot(p.x - 148.5, p.y - 210)));
    expect(nearest).toBeCloseTo(53.846, 1);
    let longest = 0;
    for (let i = 1; i < line.length; i++)
      longest = Math.max(
        longest,
        Math.hypot(
          (line[i] as Point).x - (line[i - 1] as Point).x,
          (line[i] as Point).y - (line[i - 1] as Point).y,
        ),
      );
    expect(longest).toBeLessThanOrEqual(0.5 + 1e-9);
  });

  it("draws an epitrochoid and fits the page by default", () => {
    const line = spirograph(m, { kind: "epitrochoid", ringTeeth: 60, wheelTeeth: 20, penRatio: 1 });
    // default size 277 (the narrower side); a = 80, d = 20 → radius 100 teeth = 138.5 mm
    const c = { x: 148.5, y: 210 };
    expect(Math.max(...line.map((p) => Math.hypot(p.x - c.x, p.y - c.y)))).toBeCloseTo(138.5, 3);
    expect(() => planDrawing(m, [line])).not.toThrow();
  });

  it("never leaves the page: seeded figures are deterministic and stay inside the margins", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const options = randomSpirographOptions(seed);
      expect(randomSpirographOptions(seed)).toEqual(options);
      const line = spirograph(m, options);
      const xs = line.map((p) => p.x);
      const ys = line.map((p) => p.y);
      expect(Math.min(...xs)).toBeGreaterThanOrEqual(10 - 1e-9);
      expect(Math.max(...xs)).toBeLessThanOrEqual(287 + 1e-9);
      expect(Math.min(...ys)).toBeGreaterThanOrEqual(10 - 1e-9);
      expect(Math.max(...ys)).toBeLessThanOrEqual(410 + 1e-9);
    }
    expect(randomSpirographOptions(1)).not.toEqual(randomSpirographOptions(2));
  });

  it("rejects impossible gears and figures off the page", () => {
    const bad = (o: Parameters<typeof spirograph>[1]) => () => spirograph(m, o);
    expect(bad({ ringTeeth: 30, wheelTeeth: 40 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(bad({ ringTeeth: 0 })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(bad({ wheelTeeth: 2.5 })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(bad({ penRatio: -1 })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(bad({ size: 300 })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(bad({ size: 100, centre: { x: 30, y: 200 } })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(bad({ maxSegment: 0 })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });
});
