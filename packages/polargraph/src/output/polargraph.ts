import { lengthToSteps } from "../core/kinematics.js";
import { mmPerStep } from "../core/machine.js";
import type { Plan } from "../core/planner.js";
import { PolargraphError } from "../errors.js";

/**
 * The polargraph_server (Polargraph, euphy/polargraph_server_a1) input buffer holds INLENGTH = 50
 * bytes including the string terminator, so a command has at most 49 characters before its newline.
 */
export const POLARGRAPH_MAX_COMMAND_LENGTH = 49;

/** Options of {@link toPolargraph}. */
export interface PolargraphOutputOptions {
  /**
   * Longest straight piece, in steps, the server cuts each C17 line into (its third parameter).
   * Our moves are already segmented to the tolerance, so this only smooths the server's own
   * motor speed changes. @defaultValue 2
   */
  maxSegmentSteps?: number;
  /** Send the machine settings (size, mm per rev, steps per rev, speed, acceleration) first. @defaultValue true */
  setup?: boolean;
}

/**
 * Polargraph server commands for a plan: `C09` sets the motors' positions at home, `C13`/`C14`
 * lower and raise the pen (servo angle as parameter), `C17` draws a straight line to native
 * motor positions (steps). Each command ends in `,END`, is at most 49 characters, and the
 * server answers `READY` after each (see {@link streamToPlotter}).
 */
export function toPolargraph(plan: Plan, options: PolargraphOutputOptions = {}): string[] {
  const m = plan.machine;
  const seg = options.maxSegmentSteps ?? 2;
  if (!Number.isInteger(seg) || seg < 1)
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `maxSegmentSteps must be a positive integer, got ${seg}`,
    );
  const stepsPerRev = m.stepsPerRevolution * m.microstepping;
  const perStep = mmPerStep(m);
  const out: string[] = [];
  if (options.setup ?? true) {
    const height = Math.ceil(m.page.y + m.page.height + m.margins.bottom + 50);
    out.push(`C24,${Math.round(m.motorDistance)},${height},END`);
    out.push(`C29,${(Math.PI * m.spoolDiameter).toFixed(3)},END`);
    out.push(`C30,${stepsPerRev},END`);
    out.push("C37,1,END");
    const speed = Math.min(m.motors.left.maxSpeed, m.motors.right.maxSpeed) / perStep;
    const accel = Math.min(m.motors.left.maxAcceleration, m.motors.right.maxAcceleration) / perStep;
    out.push(`C31,${Math.round(speed)},END`);
    out.push(`C32,${Math.round(accel)},END`);
  }
  const homeL = Math.round(
    lengthToSteps(m, "left", Math.hypot(m.home.x - m.penOffset.x, m.home.y - m.penOffset.y)),
  );
  const homeR = Math.round(
    lengthToSteps(
      m,
      "right",
      Math.hypot(m.motorDistance - m.home.x - m.penOffset.x, m.home.y - m.penOffset.y),
    ),
  );
  out.push(`C14,${Math.round(m.pen.upAngle)},END`);
  out.push(`C09,${homeL},${homeR},END`);
  let lastL = homeL;
  let lastR = homeR;
  for (const step of plan.steps) {
    if (step.type === "pen") {
      out.push(
        step.down
          ? `C13,${Math.round(m.pen.downAngle)},END`
          : `C14,${Math.round(m.pen.upAngle)},END`,
      );
      continue;
    }
    const l = Math.round(lengthToSteps(m, "left", step.left));
    const r = Math.round(lengthToSteps(m, "right", step.right));
    if (l === lastL && r === lastR) continue;
    out.push(`C17,${l},${r},${seg},END`);
    lastL = l;
    lastR = r;
  }
  out.forEach((line, i) => {
    if (line.length > POLARGRAPH_MAX_COMMAND_LENGTH)
      throw new PolargraphError(
        "LINE_TOO_LONG",
        `command ${i} "${line}" has ${line.length} characters; polargraph_server takes at most ${POLARGRAPH_MAX_COMMAND_LENGTH}`,
        { line: i },
      );
  });
  return out;
}
