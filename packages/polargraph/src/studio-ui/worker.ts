/// <reference lib="dom" />
// The studio's preview worker: decodes the picture, renders it in the chosen style, optimises and
// plans it with the package's own code, off the page's main thread. The page terminates and
// restarts it when a newer request arrives while it is busy, so stale work never finishes.

import { fitToPage } from "../core/fit.js";
import type { Polyline } from "../core/geometry.js";
import { type GreyGrid, greyGridFromPixels } from "../core/grey.js";
import { parseMachine } from "../core/machine.js";
import { planDrawing } from "../core/planner.js";
import { isPolargraphError } from "../errors.js";
import { parseSvg } from "../input/svg.js";
import { optimizeStrokes } from "../services/studio/preview.js";
import { resolveStyle } from "../services/studio/styles.js";
import type { FromWorker, RenderMessage, ToWorker } from "./protocol.js";

interface Scope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
}
const scope = globalThis as unknown as Scope;

/** Largest side a picture is decoded at; a grid needs far fewer pixels. */
const MAX_SIDE = 2000;

let image: { pixels: Uint8Array; width: number; height: number } | undefined;
let drawing: Polyline[] | undefined;
let gridCache: { key: string; grid: GreyGrid } | undefined;
/** Settles when the last source is decoded; renders wait for it. */
let sourceReady: Promise<unknown> = Promise.resolve();

async function decode(blob: Blob): Promise<{ pixels: Uint8Array; width: number; height: number }> {
  const probe = await createImageBitmap(blob);
  const scale = Math.min(1, MAX_SIDE / Math.max(probe.width, probe.height));
  const width = Math.max(1, Math.round(probe.width * scale));
  const height = Math.max(1, Math.round(probe.height * scale));
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d") as OffscreenCanvasRenderingContext2D;
  ctx.fillStyle = "#fff"; // transparency is paper
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(probe, 0, 0, width, height);
  probe.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++)
    pixels[i] = Math.round(
      0.2126 * (rgba[i * 4] as number) +
        0.7152 * (rgba[i * 4 + 1] as number) +
        0.0722 * (rgba[i * 4 + 2] as number),
    );
  return { pixels, width, height };
}

function flatten(strokes: readonly Polyline[]): { coords: Float32Array; starts: Uint32Array } {
  let n = 0;
  for (const l of strokes) n += l.length;
  const coords = new Float32Array(n * 2);
  const starts = new Uint32Array(strokes.length + 1);
  let k = 0;
  strokes.forEach((line, i) => {
    starts[i] = k;
    for (const p of line) {
      coords[2 * k] = p.x;
      coords[2 * k + 1] = p.y;
      k++;
    }
  });
  starts[strokes.length] = k;
  return { coords, starts };
}

function render(msg: RenderMessage): void {
  const machine = parseMachine(msg.machine);
  const t0 = performance.now();
  let strokes: Polyline[];
  if (msg.style === "paths") {
    if (!drawing) throw new Error("drop an SVG drawing first");
    strokes = fitToPage(machine, drawing);
  } else {
    if (!image) throw new Error("drop a picture first");
    const resolved = resolveStyle(msg.style, msg.values);
    const key = JSON.stringify(resolved.grid);
    if (gridCache?.key !== key) {
      const grid = greyGridFromPixels(image.pixels, image.width, image.height, resolved.grid);
      gridCache = { key, grid };
    }
    strokes = resolved.style.render(machine, gridCache.grid, resolved.render);
  }
  const optimized = optimizeStrokes(machine, strokes);
  const renderMs = performance.now() - t0;
  const { coords, starts } = flatten(optimized);
  scope.postMessage({ type: "lines", id: msg.id, coords, starts, renderMs }, [
    coords.buffer,
    starts.buffer,
  ]);
  const t1 = performance.now();
  const plan = planDrawing(machine, optimized, { outOfPage: "clip" });
  scope.postMessage({
    type: "stats",
    id: msg.id,
    lines: plan.strokes.length,
    penDownMm: plan.drawLength,
    penUpMm: plan.travelLength,
    durationMs: plan.durationMs,
    moveCount: plan.moveCount,
    warnings: plan.warnings.slice(0, 5).map((w) => w.message),
    planMs: performance.now() - t1,
  });
}

scope.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === "source") {
    sourceReady = (async () => {
      try {
        gridCache = undefined;
        if (msg.kind === "image") {
          image = await decode(msg.blob);
          drawing = undefined;
          scope.postMessage({
            type: "source",
            ok: true,
            name: msg.name,
            kind: "image",
            width: image.width,
            height: image.height,
          });
        } else {
          const parsed = parseSvg(msg.text);
          if (parsed.strokes.length === 0) throw new Error("the SVG has no shapes to draw");
          drawing = parsed.strokes;
          image = undefined;
          scope.postMessage({
            type: "source",
            ok: true,
            name: msg.name,
            kind: "svg",
            width: 0,
            height: 0,
          });
        }
      } catch (error) {
        const reason = (error as Error).message || String(error);
        scope.postMessage({
          type: "source",
          ok: false,
          name: msg.name,
          message: `${msg.name} cannot be read as ${msg.kind === "svg" ? "an SVG drawing" : "a picture"} (${reason}). Drop a PNG, JPEG, WebP, GIF or SVG file.`,
        });
      }
    })();
    return;
  }
  void sourceReady.then(() => renderAndReport(msg));
};

function renderAndReport(msg: RenderMessage): void {
  try {
    render(msg);
  } catch (error) {
    const e = error as Error;
    scope.postMessage({
      type: "error",
      id: msg.id,
      message: e.message,
      path: isPolargraphError(error) ? error.path : undefined,
      code: isPolargraphError(error) ? error.code : undefined,
    });
  }
}
