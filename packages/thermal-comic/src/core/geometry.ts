/** A point in printer dots: `[x, y]`, y down (canvas coordinates). */
export type Point = [number, number];

/** A simple polygon as a list of its corners; the last corner connects back to the first. */
export type Polygon = Point[];

/** An axis-aligned rectangle. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A half-plane `a·x + b·y >= c`. */
export interface HalfPlane {
  a: number;
  b: number;
  c: number;
}

const EPS = 1e-9;

/** Signed area (shoelace); positive when the corners run clockwise on screen (y down). */
export function signedArea(polygon: Polygon): number {
  let sum = 0;
  for (let i = 0; i < polygon.length; i++) {
    const [x1, y1] = polygon[i] as Point;
    const [x2, y2] = polygon[(i + 1) % polygon.length] as Point;
    sum += x1 * y2 - x2 * y1;
  }
  return sum / 2;
}

export function area(polygon: Polygon): number {
  return Math.abs(signedArea(polygon));
}

export function boundingBox(polygon: Polygon): Rect {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const [x, y] of polygon) {
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  }
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

export function centroid(polygon: Polygon): Point {
  const a = signedArea(polygon);
  if (Math.abs(a) < EPS) {
    const box = boundingBox(polygon);
    return [box.x + box.width / 2, box.y + box.height / 2];
  }
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < polygon.length; i++) {
    const [x1, y1] = polygon[i] as Point;
    const [x2, y2] = polygon[(i + 1) % polygon.length] as Point;
    const cross = x1 * y2 - x2 * y1;
    cx += (x1 + x2) * cross;
    cy += (y1 + y2) * cross;
  }
  return [cx / (6 * a), cy / (6 * a)];
}

/** Even-odd point-in-polygon test (points on an edge may go either way). */
export function containsPoint(polygon: Polygon, [px, py]: Point): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i] as Point;
    const [xj, yj] = polygon[j] as Point;
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The corners of `polygon` ordered clockwise on screen (positive signed area). */
export function clockwise(polygon: Polygon): Polygon {
  return signedArea(polygon) < 0 ? polygon.slice().reverse() : polygon.slice();
}

/** The part of a convex polygon where `a·x + b·y >= c` (Sutherland–Hodgman, one plane). */
export function clipToHalfPlane(polygon: Polygon, plane: HalfPlane): Polygon {
  const out: Polygon = [];
  const side = ([x, y]: Point) => plane.a * x + plane.b * y - plane.c;
  for (let i = 0; i < polygon.length; i++) {
    const p = polygon[i] as Point;
    const q = polygon[(i + 1) % polygon.length] as Point;
    const sp = side(p);
    const sq = side(q);
    if (sp >= 0) out.push(p);
    if (sp >= 0 !== sq >= 0) {
      const t = sp / (sp - sq);
      out.push([p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t]);
    }
  }
  return dedupe(out);
}

function dedupe(polygon: Polygon): Polygon {
  const out: Polygon = [];
  for (const p of polygon) {
    const last = out[out.length - 1];
    if (!last || Math.hypot(last[0] - p[0], last[1] - p[1]) > 1e-6) out.push(p);
  }
  const first = out[0];
  const last = out[out.length - 1];
  if (out.length > 1 && first && last && Math.hypot(first[0] - last[0], first[1] - last[1]) <= 1e-6)
    out.pop();
  return out;
}

/**
 * The inward half-planes of a convex polygon: a point is inside when it satisfies all of them.
 */
export function halfPlanes(polygon: Polygon): HalfPlane[] {
  const cw = clockwise(polygon);
  const planes: HalfPlane[] = [];
  for (let i = 0; i < cw.length; i++) {
    const [x1, y1] = cw[i] as Point;
    const [x2, y2] = cw[(i + 1) % cw.length] as Point;
    const dx = x2 - x1;
    const dy = y2 - y1;
    const len = Math.hypot(dx, dy);
    if (len < EPS) continue;
    // Clockwise on screen (y down): the interior is to the right of each edge, normal (-dy, dx).
    const a = -dy / len;
    const b = dx / len;
    planes.push({ a, b, c: a * x1 + b * y1 });
  }
  return planes;
}

/** Shrinks a convex polygon by `distance` on every side (its edges move inward). */
export function insetConvex(polygon: Polygon, distance: number, bounds: Rect): Polygon {
  let result: Polygon = [
    [bounds.x - 1, bounds.y - 1],
    [bounds.x + bounds.width + 1, bounds.y - 1],
    [bounds.x + bounds.width + 1, bounds.y + bounds.height + 1],
    [bounds.x - 1, bounds.y + bounds.height + 1],
  ];
  for (const plane of halfPlanes(polygon)) {
    result = clipToHalfPlane(result, { ...plane, c: plane.c + distance });
    if (result.length < 3) return [];
  }
  return result;
}

/**
 * The point nearest `target` that satisfies every half-plane, or null when none does. In 2-D the
 * nearest point of a convex region is the target itself, its projection onto one boundary line,
 * or a corner where two lines meet, so trying those candidates is exact.
 */
export function nearestFeasiblePoint(target: Point, planes: HalfPlane[]): Point | null {
  const tolerance = 1e-7;
  const feasible = ([x, y]: Point) => planes.every((p) => p.a * x + p.b * y >= p.c - tolerance);
  if (feasible(target)) return target;
  let best: Point | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  const consider = (p: Point) => {
    const d = Math.hypot(p[0] - target[0], p[1] - target[1]);
    if (d < bestDistance && feasible(p)) {
      best = p;
      bestDistance = d;
    }
  };
  for (const p of planes) {
    const norm = p.a * p.a + p.b * p.b;
    if (norm < EPS) continue;
    const excess = (p.a * target[0] + p.b * target[1] - p.c) / norm;
    consider([target[0] - excess * p.a, target[1] - excess * p.b]);
  }
  for (let i = 0; i < planes.length; i++) {
    for (let j = i + 1; j < planes.length; j++) {
      const p = planes[i] as HalfPlane;
      const q = planes[j] as HalfPlane;
      const det = p.a * q.b - p.b * q.a;
      if (Math.abs(det) < EPS) continue;
      consider([(p.c * q.b - p.b * q.c) / det, (p.a * q.c - p.c * q.a) / det]);
    }
  }
  return best;
}

/** Convex hull (Andrew's monotone chain), clockwise on screen. */
export function convexHull(points: Point[]): Polygon {
  const sorted = points.slice().sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  if (sorted.length < 3) return sorted;
  const cross = (o: Point, a: Point, b: Point) =>
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const p of sorted) {
    while (lower.length >= 2 && cross(lower.at(-2) as Point, lower.at(-1) as Point, p) <= 0)
      lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = sorted.length - 1; i >= 0; i--) {
    const p = sorted[i] as Point;
    while (upper.length >= 2 && cross(upper.at(-2) as Point, upper.at(-1) as Point, p) <= 0)
      upper.pop();
    upper.push(p);
  }
  lower.pop();
  upper.pop();
  return clockwise(lower.concat(upper));
}

/**
 * Drops corners of a closed polygon that lie within `tolerance` of the line through their
 * neighbours (Douglas–Peucker style, repeated until stable).
 */
export function simplifyPolygon(polygon: Polygon, tolerance: number): Polygon {
  const current = polygon.slice();
  let changed = true;
  while (changed && current.length > 3) {
    changed = false;
    let worstIndex = -1;
    let worstDistance = Number.POSITIVE_INFINITY;
    for (let i = 0; i < current.length; i++) {
      const prev = current[(i - 1 + current.length) % current.length] as Point;
      const p = current[i] as Point;
      const next = current[(i + 1) % current.length] as Point;
      const d = distanceToLine(p, prev, next);
      if (d < worstDistance) {
        worstDistance = d;
        worstIndex = i;
      }
    }
    if (worstDistance <= tolerance) {
      current.splice(worstIndex, 1);
      changed = true;
    }
  }
  return current;
}

function distanceToLine(p: Point, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len = Math.hypot(dx, dy);
  if (len < EPS) return Math.hypot(p[0] - a[0], p[1] - a[1]);
  return Math.abs(dy * p[0] - dx * p[1] + b[0] * a[1] - b[1] * a[0]) / len;
}

/** Whether the rectangle lies inside the convex polygon (all four corners inside or on it). */
export function rectInsideConvex(rect: Rect, polygon: Polygon, tolerance = 1e-6): boolean {
  const corners: Point[] = [
    [rect.x, rect.y],
    [rect.x + rect.width, rect.y],
    [rect.x + rect.width, rect.y + rect.height],
    [rect.x, rect.y + rect.height],
  ];
  return halfPlanes(polygon).every((p) =>
    corners.every(([x, y]) => p.a * x + p.b * y >= p.c - tolerance),
  );
}

/** Rounds every coordinate to `digits` decimals (stable JSON, no float noise). */
export function roundPolygon(polygon: Polygon, digits = 2): Polygon {
  const f = 10 ** digits;
  return polygon.map(([x, y]) => [Math.round(x * f) / f, Math.round(y * f) / f]);
}

/** Whether the polygon is convex (every turn goes the same way; collinear corners allowed). */
export function isConvex(polygon: Polygon): boolean {
  let sign = 0;
  for (let i = 0; i < polygon.length; i++) {
    const [x1, y1] = polygon[i] as Point;
    const [x2, y2] = polygon[(i + 1) % polygon.length] as Point;
    const [x3, y3] = polygon[(i + 2) % polygon.length] as Point;
    const cross = (x2 - x1) * (y3 - y2) - (y2 - y1) * (x3 - x2);
    if (Math.abs(cross) < 1e-6) continue;
    if (sign === 0) sign = Math.sign(cross);
    else if (Math.sign(cross) !== sign) return false;
  }
  return true;
}
