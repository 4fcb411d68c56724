import {
  boundingBox,
  type HalfPlane,
  halfPlanes,
  nearestFeasiblePoint,
  type Point,
  type Polygon,
  type Rect,
} from "./geometry.js";
import type { ResolvedMetadata } from "./metadata.js";

/** How an image sits in a panel, in printer dots. */
export interface Placement {
  /** Clockwise turn of the image in degrees: 0, 90, 180 or 270. */
  rotation: number;
  /** Printer dots per image pixel. */
  scale: number;
  /** Top-left corner of the (turned) image on the page. */
  x: number;
  y: number;
  /** Size of the (turned) image on the page. */
  width: number;
  height: number;
  /** The region of interest on the page, wholly inside the panel polygon; null without one. */
  roi: Rect | null;
}

/** A rectangle of an image of size `width`×`height` after turning the image clockwise. */
export function rotateRect(rect: Rect, width: number, height: number, rotation: number): Rect {
  switch (rotation) {
    case 90:
      return {
        x: height - rect.y - rect.height,
        y: rect.x,
        width: rect.height,
        height: rect.width,
      };
    case 180:
      return {
        x: width - rect.x - rect.width,
        y: height - rect.y - rect.height,
        width: rect.width,
        height: rect.height,
      };
    case 270:
      return { x: rect.y, y: width - rect.x - rect.width, width: rect.height, height: rect.width };
    default:
      return rect;
  }
}

/** A point of an image of size `width`×`height` after turning the image clockwise. */
export function rotatePoint([x, y]: Point, width: number, height: number, rotation: number): Point {
  switch (rotation) {
    case 90:
      return [height - y, x];
    case 180:
      return [width - x, height - y];
    case 270:
      return [y, width - x];
    default:
      return [x, y];
  }
}

/**
 * Where an image goes in a panel, or null when its rules do not allow this panel.
 *
 * - `cover`: the smallest scale at which the image covers the panel's bounding box (at least
 *   `minScale`); the anchor point of the image meets the anchor point of the box, then the image
 *   shifts as little as needed for the region of interest to lie wholly inside the panel polygon
 *   while still covering the box. A slightly bigger scale is tried when the shift is not enough.
 * - `contain`: the largest scale (at most `maxScale`) at which the image lies inside the box and
 *   its region of interest (default: the whole image) inside the polygon.
 */
export function placeImage(
  panel: Polygon,
  image: { width: number; height: number },
  meta: ResolvedMetadata,
  rotation: number,
): Placement | null {
  const box = boundingBox(panel);
  const turned = rotation === 90 || rotation === 270;
  const W = turned ? image.height : image.width;
  const H = turned ? image.width : image.height;
  const roi = meta.roi ? rotateRect(meta.roi, image.width, image.height, rotation) : null;
  const anchor = rotatePoint(meta.anchor, 1, 1, rotation);
  const planes = halfPlanes(panel);

  const tryScale = (scale: number): Placement | null => {
    const w = W * scale;
    const h = H * scale;
    const target: Point = [
      box.x + (box.width - w) * anchor[0],
      box.y + (box.height - h) * anchor[1],
    ];
    const constraints: HalfPlane[] = [];
    if (meta.fit === "cover") {
      // x in [box.right - w, box.x], y in [box.bottom - h, box.y]: the image covers the box.
      constraints.push(
        { a: -1, b: 0, c: -box.x },
        { a: 1, b: 0, c: box.x + box.width - w },
        { a: 0, b: -1, c: -box.y },
        { a: 0, b: 1, c: box.y + box.height - h },
      );
    } else {
      constraints.push(
        { a: 1, b: 0, c: box.x },
        { a: -1, b: 0, c: -(box.x + box.width - w) },
        { a: 0, b: 1, c: box.y },
        { a: 0, b: -1, c: -(box.y + box.height - h) },
      );
    }
    const visible = roi ?? (meta.fit === "contain" ? { x: 0, y: 0, width: W, height: H } : null);
    if (visible) {
      const rx = visible.x * scale;
      const ry = visible.y * scale;
      const rw = visible.width * scale;
      const rh = visible.height * scale;
      // Every corner of the ROI (image top-left + offset) satisfies every edge of the polygon.
      for (const p of planes)
        constraints.push({
          a: p.a,
          b: p.b,
          c: p.c - p.a * rx - p.b * ry - Math.min(0, p.a) * rw - Math.min(0, p.b) * rh,
        });
    }
    const at = nearestFeasiblePoint(target, constraints);
    if (!at) return null;
    return {
      rotation,
      scale,
      x: at[0],
      y: at[1],
      width: w,
      height: h,
      roi: roi
        ? {
            x: at[0] + roi.x * scale,
            y: at[1] + roi.y * scale,
            width: roi.width * scale,
            height: roi.height * scale,
          }
        : null,
    };
  };

  if (meta.fit === "cover") {
    const cover = Math.max(box.width / W, box.height / H, meta.minScale);
    for (const factor of [1, 1.1, 1.25, 1.5]) {
      const scale = cover * factor;
      if (scale > meta.maxScale) break;
      const placed = tryScale(scale);
      if (placed) return placed;
    }
    return null;
  }
  let hi = Math.min(box.width / W, box.height / H, meta.maxScale);
  let lo = meta.minScale;
  if (hi < lo) return null;
  const best = tryScale(hi);
  if (best) return best;
  if (!tryScale(lo)) return null;
  // Feasibility only gets easier as the image shrinks: bisect for the largest feasible scale.
  for (let i = 0; i < 24; i++) {
    const mid = (lo + hi) / 2;
    if (tryScale(mid)) lo = mid;
    else hi = mid;
  }
  return tryScale(lo);
}
