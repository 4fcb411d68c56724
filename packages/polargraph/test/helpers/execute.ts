// An independent executor for plans: it runs each move like a stepper controller's speed loop
// (accelerate until it must brake for the exit speed, never above the speed limit it derives
// itself from the machine's motor and feed limits), in fixed time ticks. It takes only the entry
// and exit speeds from the plan and checks they join up.
import type { Machine, Plan } from "../../src/index.js";

export interface Execution {
  ms: number;
  worstSpeedRatio: number;
  discontinuities: number;
}

export function executePlan(machine: Machine, plan: Plan, tickMs = 0.25): Execution {
  const dt = tickMs / 1000;
  let ms = 0;
  let worstSpeedRatio = 0;
  let discontinuities = 0;
  let lastExit = 0;
  for (const step of plan.steps) {
    if (step.type === "pen") {
      ms += step.down ? machine.pen.downDelayMs : machine.pen.upDelayMs;
      if (lastExit > 1e-6) discontinuities++;
      lastExit = 0;
      continue;
    }
    const L = Math.hypot(step.dLeft, step.dRight);
    const fl = Math.abs(step.dLeft) / L;
    const fr = Math.abs(step.dRight) / L;
    const xy = Math.hypot(step.to.x - step.from.x, step.to.y - step.from.y);
    const feed = step.pen === "down" ? machine.drawSpeed : machine.travelSpeed;
    const vLimit = Math.min(
      machine.motors.left.maxSpeed / fl,
      machine.motors.right.maxSpeed / fr,
      (feed * L) / xy,
    );
    const a = Math.min(
      machine.motors.left.maxAcceleration / fl,
      machine.motors.right.maxAcceleration / fr,
    );
    if (Math.abs(step.entrySpeed - lastExit) > 1e-6) discontinuities++;
    let v = step.entrySpeed;
    let s = 0;
    const vx = step.exitSpeed;
    let t = 0;
    while (s < L - 1e-12) {
      const remaining = L - s;
      const target = Math.min(vLimit, Math.sqrt(vx * vx + 2 * a * remaining));
      let next = v < target ? Math.min(target, v + a * dt) : Math.max(target, v - a * dt);
      if (next <= 0) next = Math.min(vLimit, a * dt); // start from rest
      worstSpeedRatio = Math.max(
        worstSpeedRatio,
        (next * fl) / machine.motors.left.maxSpeed,
        (next * fr) / machine.motors.right.maxSpeed,
      );
      const ds = ((v + next) / 2) * dt;
      if (ds >= remaining) {
        t += (remaining / ds) * dt;
        s = L;
      } else {
        s += ds;
        t += dt;
      }
      v = next;
    }
    ms += t * 1000;
    lastExit = vx;
  }
  return { ms, worstSpeedRatio, discontinuities };
}
