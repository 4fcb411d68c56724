import type { Point, Polyline } from "../core/geometry.js";
import { drawableRect, type Machine } from "../core/machine.js";
import { PolargraphError } from "../errors.js";

/** Parameters of a spirograph figure. */
export interface SpirographOptions {
  /** Rolling inside the fixed ring (hypotrochoid) or outside it (epitrochoid). @defaultValue "hypotrochoid" */
  kind?: "hypotrochoid" | "epitrochoid";
  /** Teeth of the fixed ring (a positive integer). @defaultValue 96 */
  ringTeeth?: number;
  /** Teeth of the rolling wheel (a positive integer; fewer than the ring for a hypotrochoid). @defaultValue 36 */
  wheelTeeth?: number;
  /** Pen hole distance from the wheel's centre, as a fraction of the wheel's radius (0–1 inside the wheel). @defaultValue 0.8 */
  penRatio?: number;
  /** Diameter of the figure's bounding circle, mm. @defaultValue the smaller side of the page less its margins */
  size?: number;
  /** Centre of the figure, page mm. @defaultValue the centre of the page less its margins */
  centre?: Point;
  /** Longest straight piece of the polyline, mm. @defaultValue 0.5 */
  maxSegment?: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function positiveInteger(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1)
    throw new PolargraphError("INVALID_ARGUMENT", `${name} must be a positive integer, got ${v}`);
}

/**
 * A spirograph figure (hypotrochoid or epitrochoid) as one closed polyline in page mm, fitted to
 * `size`: the wheel rolls until the pen returns to its start, wheelTeeth / gcd(ring, wheel) turns
 * around the ring. Throws `INVALID_ARGUMENT` for impossible gears or a figure that leaves the page
 * less its margins (a renderer never draws off the page).
 */
export function spirograph(machine: Machine, options: SpirographOptions = {}): Polyline {
  const kind = options.kind ?? "hypotrochoid";
  const R = options.ringTeeth ?? 96;
  const r = options.wheelTeeth ?? 36;
  const ratio = options.penRatio ?? 0.8;
  positiveInteger("ringTeeth", R);
  positiveInteger("wheelTeeth", r);
  if (kind !== "hypotrochoid" && kind !== "epitrochoid")
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `kind must be hypotrochoid or epitrochoid, got ${kind}`,
    );
  if (kind === "hypotrochoid" && r >= R)
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `a wheel of ${r} teeth does not fit inside a ring of ${R}`,
    );
  if (!(ratio >= 0) || !Number.isFinite(ratio))
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `penRatio must be a finite number ≥ 0, got ${ratio}`,
    );
  const area = drawableRect(machine);
  const pageArea = {
    x: machine.margins.left,
    y: machine.margins.top,
    width: area.width,
    height: area.height,
  };
  const size = options.size ?? Math.min(pageArea.width, pageArea.height);
  const centre = options.centre ?? {
    x: pageArea.x + pageArea.width / 2,
    y: pageArea.y + pageArea.height / 2,
  };
  const maxSegment = options.maxSegment ?? 0.5;
  if (!(size > 0) || !Number.isFinite(size))
    throw new PolargraphError("INVALID_ARGUMENT", `size must be a positive number, got ${size}`);
  if (!(maxSegment > 0))
    throw new PolargraphError("INVALID_ARGUMENT", `maxSegment must be positive, got ${maxSegment}`);
  const half = size / 2;
  if (
    centre.x - half < pageArea.x - 1e-9 ||
    centre.x + half > pageArea.x + pageArea.width + 1e-9 ||
    centre.y - half < pageArea.y - 1e-9 ||
    centre.y + half > pageArea.y + pageArea.height + 1e-9
  )
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `a ${size} mm figure at (${centre.x}, ${centre.y}) leaves the page less its margins`,
      { points: [centre] },
    );
  const sign = kind === "hypotrochoid" ? -1 : 1;
  const a = R + sign * r; // distance of the wheel's centre from the ring's centre (in teeth)
  const d = ratio * r;
  const extent = a + d;
  const scale = half / extent;
  const k = a / r;
  const turns = r / gcd(R, r);
  const tEnd = 2 * Math.PI * turns;
  // the pen's speed is at most a + d·k per radian (teeth), so this many steps keep pieces short
  const steps = Math.max(16, Math.ceil((tEnd * (a + d * k) * scale) / maxSegment));
  const out: Polyline = new Array(steps + 1);
  for (let i = 0; i <= steps; i++) {
    const t = (tEnd * i) / steps;
    const x = a * Math.cos(t) - sign * d * Math.cos(k * t);
    const y = a * Math.sin(t) - d * Math.sin(k * t);
    out[i] = { x: centre.x + x * scale, y: centre.y + y * scale };
  }
  return out;
}

/** Seeded spirograph parameters: gears from a 24–144-tooth set, a pen hole from 0.3 to 0.95 of the wheel. */
export function randomSpirographOptions(
  seed: number,
): Required<Pick<SpirographOptions, "kind" | "ringTeeth" | "wheelTeeth" | "penRatio">> {
  let s = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 2 ** 32;
  };
  const rings = [96, 105, 120, 144];
  const wheels = [24, 30, 32, 36, 40, 42, 45, 48, 52, 56, 60, 63, 64, 72, 75, 80, 84];
  const kind = next() < 0.75 ? "hypotrochoid" : "epitrochoid";
  const ringTeeth = rings[Math.floor(next() * rings.length)] as number;
  const wheelTeeth = wheels[Math.floor(next() * wheels.length)] as number;
  const penRatio = Math.round((0.3 + next() * 0.65) * 100) / 100;
  return { kind, ringTeeth, wheelTeeth, penRatio };
}
