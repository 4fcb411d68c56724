import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  exampleMachine,
  mergeLines,
  optimizePaths,
  type Point,
  type Polyline,
  pathStats,
  simplifyLine,
  sortLines,
} from "../src/index.js";

function randomLines(count: number, seed: number, size = 250): Polyline[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: count }, () => {
    const a = { x: rand() * size, y: rand() * size };
    return [a, { x: a.x + (rand() - 0.5) * 20, y: a.y + (rand() - 0.5) * 20 }];
  });
}

/** Undirected segments as sorted keys, zero-length ones left out. */
function segments(lines: Polyline[]): string[] {
  const out: string[] = [];
  for (const l of lines)
    for (let i = 1; i < l.length; i++) {
      const a = l[i - 1] as Point;
      const b = l[i] as Point;
      if (a.x === b.x && a.y === b.y) continue;
      const ka = `${a.x},${a.y}`;
      const kb = `${b.x},${b.y}`;
      out.push(ka < kb ? `${ka}|${kb}` : `${kb}|${ka}`);
    }
  return out.sort();
}

describe("optimizePaths", () => {
  it("never changes what is drawn: the same pen-down segments (property)", () => {
    const point = fc.record({
      x: fc.integer({ min: 0, max: 30 }),
      y: fc.integer({ min: 0, max: 30 }),
    });
    fc.assert(
      fc.property(
        fc.array(fc.array(point, { minLength: 1, maxLength: 6 }), { maxLength: 40 }),
        (lines) => {
          const { strokes } = optimizePaths(lines, { mergeTolerance: 0 });
          expect(segments(strokes)).toEqual(segments(lines));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("adds only joins shorter than the merge tolerance", () => {
    const lines = randomLines(400, 3, 60);
    const { strokes } = optimizePaths(lines, { mergeTolerance: 0.5 });
    const original = new Set(segments(lines));
    const added = segments(strokes).filter((s) => !original.has(s));
    for (const s of added) {
      const [a, b] = s.split("|").map((p) => p.split(",").map(Number)) as [number[], number[]];
      expect(
        Math.hypot((a[0] as number) - (b[0] as number), (a[1] as number) - (b[1] as number)),
      ).toBeLessThanOrEqual(0.5);
    }
    for (const s of original) expect(segments(strokes)).toContain(s);
  });

  it("cuts pen-up travel of 300 random lines by more than half", () => {
    const lines = randomLines(300, 42);
    const r = optimizePaths(lines);
    expect(r.after.penUpMm).toBeLessThan(0.5 * r.before.penUpMm);
    expect(r.after.penDownMm).toBeCloseTo(r.before.penDownMm, 6);
    // deterministic
    expect(optimizePaths(lines).strokes).toEqual(r.strokes);
  });

  it("2-opt improves on the greedy order", () => {
    const lines = randomLines(300, 7);
    const greedy = pathStats(sortLines(lines, { x: 0, y: 0 }, true, 0), { x: 0, y: 0 });
    const both = pathStats(sortLines(lines, { x: 0, y: 0 }, true, 2000), { x: 0, y: 0 });
    expect(both.penUpMm).toBeLessThan(greedy.penUpMm);
  });

  it("reports the planned plot time before and after with a machine", () => {
    const lines = randomLines(120, 9);
    const r = optimizePaths(lines, { machine: exampleMachine });
    expect(r.before.estimatedMs).toBeGreaterThan(0);
    expect(r.after.estimatedMs).toBeLessThan(r.before.estimatedMs as number);
  });

  it("simplifies and drops tiny lines on request", () => {
    const r = optimizePaths(
      [
        [
          { x: 0, y: 0 },
          { x: 1, y: 0.01 },
          { x: 2, y: 0 },
          { x: 3, y: 1 },
          { x: 4, y: 0 },
        ],
        [
          { x: 50, y: 50 },
          { x: 50.2, y: 50 },
        ],
      ],
      { simplifyTolerance: 0.1, minLength: 0.5 },
    );
    expect(r.strokes).toEqual([
      [
        { x: 0, y: 0 },
        { x: 2, y: 0 },
        { x: 3, y: 1 },
        { x: 4, y: 0 },
      ],
    ]);
    expect(r.after.lines).toBe(1);
  });

  it("rejects bad options and points", () => {
    expect(() => optimizePaths([], { simplifyTolerance: -1 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => optimizePaths([], { minLength: Number.NaN })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => optimizePaths([[{ x: 1, y: Number.POSITIVE_INFINITY }]])).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});

describe("mergeLines", () => {
  const a = { x: 0, y: 0 };
  const b = { x: 10, y: 0 };
  const c = { x: 10, y: 10 };
  const d = { x: 0, y: 10 };

  it("chains touching lines in either direction", () => {
    const merged = mergeLines(
      [
        [c, d],
        [a, b],
        [c, b],
      ],
      0,
    );
    expect(merged).toHaveLength(1);
    expect(segments(merged)).toEqual(
      segments([
        [a, b],
        [b, c],
        [c, d],
      ]),
    );
    expect(merged[0]).toHaveLength(4);
  });

  it("keeps directions when reversing is not allowed", () => {
    expect(
      mergeLines(
        [
          [a, b],
          [c, b],
          [b, c],
        ],
        0,
        false,
      ),
    ).toEqual([[a, b, c, b]]);
    expect(
      mergeLines(
        [
          [a, b],
          [c, b],
        ],
        0,
        false,
      ),
    ).toEqual([
      [a, b],
      [c, b],
    ]);
    expect(
      mergeLines(
        [
          [a, b],
          [c, b],
        ],
        0,
        true,
      ),
    ).toEqual([[a, b, c]]);
  });

  it("joins ends within the tolerance only", () => {
    expect(
      mergeLines(
        [
          [a, b],
          [{ x: 10.04, y: 0 }, c],
        ],
        0.05,
      ),
    ).toHaveLength(1);
    expect(
      mergeLines(
        [
          [a, b],
          [{ x: 10.2, y: 0 }, c],
        ],
        0.05,
      ),
    ).toHaveLength(2);
  });
});

describe("simplifyLine", () => {
  it("keeps the points that stray more than the tolerance (Ramer–Douglas–Peucker)", () => {
    const line = [
      { x: 0, y: 0 },
      { x: 1, y: 0.01 },
      { x: 2, y: 0 },
      { x: 3, y: 1 },
      { x: 4, y: 0 },
    ];
    expect(simplifyLine(line, 0.1)).toEqual([line[0], line[2], line[3], line[4]]);
    expect(simplifyLine(line, 2)).toEqual([line[0], line[4]]);
    expect(simplifyLine(line, 0)).toEqual(line);
  });
});
