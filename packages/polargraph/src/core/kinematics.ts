import { PolargraphError } from "../errors.js";
import type { Point } from "./geometry.js";
import type { Machine } from "./machine.js";

/** Cord lengths, left and right, in millimetres. */
export interface CordLengths {
  left: number;
  right: number;
}

/** Cord lengths in millimetres and in motor steps for one pen position. */
export interface CordPosition extends CordLengths {
  /** Left motor position in (micro)steps, rounded to the step the motor can take. */
  leftSteps: number;
  /** Right motor position in (micro)steps, rounded. */
  rightSteps: number;
  /** Left position in steps before rounding. */
  leftStepsExact: number;
  /** Right position in steps before rounding. */
  rightStepsExact: number;
  /** Distance in mm between the asked point and where the rounded steps put the pen. */
  quantisationError: number;
}

/**
 * Precomputed constants of a machine's kinematics. Spool build-up: the spool radius grows by
 * `cordThickness` per turn wound on (an Archimedean spiral, r(θ) = r₀ + tθ/2π), so winding θ
 * radians takes up w(θ) = r₀θ + tθ²/4π of cord. r₀ is the radius at the home position, where the
 * motor positions are L/(π·d) steps per mm exactly.
 */
export interface Constants {
  ox: number;
  oy: number;
  span: number;
  r0: number;
  t: number;
  stepsPerRadian: number;
  homeLeft: number;
  homeRight: number;
  homeLeftSteps: number;
  homeRightSteps: number;
}

const cache = new WeakMap<Machine, Constants>();

/** @internal Precomputed kinematic constants of a machine (cached per machine object). */
export function constants(m: Machine): Constants {
  let c = cache.get(m);
  if (c) return c;
  const ox = m.penOffset.x;
  const oy = m.penOffset.y;
  const span = m.motorDistance - 2 * ox;
  const stepsPerRev = m.stepsPerRevolution * m.microstepping;
  const homeLeft = Math.hypot(m.home.x - ox, m.home.y - oy);
  const homeRight = Math.hypot(m.motorDistance - m.home.x - ox, m.home.y - oy);
  const perMm = stepsPerRev / (Math.PI * m.spoolDiameter);
  c = {
    ox,
    oy,
    span,
    r0: m.spoolDiameter / 2,
    t: m.cordThickness,
    stepsPerRadian: stepsPerRev / (2 * Math.PI),
    homeLeft,
    homeRight,
    homeLeftSteps: homeLeft * perMm,
    homeRightSteps: homeRight * perMm,
  };
  cache.set(m, c);
  return c;
}

/** Left and right cord lengths (mm) for a pen position in machine mm; no checks, for hot loops. */
export function cordLengthsOf(m: Machine, x: number, y: number): CordLengths {
  const c = constants(m);
  const dy = y - c.oy;
  return { left: Math.hypot(x - c.ox, dy), right: Math.hypot(m.motorDistance - c.ox - x, dy) };
}

/** Pen position (machine mm) for cord lengths; NaN y when the cords cannot meet. */
export function penPositionOf(m: Machine, left: number, right: number): Point {
  const c = constants(m);
  const X = (left * left - right * right + c.span * c.span) / (2 * c.span);
  const Y = Math.sqrt(left * left - X * X);
  return { x: X + c.ox, y: Y + c.oy };
}

/** Spool rotation (radians, positive winding on) that changes the cord from `home` to `length`. */
function windAngle(c: Constants, home: number, length: number): number {
  const wound = home - length;
  if (c.t === 0) return wound / c.r0;
  const disc = c.r0 * c.r0 + (c.t * wound) / Math.PI;
  if (disc < 0) return Number.NaN;
  return ((Math.sqrt(disc) - c.r0) * 2 * Math.PI) / c.t;
}

function woundLength(c: Constants, theta: number): number {
  return c.r0 * theta + (c.t * theta * theta) / (4 * Math.PI);
}

/** Motor position in steps (fractional) for a cord length. */
export function lengthToSteps(m: Machine, side: "left" | "right", length: number): number {
  const c = constants(m);
  const home = side === "left" ? c.homeLeft : c.homeRight;
  const homeSteps = side === "left" ? c.homeLeftSteps : c.homeRightSteps;
  return homeSteps - windAngle(c, home, length) * c.stepsPerRadian;
}

/** Cord length in mm for a motor position in steps. */
export function stepsToLength(m: Machine, side: "left" | "right", steps: number): number {
  const c = constants(m);
  const home = side === "left" ? c.homeLeft : c.homeRight;
  const homeSteps = side === "left" ? c.homeLeftSteps : c.homeRightSteps;
  return home - woundLength(c, (homeSteps - steps) / c.stepsPerRadian);
}

/** Spool radius (mm) at a cord length: r₀ at home, growing as cord winds on. */
export function spoolRadiusAt(m: Machine, side: "left" | "right", length: number): number {
  const c = constants(m);
  const theta = windAngle(c, side === "left" ? c.homeLeft : c.homeRight, length);
  return c.r0 + (c.t * theta) / (2 * Math.PI);
}

/**
 * Cord lengths (mm) and motor positions (steps) for a pen position in machine mm, with spool
 * build-up and the gondola's pen offset. `quantisationError` is how far the rounded steps put the
 * pen from `p`. Throws `UNREACHABLE` (with the point) above the cord attachment line, or where
 * the spool would unwind past its core.
 */
export function toCords(machine: Machine, p: Point): CordPosition {
  if (!Number.isFinite(p.x) || !Number.isFinite(p.y))
    throw new PolargraphError("INVALID_ARGUMENT", `point (${p.x}, ${p.y}) is not finite`, {
      points: [p],
    });
  const c = constants(machine);
  if (p.y - c.oy <= 0)
    throw new PolargraphError("UNREACHABLE", `point (${p.x}, ${p.y}) mm is not below the motors`, {
      points: [p],
    });
  const { left, right } = cordLengthsOf(machine, p.x, p.y);
  const leftStepsExact = lengthToSteps(machine, "left", left);
  const rightStepsExact = lengthToSteps(machine, "right", right);
  if (Number.isNaN(leftStepsExact) || Number.isNaN(rightStepsExact))
    throw new PolargraphError(
      "UNREACHABLE",
      `point (${p.x}, ${p.y}) mm needs more cord than the spool holds at its core (spool build-up model)`,
      { points: [p] },
    );
  const leftSteps = Math.round(leftStepsExact);
  const rightSteps = Math.round(rightStepsExact);
  const q = penPositionOf(
    machine,
    stepsToLength(machine, "left", leftSteps),
    stepsToLength(machine, "right", rightSteps),
  );
  return {
    left,
    right,
    leftSteps,
    rightSteps,
    leftStepsExact,
    rightStepsExact,
    quantisationError: Math.hypot(q.x - p.x, q.y - p.y),
  };
}

/**
 * Pen position in machine mm for cord lengths in mm (the inverse of {@link toCords}). Throws
 * `UNREACHABLE` when the cords cannot meet below the motors (one longer than the other plus the
 * span, or together shorter than the span).
 */
export function toXY(machine: Machine, cords: CordLengths): Point {
  const { left, right } = cords;
  const c = constants(machine);
  if (!(left > 0) || !(right > 0) || left + right <= c.span || Math.abs(left - right) >= c.span)
    throw new PolargraphError(
      "UNREACHABLE",
      `cords left ${left} mm and right ${right} mm cannot meet below the motors ${c.span} mm apart`,
    );
  return penPositionOf(machine, left, right);
}

/** Pen position in machine mm for motor positions in steps. */
export function stepsToXY(machine: Machine, steps: { left: number; right: number }): Point {
  return toXY(machine, {
    left: stepsToLength(machine, "left", steps.left),
    right: stepsToLength(machine, "right", steps.right),
  });
}
