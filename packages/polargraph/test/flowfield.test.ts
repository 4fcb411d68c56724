import { describe, expect, it } from "vitest";
import {
  exampleMachine,
  type FlowFieldProgressEvent,
  type GreyGrid,
  isPolargraphError,
  type Point,
  type Polyline,
  placeGrid,
  renderFlowField,
} from "../src/index.js";

const m = exampleMachine;

function grid(columns: number, rows: number, f: (c: number, r: number) => number): GreyGrid {
  const darkness = new Float64Array(columns * rows);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) darkness[r * columns + c] = f(c, r);
  return { columns, rows, darkness };
}
const ramp = grid(30, 30, (c) => c / 29);
const black = grid(10, 10, () => 1);

function length(line: Polyline): number {
  let s = 0;
  for (let i = 1; i < line.length; i++)
    s += Math.hypot(
      (line[i] as Point).x - (line[i - 1] as Point).x,
      (line[i] as Point).y - (line[i - 1] as Point).y,
    );
  return s;
}

/** The smallest distance between points of two different lines (brute force over a hash grid). */
function closestOtherLine(lines: Polyline[], cell: number): number {
  const cells = new Map<string, { p: Point; line: number }[]>();
  lines.forEach((l, line) => {
    for (const p of l) {
      const k = `${Math.floor(p.x / cell)},${Math.floor(p.y / cell)}`;
      const list = cells.get(k) ?? [];
      list.push({ p, line });
      cells.set(k, list);
    }
  });
  let best = Number.POSITIVE_INFINITY;
  lines.forEach((l, line) => {
    for (const p of l) {
      const cx = Math.floor(p.x / cell);
      const cy = Math.floor(p.y / cell);
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++)
          for (const q of cells.get(`${cx + dx},${cy + dy}`) ?? [])
            if (q.line !== line) best = Math.min(best, Math.hypot(p.x - q.p.x, p.y - q.p.y));
    }
  });
  return best;
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

describe("renderFlowField", () => {
  it("keeps lines apart: no point comes within separation × minSpacing of another line", () => {
    for (const field of ["noise", "contours"] as const) {
      const lines = renderFlowField(m, black, { width: 60, minSpacing: 1, separation: 0.5, field });
      expect(lines.length).toBeGreaterThan(20);
      // over black the spacing is minSpacing everywhere: 0.5 × 1 mm
      expect(closestOtherLine(lines, 1)).toBeGreaterThanOrEqual(0.5 - 1e-9);
    }
  });

  it("keeps a line off itself once it has gone three widest spacings along", () => {
    // a tight noise field makes lines curl; 5 mm maxSpacing, so 15 mm along a line
    const lines = renderFlowField(m, black, { width: 50, minSpacing: 1, noiseScale: 8, seed: 4 });
    let closest = Number.POSITIVE_INFINITY;
    let pairs = 0;
    for (const l of lines) {
      const arc = [0];
      for (let i = 1; i < l.length; i++)
        arc.push(
          (arc[i - 1] as number) +
            Math.hypot(
              (l[i] as Point).x - (l[i - 1] as Point).x,
              (l[i] as Point).y - (l[i - 1] as Point).y,
            ),
        );
      for (let i = 0; i < l.length; i++)
        for (let j = i + 1; j < l.length; j++)
          if ((arc[j] as number) - (arc[i] as number) > 15 + 1e-9) {
            pairs++;
            closest = Math.min(
              closest,
              Math.hypot(
                (l[i] as Point).x - (l[j] as Point).x,
                (l[i] as Point).y - (l[j] as Point).y,
              ),
            );
          }
    }
    expect(pairs).toBeGreaterThan(1000);
    expect(closest).toBeGreaterThanOrEqual(0.5 - 1e-9);
  });

  it("covers black evenly: about one line per spacing", () => {
    // 60 × 60 mm of black at 1 mm spacing: about 3600 mm of line when lines lie 1 mm apart;
    // Jobard–Lefer lines end between 0.5 and 1 spacing short of each other, so a little less
    const total = renderFlowField(m, black, { width: 60, minSpacing: 1 }).reduce(
      (s, l) => s + length(l),
      0,
    );
    expect(total).toBeGreaterThan(0.75 * 3600);
    expect(total).toBeLessThan(1.5 * 3600);
  });

  it("draws more line where the picture is darker and none on white", () => {
    const lines = renderFlowField(m, ramp, { width: 90, minSpacing: 1, minDarkness: 0.2 });
    const p = placeGrid(m, ramp, { width: 90 });
    const thirds = [0, 0, 0];
    for (const l of lines)
      for (let i = 1; i < l.length; i++) {
        const a = l[i - 1] as Point;
        const b = l[i] as Point;
        const k = Math.min(2, Math.floor((((a.x + b.x) / 2 - p.x) / p.width) * 3));
        thirds[k] = (thirds[k] as number) + Math.hypot(b.x - a.x, b.y - a.y);
      }
    // line length ∝ darkness: the right third (mean darkness 5/6) over the middle one (1/2) is 5/3
    const ratio = (thirds[2] as number) / (thirds[1] as number);
    expect(ratio).toBeGreaterThan(1.35);
    expect(ratio).toBeLessThan(2);
    expect(thirds[1]).toBeGreaterThan(2 * (thirds[0] as number));
    // darkness below 0.2 (the left 20 %, less half a cell of blur) stays paper
    for (const q of lines.flat()) expect(q.x).toBeGreaterThan(p.x + 0.2 * p.width - 1.5);
  });

  it("follows the picture's contours in contours mode", () => {
    // darkness rises towards the centre in rings: isophotes are circles, so lines run round
    const rings = grid(40, 40, (c, r) => Math.hypot(c - 19.5, r - 19.5) / 28);
    const p = placeGrid(m, rings, { width: 80 });
    const cx = p.x + p.width / 2;
    const cy = p.y + p.height / 2;
    const radialness = (field: "noise" | "contours") => {
      let sum = 0;
      let count = 0;
      for (const l of renderFlowField(m, rings, { width: 80, field, minSpacing: 1.5, seed: 3 }))
        for (let i = 1; i < l.length; i++) {
          const a = l[i - 1] as Point;
          const b = l[i] as Point;
          const rx = a.x - cx;
          const ry = a.y - cy;
          const rl = Math.hypot(rx, ry);
          const sl = Math.hypot(b.x - a.x, b.y - a.y);
          if (rl < 5 || sl === 0) continue;
          sum += Math.abs((rx * (b.x - a.x) + ry * (b.y - a.y)) / (rl * sl));
          count++;
        }
      return sum / count;
    };
    expect(radialness("contours")).toBeLessThan(0.25);
    expect(radialness("noise")).toBeGreaterThan(0.45);
  });

  it("is deterministic by seed and stays inside the picture", () => {
    const a = renderFlowField(m, ramp, { width: 70, seed: 8, origin: { x: 10, y: 10 } });
    const b = renderFlowField(m, ramp, { width: 70, seed: 8, origin: { x: 10, y: 10 } });
    const c = renderFlowField(m, ramp, { width: 70, seed: 9, origin: { x: 10, y: 10 } });
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    for (const q of a.flat()) {
      expect(Number.isFinite(q.x) && Number.isFinite(q.y)).toBe(true);
      expect(q.x).toBeGreaterThanOrEqual(10);
      expect(q.x).toBeLessThanOrEqual(80);
      expect(q.y).toBeGreaterThanOrEqual(10);
      expect(q.y).toBeLessThanOrEqual(80);
    }
  });

  it("drops lines shorter than minLength", () => {
    const lines = renderFlowField(m, ramp, { width: 60, minLength: 6 });
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(length(l)).toBeGreaterThanOrEqual(6 - 1e-6);
  });

  it("reports the covering seeds until all are tried", () => {
    const events: FlowFieldProgressEvent[] = [];
    const lines = renderFlowField(m, ramp, { width: 40, onProgress: (e) => events.push(e) });
    const last = events.at(-1) as FlowFieldProgressEvent;
    expect(last.done).toBe(last.total);
    expect(last.lines).toBe(lines.length);
    expect(events.length).toBeGreaterThan(10);
  });

  it("refuses bad spacings and fields", () => {
    expectInvalid(() => renderFlowField(m, ramp, { minSpacing: 0 }), /minSpacing/);
    expectInvalid(() => renderFlowField(m, ramp, { minSpacing: 2, maxSpacing: 1 }), /maxSpacing/);
    expectInvalid(() => renderFlowField(m, ramp, { minSpacing: 0.001 }), /too fine/);
    expectInvalid(() => renderFlowField(m, ramp, { separation: 1.5 }), /separation/);
    expectInvalid(() => renderFlowField(m, ramp, { step: 5 }), /step/);
    expectInvalid(() => renderFlowField(m, ramp, { minDarkness: 1 }), /minDarkness/);
    expectInvalid(() => renderFlowField(m, ramp, { noiseScale: -3 }), /noiseScale/);
    expectInvalid(() => renderFlowField(m, ramp, { field: "waves" as "noise" }), /field/);
    expectInvalid(() => renderFlowField(m, ramp, { width: -1 }), /width/);
  });
});
