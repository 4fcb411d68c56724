// Small pure helpers of the page (no DOM), so they stay easy to read and test.

export type Point = [number, number];
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The rectangle between two canvas points, converted to image pixels (÷ scale), clamped to the
 * image and rounded to whole pixels.
 */
export function pointsToRect(
  a: Point,
  b: Point,
  scale: number,
  width: number,
  height: number,
): Rect {
  const clamp = (v: number, max: number) => Math.max(0, Math.min(max, Math.round(v / scale)));
  const x0 = clamp(Math.min(a[0], b[0]), width);
  const y0 = clamp(Math.min(a[1], b[1]), height);
  const x1 = clamp(Math.max(a[0], b[0]), width);
  const y1 = clamp(Math.max(a[1], b[1]), height);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** Whether a point lies inside a polygon (even-odd rule). */
export function polygonContains(polygon: Point[], [x, y]: Point): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i] as Point;
    const [xj, yj] = polygon[j] as Point;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
