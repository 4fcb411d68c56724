// What the studio shows for a picture: its lines after optimisation and the plan's lengths and
// time. Pure, so the browser's preview worker runs exactly what the server runs.
import { fitToPage } from "../../core/fit.js";
import type { Polyline } from "../../core/geometry.js";
import { type GreyGrid, greyGridFromPixels } from "../../core/grey.js";
import type { Machine } from "../../core/machine.js";
import { optimizePaths } from "../../core/optimize.js";
import { type Plan, planDrawing } from "../../core/planner.js";
import { resolveStyle, type StyleValues } from "./styles.js";

/** A planned picture, summarised for the page. */
export interface StudioPreview {
  /** The lines to draw, page mm, in plotting order. */
  strokes: Polyline[];
  /** Lines drawn. */
  lines: number;
  /** Pen-down path length, mm. */
  penDownMm: number;
  /** Pen-up travel, mm. */
  penUpMm: number;
  /** Estimated plot time, ms. */
  durationMs: number;
  /** Moves after segmentation. */
  moveCount: number;
  /** Messages about points outside the good drawing area. */
  warnings: string[];
  /** Time spent rendering, optimising and planning, ms. */
  computeMs: { render: number; optimize: number; plan: number };
}

/**
 * Merges touching lines and orders them from the home position to cut pen-up travel (the
 * package's `optimizePaths`, without its before/after time estimate).
 */
export function optimizeStrokes(machine: Machine, strokes: readonly Polyline[]): Polyline[] {
  const start = { x: machine.home.x - machine.page.x, y: machine.home.y - machine.page.y };
  return optimizePaths(strokes, { start }).strokes;
}

/** Optimises and plans strokes (page mm; points off the page are clipped) and summarises them. */
export function previewStrokes(
  machine: Machine,
  strokes: readonly Polyline[],
  renderMs = 0,
): { preview: StudioPreview; plan: Plan } {
  const t0 = performance.now();
  const optimized = optimizeStrokes(machine, strokes);
  const t1 = performance.now();
  const plan = planDrawing(machine, optimized, { outOfPage: "clip" });
  const t2 = performance.now();
  return {
    plan,
    preview: {
      strokes: plan.strokes,
      lines: plan.strokes.length,
      penDownMm: plan.drawLength,
      penUpMm: plan.travelLength,
      durationMs: plan.durationMs,
      moveCount: plan.moveCount,
      warnings: plan.warnings.map((w) => w.message),
      computeMs: { render: renderMs, optimize: t1 - t0, plan: t2 - t1 },
    },
  };
}

/** 8-bit grey pixels (0 black – 255 white), row-major. */
export interface GreyPixels {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/**
 * Renders a picture in a style (parameters checked against the style's schema, defaults filled),
 * then optimises and plans it. Throws `INVALID_ARGUMENT` for bad parameters.
 */
export function previewPicture(
  machine: Machine,
  image: GreyPixels,
  style: string,
  values: StyleValues = {},
  cache?: { key?: string; grid?: GreyGrid },
): { preview: StudioPreview; plan: Plan } {
  const resolved = resolveStyle(style, values);
  const t0 = performance.now();
  const key = JSON.stringify(resolved.grid);
  let grid = cache?.key === key ? cache.grid : undefined;
  if (!grid) {
    grid = greyGridFromPixels(image.pixels, image.width, image.height, resolved.grid);
    if (cache) {
      cache.key = key;
      cache.grid = grid;
    }
  }
  const lines = resolved.style.render(machine, grid, resolved.render);
  return previewStrokes(machine, lines, performance.now() - t0);
}

/** Fits an SVG's strokes to the page less its margins, then optimises and plans them. */
export function previewDrawing(
  machine: Machine,
  strokes: readonly Polyline[],
  fit = true,
): { preview: StudioPreview; plan: Plan } {
  const t0 = performance.now();
  const placed = fit ? fitToPage(machine, strokes) : [...strokes];
  return previewStrokes(machine, placed, performance.now() - t0);
}
