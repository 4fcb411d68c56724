// Messages between the studio page and its preview worker.
import type { MachineInput } from "../core/machine.js";
import type { StyleValues } from "../services/studio/styles.js";

/** A picture or a drawing to preview. */
export type SourceMessage =
  | { type: "source"; kind: "image"; name: string; blob: Blob }
  | { type: "source"; kind: "svg"; name: string; text: string };

/** Render the current source in a style. */
export interface RenderMessage {
  type: "render";
  id: number;
  machine: MachineInput;
  /** A picture style name, or "paths" for an SVG drawn as it is. */
  style: string;
  values: StyleValues;
}

export type ToWorker = SourceMessage | RenderMessage;

export type FromWorker =
  | { type: "source"; ok: true; name: string; width: number; height: number; kind: "image" | "svg" }
  | { type: "source"; ok: false; name: string; message: string }
  | {
      type: "lines";
      id: number;
      /** x, y pairs of every line, page mm. */
      coords: Float32Array;
      /** Index (in points) where each line starts, plus the total at the end. */
      starts: Uint32Array;
      renderMs: number;
    }
  | {
      type: "stats";
      id: number;
      lines: number;
      penDownMm: number;
      penUpMm: number;
      durationMs: number;
      moveCount: number;
      warnings: string[];
      planMs: number;
    }
  | { type: "error"; id: number; message: string; path?: string; code?: string };
