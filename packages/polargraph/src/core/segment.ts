import { PolargraphError } from "../errors.js";
import type { Point } from "./geometry.js";
import { cordLengthsOf, penPositionOf } from "./kinematics.js";
import type { Machine } from "./machine.js";

/** Default largest distance, mm, between the drawn path and the straight line asked for. */
export const DEFAULT_TOLERANCE = 0.1;

const MAX_DEPTH = 24;
// Eighths, middle first: where the cords are steep the deviation peaks well off the middle, and
// quarters alone let a piece through up to ~7% over the tolerance (found by the property test).
const SAMPLES = [0.5, 0.25, 0.75, 0.125, 0.375, 0.625, 0.875];

/**
 * Splits the straight line `a`→`b` (machine mm) so that moving both cords linearly between
 * consecutive points (what a controller does between two commanded positions) never strays more
 * than `tolerance` mm from the line. Returns the points after `a`, ending with `b`.
 */
export function segmentLine(
  machine: Machine,
  a: Point,
  b: Point,
  tolerance = DEFAULT_TOLERANCE,
  out: Point[] = [],
): Point[] {
  if (!(tolerance > 0))
    throw new PolargraphError("INVALID_ARGUMENT", `tolerance must be positive, got ${tolerance}`);
  const ca = cordLengthsOf(machine, a.x, a.y);
  const cb = cordLengthsOf(machine, b.x, b.y);
  split(machine, a, ca.left, ca.right, b, cb.left, cb.right, tolerance, 0, out);
  return out;
}

function split(
  m: Machine,
  a: Point,
  la: number,
  ra: number,
  b: Point,
  lb: number,
  rb: number,
  tol: number,
  depth: number,
  out: Point[],
): void {
  // the pen's position at each eighth of the cord-linear move, against
  // the chord a–b (the deviation is not symmetric where the cords are steep)
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy);
  let deviation = 0;
  if (len > 0)
    for (const t of SAMPLES) {
      const p = penPositionOf(m, la + (lb - la) * t, ra + (rb - ra) * t);
      const d = Math.abs((p.x - a.x) * dy - (p.y - a.y) * dx) / len;
      if (d > deviation) deviation = d;
    }
  if (deviation <= tol || depth >= MAX_DEPTH || len < 1e-6) {
    out.push(b);
    return;
  }
  const c = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  const cc = cordLengthsOf(m, c.x, c.y);
  split(m, a, la, ra, c, cc.left, cc.right, tol, depth + 1, out);
  split(m, c, cc.left, cc.right, b, lb, rb, tol, depth + 1, out);
}

/** The largest deviation (mm) of the cord-linear move `a`→`b` from its chord, sampled at `samples` points. */
export function cordLinearDeviation(machine: Machine, a: Point, b: Point, samples = 16): number {
  const ca = cordLengthsOf(machine, a.x, a.y);
  const cb = cordLengthsOf(machine, b.x, b.y);
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy);
  if (len === 0) return 0;
  let worst = 0;
  for (let i = 1; i < samples; i++) {
    const t = i / samples;
    const p = penPositionOf(
      machine,
      ca.left + (cb.left - ca.left) * t,
      ca.right + (cb.right - ca.right) * t,
    );
    worst = Math.max(worst, Math.abs((p.x - a.x) * dy - (p.y - a.y) * dx) / len);
  }
  return worst;
}
