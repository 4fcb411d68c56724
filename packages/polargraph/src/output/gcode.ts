import type { Point } from "../core/geometry.js";
import { lengthToSteps } from "../core/kinematics.js";
import { mmPerStep } from "../core/machine.js";
import type { Plan } from "../core/planner.js";
import { PolargraphError } from "../errors.js";

/** Millimetres to three decimals, shortest form ("12.5", not "12.500"). */
function f(n: number): string {
  const r = Math.round(n * 1000) / 1000;
  return r === 0 ? "0" : String(r);
}

/** Options of {@link toMarlin}. */
export interface MarlinOutputOptions {
  /**
   * Machine point (mm) that becomes G-code (0, 0); G-code Y grows upwards, as in Makelangelo.
   * @defaultValue the midpoint between the motor pivots
   */
  origin?: Point;
  /** Servo index for M280. @defaultValue 0 */
  servo?: number;
}

/**
 * Makelangelo/Marlin (POLARGRAPH kinematics) G-code: `G0`/`G1 X Y F` in millimetres on the
 * board (F in mm/min), `M280 P<servo> S<angle>` for the pen followed by `G4 P<ms>` for its
 * delay. The firmware turns XY into cord lengths itself; our segmentation points are kept so
 * the path is the planned one.
 */
export function toMarlin(plan: Plan, options: MarlinOutputOptions = {}): string[] {
  const m = plan.machine;
  const origin = options.origin ?? { x: m.motorDistance / 2, y: 0 };
  const servo = options.servo ?? 0;
  if (!Number.isInteger(servo) || servo < 0)
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `servo must be a non-negative integer, got ${servo}`,
    );
  const X = (p: Point) => f(p.x - origin.x);
  const Y = (p: Point) => f(origin.y - p.y);
  const out = [
    "; @tinkerbox/polargraph: Marlin/Makelangelo",
    `; machine ${m.name}, origin at (${f(origin.x)}, ${f(origin.y)}) mm, Y up`,
    "G21",
    "G90",
    `M280 P${servo} S${Math.round(m.pen.upAngle)}`,
    `G4 P${Math.round(m.pen.upDelayMs)}`,
    `G92 X${X(m.home)} Y${Y(m.home)}`,
  ];
  const drawF = Math.round(m.drawSpeed * 60);
  const travelF = Math.round(m.travelSpeed * 60);
  for (const step of plan.steps) {
    if (step.type === "pen") {
      out.push(`M280 P${servo} S${Math.round(step.down ? m.pen.downAngle : m.pen.upAngle)}`);
      out.push(`G4 P${Math.round(step.durationMs)}`);
      continue;
    }
    out.push(
      step.pen === "down"
        ? `G1 X${X(step.to)} Y${Y(step.to)} F${drawF}`
        : `G0 X${X(step.to)} Y${Y(step.to)} F${travelF}`,
    );
  }
  return out;
}

/** Options of {@link toGrbl}. */
export interface GrblOutputOptions {
  /** Pen command: `M3 S<angle>` (grbl servo builds) or the Z axis (`G0 Z<angle>`). @defaultValue "spindle" */
  pen?: "spindle" | "z";
}

/**
 * GRBL G-code for a polargraph wired as two linear axes: X is the left cord and Y the right cord,
 * in nominal millimetres (motor steps ÷ steps per mm, so set `$100` = `$101` = steps/rev ×
 * microsteps ÷ (π × spool diameter)); spool build-up is already in the step counts. `G92` sets
 * the home cord lengths; `G1 … F` uses each move's planned top cord speed (mm/min); the pen is
 * `M3 S<angle>` (or Z) followed by `G4 P<seconds>`.
 */
export function toGrbl(plan: Plan, options: GrblOutputOptions = {}): string[] {
  const m = plan.machine;
  const perStep = mmPerStep(m);
  const pen = options.pen ?? "spindle";
  const nominal = (side: "left" | "right", length: number) =>
    f(Math.round(lengthToSteps(m, side, length)) * perStep);
  const homeL = Math.hypot(m.home.x - m.penOffset.x, m.home.y - m.penOffset.y);
  const homeR = Math.hypot(m.motorDistance - m.home.x - m.penOffset.x, m.home.y - m.penOffset.y);
  const penLine = (down: boolean) => {
    const angle = Math.round(down ? m.pen.downAngle : m.pen.upAngle);
    return pen === "z" ? `G0 Z${angle}` : `M3 S${angle}`;
  };
  const out = [
    "; @tinkerbox/polargraph: GRBL, X = left cord, Y = right cord",
    `; $100=$101=${f(1 / perStep)} steps/mm`,
    "G21",
    "G90",
    penLine(false),
    `G4 P${f(m.pen.upDelayMs / 1000)}`,
    `G92 X${nominal("left", homeL)} Y${nominal("right", homeR)}`,
  ];
  for (const step of plan.steps) {
    if (step.type === "pen") {
      out.push(penLine(step.down));
      out.push(`G4 P${f(step.durationMs / 1000)}`);
      continue;
    }
    const x = nominal("left", step.left);
    const y = nominal("right", step.right);
    out.push(
      step.pen === "down"
        ? `G1 X${x} Y${y} F${Math.max(1, Math.round(step.maxSpeed * 60))}`
        : `G0 X${x} Y${y}`,
    );
  }
  return out;
}
