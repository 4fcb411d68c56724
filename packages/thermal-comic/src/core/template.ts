import { ThermalComicError } from "../errors.js";
import type { GreyBitmap } from "./bitmap.js";
import {
  boundingBox,
  convexHull,
  insetConvex,
  type Point,
  type Polygon,
  roundPolygon,
  simplifyPolygon,
} from "./geometry.js";
import type { TemplateLayout } from "./layout.js";

/** Options of {@link detectPanels}. */
export interface DetectPanelsOptions {
  /**
   * Pixels darker than this are ink.
   * @defaultValue 128
   */
  inkThreshold?: number;
  /**
   * Smallest panel, as a fraction of the image area; smaller paper regions (letters, blots) are ignored.
   * @defaultValue 0.01
   */
  minAreaFraction?: number;
  /**
   * Gaps in the drawn lines up to this many pixels are closed before regions are found, so a
   * quick sketch with a break in a border does not merge two panels.
   * @defaultValue 0.4% of the image width, at least 1
   */
  closeGaps?: number;
  /**
   * Grow each detected panel by this many pixels, so the picture runs under the drawn line
   * instead of leaving a white seam.
   * @defaultValue half the gap closing plus 1
   */
  bleed?: number;
}

/**
 * Finds the panels of a hand-drawn empty grid: regions of paper completely enclosed by ink
 * (regions touching the image edge are the page around the grid), at least `minAreaFraction`
 * of the image. Each region becomes the convex hull of its pixels, simplified to a few corners.
 */
export function detectPanels(image: GreyBitmap, options: DetectPanelsOptions = {}): TemplateLayout {
  const { width, height, data } = image;
  const threshold = options.inkThreshold ?? 128;
  const minArea = (options.minAreaFraction ?? 0.01) * width * height;
  const close = Math.max(0, Math.round(options.closeGaps ?? Math.max(1, width * 0.004)));
  const bleed = options.bleed ?? close / 2 + 1;
  if (data.length !== width * height)
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `bitmap data has ${data.length} bytes, expected ${width}×${height}`,
    );
  let ink: Uint8Array = new Uint8Array(width * height);
  for (let i = 0; i < ink.length; i++) ink[i] = (data[i] as number) < threshold ? 1 : 0;
  if (close > 0) ink = dilate(ink, width, height, close);

  const labels = new Int32Array(width * height).fill(-1);
  const stack = new Int32Array(width * height);
  const panels: Polygon[] = [];
  let label = 0;
  for (let start = 0; start < ink.length; start++) {
    if (ink[start] || labels[start] !== -1) continue;
    let top = 0;
    stack[top++] = start;
    labels[start] = label;
    let size = 0;
    let touchesEdge = false;
    const rowMin = new Map<number, number>();
    const rowMax = new Map<number, number>();
    while (top > 0) {
      const p = stack[--top] as number;
      size++;
      const x = p % width;
      const y = (p - x) / width;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) touchesEdge = true;
      const lo = rowMin.get(y);
      if (lo === undefined || x < lo) rowMin.set(y, x);
      const hi = rowMax.get(y);
      if (hi === undefined || x > hi) rowMax.set(y, x);
      if (x > 0) top = visit(p - 1, top);
      if (x < width - 1) top = visit(p + 1, top);
      if (y > 0) top = visit(p - width, top);
      if (y < height - 1) top = visit(p + width, top);
    }
    if (!touchesEdge && size >= minArea) {
      const points: Point[] = [];
      for (const [y, lo] of rowMin) {
        const hi = rowMax.get(y) as number;
        points.push([lo, y], [hi + 1, y], [lo, y + 1], [hi + 1, y + 1]);
      }
      let hull = convexHull(points);
      const box = boundingBox(hull);
      hull = simplifyPolygon(hull, Math.max(1.5, Math.min(box.width, box.height) * 0.015));
      const grown = insetConvex(hull, -(close + bleed), {
        x: box.x - close - bleed - 2,
        y: box.y - close - bleed - 2,
        width: box.width + 2 * (close + bleed + 2),
        height: box.height + 2 * (close + bleed + 2),
      });
      panels.push(roundPolygon(grown.length >= 3 ? grown : hull));
    }
    label++;
  }
  if (panels.length === 0)
    throw new ThermalComicError(
      "INVALID_LAYOUT",
      `no panels found in the ${width}×${height} grid image: no paper region enclosed by ink covers at least ${Math.round(minArea)} pixels (is the grid drawn dark on light paper, with closed borders?)`,
    );
  return { width, height, panels };

  function visit(q: number, top: number): number {
    if (!ink[q] && labels[q] === -1) {
      labels[q] = label;
      stack[top++] = q;
    }
    return top;
  }
}

/** Square dilation of a 0/1 mask by `radius` (two separable sliding-window passes). */
function dilate(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const horizontal = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let count = 0;
    for (let x = 0; x < Math.min(radius, width); x++) count += mask[row + x] as number;
    for (let x = 0; x < width; x++) {
      if (x + radius < width) count += mask[row + x + radius] as number;
      if (x - radius - 1 >= 0) count -= mask[row + x - radius - 1] as number;
      horizontal[row + x] = count > 0 ? 1 : 0;
    }
  }
  const out = new Uint8Array(mask.length);
  for (let x = 0; x < width; x++) {
    let count = 0;
    for (let y = 0; y < Math.min(radius, height); y++) count += horizontal[y * width + x] as number;
    for (let y = 0; y < height; y++) {
      if (y + radius < height) count += horizontal[(y + radius) * width + x] as number;
      if (y - radius - 1 >= 0) count -= horizontal[(y - radius - 1) * width + x] as number;
      out[y * width + x] = count > 0 ? 1 : 0;
    }
  }
  return out;
}
