import { PolargraphError } from "../errors.js";
import type { Point, Polyline } from "./geometry.js";
import type { Machine } from "./machine.js";
import { planDrawing } from "./planner.js";

/** Options of {@link optimizePaths}. */
export interface OptimizeOptions {
  /** Join lines whose ends lie within this distance, mm (vpype `linemerge`); 0 joins only touching ends; negative turns merging off. @defaultValue 0.05 */
  mergeTolerance?: number;
  /** Reorder lines to shorten pen-up travel (greedy nearest neighbour, then 2-opt). @defaultValue true */
  sort?: boolean;
  /** Let sorting and merging draw a line backwards. @defaultValue true */
  reverse?: boolean;
  /** 2-opt passes over the order, up to this many lines (it is O(n²) a pass). @defaultValue 2000 */
  twoOptLimit?: number;
  /** Ramer–Douglas–Peucker tolerance, mm; 0 keeps every point. @defaultValue 0 */
  simplifyTolerance?: number;
  /** Drop lines shorter than this, mm; 0 keeps all. @defaultValue 0 */
  minLength?: number;
  /** Where the pen starts, page mm. @defaultValue the machine's home on the page, else (0, 0) */
  start?: Point;
  /** With a machine, the report includes the planned plot time before and after. */
  machine?: Machine;
}

/** Travel and drawing figures of a set of lines, drawn in order from a start point. */
export interface PathStats {
  lines: number;
  /** Pen-down length, mm. */
  penDownMm: number;
  /** Pen-up travel from the start through every line (no return), mm. */
  penUpMm: number;
  /** Planned plot time, ms (only with a machine). */
  estimatedMs?: number;
}

/** Result of {@link optimizePaths}. */
export interface OptimizeResult {
  strokes: Polyline[];
  before: PathStats;
  after: PathStats;
}

const d2 = (a: Point, b: Point) => (a.x - b.x) ** 2 + (a.y - b.y) ** 2;
const dist = (a: Point, b: Point) => Math.sqrt(d2(a, b));

/** Pen-down length and pen-up travel of lines drawn in order from `start`. */
export function pathStats(strokes: readonly Polyline[], start: Point = { x: 0, y: 0 }): PathStats {
  let penDownMm = 0;
  let penUpMm = 0;
  let at = start;
  for (const line of strokes) {
    if (!line.length) continue;
    penUpMm += dist(at, line[0] as Point);
    for (let i = 1; i < line.length; i++) penDownMm += dist(line[i - 1] as Point, line[i] as Point);
    at = line[line.length - 1] as Point;
  }
  return { lines: strokes.length, penDownMm, penUpMm };
}

/** A uniform grid over points for nearest-neighbour queries; entries can be removed. */
class PointGrid {
  private readonly cells = new Map<number, number[]>();
  constructor(
    private readonly cell: number,
    private readonly points: Point[],
    private readonly alive: (id: number) => boolean,
  ) {
    points.forEach((p, id) => {
      const key = this.key(Math.floor(p.x / cell), Math.floor(p.y / cell));
      const list = this.cells.get(key);
      if (list) list.push(id);
      else this.cells.set(key, [id]);
    });
  }

  private key(cx: number, cy: number): number {
    return (cx + 32768) * 65536 + (cy + 32768);
  }

  /** Nearest live point to `p` within `maxDistance` (Infinity: anywhere) that `accept` takes; -1 if none. */
  nearest(
    p: Point,
    maxDistance = Number.POSITIVE_INFINITY,
    accept?: (id: number) => boolean,
    maxRing = 1 << 16,
  ): number {
    const cx = Math.floor(p.x / this.cell);
    const cy = Math.floor(p.y / this.cell);
    let best = -1;
    let bestD = maxDistance * maxDistance;
    const ringLimit = Number.isFinite(maxDistance)
      ? Math.ceil(maxDistance / this.cell) + 1
      : maxRing;
    for (let ring = 0; ring <= ringLimit; ring++) {
      // anything in this ring is at least (ring - 1) cells away
      if (best >= 0 && ((ring - 1) * this.cell) ** 2 > bestD) break;
      for (let dx = -ring; dx <= ring; dx++) {
        const edge = Math.abs(dx) === ring;
        for (let dy = -ring; dy <= ring; dy += edge ? 1 : 2 * ring || 1) {
          const list = this.cells.get(this.key(cx + dx, cy + dy));
          if (!list) continue;
          for (let k = list.length - 1; k >= 0; k--) {
            const id = list[k] as number;
            if (!this.alive(id)) {
              list[k] = list[list.length - 1] as number;
              list.pop();
              continue;
            }
            if (accept && !accept(id)) continue;
            const dd = d2(p, this.points[id] as Point);
            if (dd <= bestD && (best < 0 || dd < bestD || id < best)) {
              best = id;
              bestD = dd;
            }
          }
        }
      }
    }
    return best;
  }
}

/** Joins lines whose ends meet within `tol` (ends and starts, either direction if `reverse`). */
export function mergeLines(strokes: readonly Polyline[], tol: number, reverse = true): Polyline[] {
  const lines = strokes.filter((l) => l.length > 0);
  const n = lines.length;
  if (n < 2) return lines.map((l) => [...l]);
  // endpoint 2i is the start of line i, 2i+1 its end
  const ends: Point[] = [];
  for (const l of lines) ends.push(l[0] as Point, l[l.length - 1] as Point);
  const used = new Uint8Array(n);
  const grid = new PointGrid(Math.max(tol, 1e-3) * 4 + 0.5, ends, (id) => used[id >> 1] === 0);
  const out: Polyline[] = [];
  const startsOnly = (id: number) => (id & 1) === 0;
  const endsOnly = (id: number) => (id & 1) === 1;
  // the nearest end within tol; without reverse, only a start after a tail, an end before a head
  const find = (p: Point, wantStart: boolean): number =>
    grid.nearest(p, tol, reverse ? undefined : wantStart ? startsOnly : endsOnly);
  for (let i = 0; i < n; i++) {
    if (used[i]) continue;
    used[i] = 1;
    const chain: Point[] = [...(lines[i] as Polyline)];
    // extend forwards from the end
    for (;;) {
      const tail = chain[chain.length - 1] as Point;
      const id = find(tail, true);
      if (id < 0) break;
      const j = id >> 1;
      used[j] = 1;
      const l = lines[j] as Polyline;
      const seq = (id & 1) === 0 ? l : [...l].reverse();
      const first = seq[0] as Point;
      const skip = first.x === tail.x && first.y === tail.y ? 1 : 0;
      for (let k = skip; k < seq.length; k++) chain.push(seq[k] as Point);
    }
    // extend backwards from the start
    for (;;) {
      const head = chain[0] as Point;
      const id = find(head, false);
      if (id < 0) break;
      const j = id >> 1;
      used[j] = 1;
      const l = lines[j] as Polyline;
      const seq = (id & 1) === 1 ? l : [...l].reverse();
      const last = seq[seq.length - 1] as Point;
      const skip = last.x === head.x && last.y === head.y ? 1 : 0;
      chain.unshift(...seq.slice(0, seq.length - skip));
    }
    out.push(chain);
  }
  return out;
}

/** Orders lines (and flips them if `reverse`) to shorten pen-up travel from `start`. */
export function sortLines(
  strokes: readonly Polyline[],
  start: Point,
  reverse = true,
  twoOptLimit = 2000,
): Polyline[] {
  const lines = strokes.filter((l) => l.length > 0);
  const n = lines.length;
  if (n === 0) return [];
  const ends: Point[] = [];
  for (const l of lines) ends.push(l[0] as Point, l[l.length - 1] as Point);
  const used = new Uint8Array(n);
  let minX = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const p of ends) {
    minX = Math.min(minX, p.x);
    maxX = Math.max(maxX, p.x);
    minY = Math.min(minY, p.y);
    maxY = Math.max(maxY, p.y);
  }
  const area = Math.max(1e-6, (maxX - minX) * (maxY - minY));
  const cell = Math.max(0.5, Math.sqrt(area / n));
  const grid = new PointGrid(
    cell,
    ends,
    (id) => used[id >> 1] === 0 && (reverse || (id & 1) === 0),
  );
  const order: number[] = [];
  const flipped: boolean[] = [];
  let at = start;
  for (let k = 0; k < n; k++) {
    const id = grid.nearest(at);
    const j = id >> 1;
    used[j] = 1;
    const flip = (id & 1) === 1;
    order.push(j);
    flipped.push(flip);
    at = (flip ? ends[2 * j] : ends[2 * j + 1]) as Point;
  }
  if (reverse && n <= twoOptLimit) twoOpt(order, flipped, ends, start);
  return order.map((j, k) =>
    flipped[k] ? [...(lines[j] as Polyline)].reverse() : [...(lines[j] as Polyline)],
  );
}

/** 2-opt over an ordered list of oriented lines: reversing a block flips each line in it. */
function twoOpt(order: number[], flipped: boolean[], ends: Point[], start: Point): void {
  const n = order.length;
  // head (first point drawn) and tail (last point drawn) of the line at each position
  const hx = new Float64Array(n);
  const hy = new Float64Array(n);
  const tx = new Float64Array(n);
  const ty = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const j = order[k] as number;
    const h = (flipped[k] ? ends[2 * j + 1] : ends[2 * j]) as Point;
    const t = (flipped[k] ? ends[2 * j] : ends[2 * j + 1]) as Point;
    hx[k] = h.x;
    hy[k] = h.y;
    tx[k] = t.x;
    ty[k] = t.y;
  }
  const swap = (arr: Float64Array, a: number, b: number) => {
    const v = arr[a] as number;
    arr[a] = arr[b] as number;
    arr[b] = v;
  };
  for (let pass = 0; pass < 12; pass++) {
    let improved = false;
    for (let i = 0; i < n - 1; i++) {
      const bx = i === 0 ? start.x : (tx[i - 1] as number);
      const by = i === 0 ? start.y : (ty[i - 1] as number);
      const hix = hx[i] as number;
      const hiy = hy[i] as number;
      const dBefore = Math.hypot(bx - hix, by - hiy);
      for (let j = i + 1; j < n; j++) {
        const tjx = tx[j] as number;
        const tjy = ty[j] as number;
        let old = dBefore;
        let next = Math.hypot(bx - tjx, by - tjy);
        if (
          next >=
          old +
            (j + 1 < n ? Math.hypot(tjx - (hx[j + 1] as number), tjy - (hy[j + 1] as number)) : 0)
        )
          continue;
        if (j + 1 < n) {
          const nx = hx[j + 1] as number;
          const ny = hy[j + 1] as number;
          old += Math.hypot(tjx - nx, tjy - ny);
          next += Math.hypot(hix - nx, hiy - ny);
        }
        if (next < old - 1e-9) {
          // reverse the block i..j: order reversed, each line flipped (head and tail swap)
          for (let a = i, b = j; a < b; a++, b--) {
            const o = order[a] as number;
            order[a] = order[b] as number;
            order[b] = o;
            const f = flipped[a] as boolean;
            flipped[a] = flipped[b] as boolean;
            flipped[b] = f;
            swap(hx, a, b);
            swap(hy, a, b);
            swap(tx, a, b);
            swap(ty, a, b);
          }
          for (let k = i; k <= j; k++) {
            flipped[k] = !flipped[k];
            const x = hx[k] as number;
            const y = hy[k] as number;
            hx[k] = tx[k] as number;
            hy[k] = ty[k] as number;
            tx[k] = x;
            ty[k] = y;
          }
          improved = true;
          break;
        }
      }
    }
    if (!improved) break;
  }
}

/** Ramer–Douglas–Peucker simplification of one polyline within `tol` mm (iterative). */
export function simplifyLine(line: Polyline, tol: number): Polyline {
  const n = line.length;
  if (n <= 2 || tol <= 0) return [...line];
  const keep = new Uint8Array(n);
  keep[0] = 1;
  keep[n - 1] = 1;
  const stack: Array<[number, number]> = [[0, n - 1]];
  while (stack.length) {
    const [a, b] = stack.pop() as [number, number];
    const pa = line[a] as Point;
    const pb = line[b] as Point;
    const dx = pb.x - pa.x;
    const dy = pb.y - pa.y;
    const len = Math.hypot(dx, dy);
    let worst = -1;
    let at = -1;
    for (let i = a + 1; i < b; i++) {
      const p = line[i] as Point;
      const d = len === 0 ? dist(p, pa) : Math.abs((p.x - pa.x) * dy - (p.y - pa.y) * dx) / len;
      if (d > worst) {
        worst = d;
        at = i;
      }
    }
    if (worst > tol) {
      keep[at] = 1;
      stack.push([a, at], [at, b]);
    }
  }
  return line.filter((_, i) => keep[i] === 1);
}

/**
 * Optimises lines for plotting, as vpype's linemerge, linesort, linesimplify and filter do:
 * merges lines whose ends meet, orders (and flips) them to shorten pen-up travel, optionally
 * simplifies and drops tiny lines; reports pen-up and pen-down lengths (and, with a machine,
 * the planned plot time) before and after. With the defaults the pen draws exactly the same
 * segments (joins of at most `mergeTolerance` added).
 */
export function optimizePaths(
  strokes: readonly Polyline[],
  options: OptimizeOptions = {},
): OptimizeResult {
  const mergeTolerance = options.mergeTolerance ?? 0.05;
  const simplifyTolerance = options.simplifyTolerance ?? 0;
  const minLength = options.minLength ?? 0;
  if (!Number.isFinite(mergeTolerance))
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `mergeTolerance must be finite, got ${mergeTolerance}`,
    );
  if (!(simplifyTolerance >= 0))
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `simplifyTolerance must be ≥ 0, got ${simplifyTolerance}`,
    );
  if (!(minLength >= 0))
    throw new PolargraphError("INVALID_ARGUMENT", `minLength must be ≥ 0, got ${minLength}`);
  for (let s = 0; s < strokes.length; s++)
    for (const p of strokes[s] as Polyline)
      if (!p || !Number.isFinite(p.x) || !Number.isFinite(p.y))
        throw new PolargraphError(
          "INVALID_ARGUMENT",
          `line ${s} has a point that is not finite: ${JSON.stringify(p)}`,
        );
  const m = options.machine;
  const start =
    options.start ?? (m ? { x: m.home.x - m.page.x, y: m.home.y - m.page.y } : { x: 0, y: 0 });
  const reverse = options.reverse ?? true;
  let lines: Polyline[] = strokes.filter((l) => l.length > 0).map((l) => [...l]);
  if (mergeTolerance >= 0) lines = mergeLines(lines, mergeTolerance, reverse);
  if (simplifyTolerance > 0) lines = lines.map((l) => simplifyLine(l, simplifyTolerance));
  if (minLength > 0) lines = lines.filter((l) => pathStats([l]).penDownMm >= minLength);
  if (options.sort ?? true) lines = sortLines(lines, start, reverse, options.twoOptLimit ?? 2000);
  const before = pathStats(strokes, start);
  const after = pathStats(lines, start);
  if (m) {
    before.estimatedMs = planDrawing(m, strokes, { outOfPage: "clip" }).durationMs;
    after.estimatedMs = planDrawing(m, lines, { outOfPage: "clip" }).durationMs;
  }
  return { strokes: lines, before, after };
}
