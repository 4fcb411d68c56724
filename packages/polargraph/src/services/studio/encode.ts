import type { PlotterProtocol } from "../../adapters/stream.js";
import type { Plan } from "../../core/planner.js";
import { toGrbl, toMarlin } from "../../output/gcode.js";
import { toPolargraph } from "../../output/polargraph.js";

/** Encodes a plan as the commands of a controller protocol. */
export function planCommands(plan: Plan, protocol: PlotterProtocol): string[] {
  if (protocol === "polargraph") return toPolargraph(plan);
  if (protocol === "grbl") return toGrbl(plan);
  return toMarlin(plan);
}
