// The studio server's planning thread: plans strokes and encodes them, so a large download or
// plot start never stalls the server's event loop (and with it a running plot's progress).
import { parentPort } from "node:worker_threads";
import type { PlotterProtocol } from "../../adapters/stream.js";
import type { Point } from "../../core/geometry.js";
import { parseMachine } from "../../core/machine.js";
import { planDrawing } from "../../core/planner.js";
import { isPolargraphError } from "../../errors.js";
import { planToSvg } from "../../output/svg.js";
import { planCommands } from "./encode.js";

/** A planning request: the machine, strokes as flat x, y arrays (page mm) and what to encode. */
export interface PlanRequest {
  id: number;
  machine: unknown;
  strokes: Float64Array[];
  output: PlotterProtocol | "svg";
}

/** The answer: commands or an SVG document, with the time estimate; or the error. */
export type PlanReply =
  | { id: number; ok: true; commands?: string[]; svg?: string; durationMs: number }
  | { id: number; ok: false; code?: string; message: string; path?: string };

parentPort?.on("message", (req: PlanRequest) => {
  try {
    const strokes = req.strokes.map((flat) => {
      const line: Point[] = [];
      for (let k = 0; k + 1 < flat.length; k += 2)
        line.push({ x: flat[k] as number, y: flat[k + 1] as number });
      return line;
    });
    const plan = planDrawing(parseMachine(req.machine), strokes, { outOfPage: "clip" });
    const reply: PlanReply =
      req.output === "svg"
        ? {
            id: req.id,
            ok: true,
            svg: planToSvg(plan, { showTravel: false }),
            durationMs: plan.durationMs,
          }
        : {
            id: req.id,
            ok: true,
            commands: planCommands(plan, req.output),
            durationMs: plan.durationMs,
          };
    parentPort?.postMessage(reply);
  } catch (error) {
    parentPort?.postMessage({
      id: req.id,
      ok: false,
      code: isPolargraphError(error) ? error.code : undefined,
      message: (error as Error).message,
      path: isPolargraphError(error) ? error.path : undefined,
    } satisfies PlanReply);
  }
});
