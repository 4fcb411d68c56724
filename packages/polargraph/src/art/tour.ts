import type { Point, Polyline } from "../core/geometry.js";
import type { GreyGrid } from "../core/grey.js";
import type { Machine } from "../core/machine.js";
import { PolargraphError } from "../errors.js";
import { type StippleOptions, type StippleProgressEvent, stipplePoints } from "./stipple.js";

/** Progress of {@link tspTour}. */
export interface TourProgressEvent {
  /** `nearest-neighbour` while the first tour is built, `improve` while 2-opt and Or-opt shorten it. */
  phase: "nearest-neighbour" | "improve";
  /** Cities placed (nearest-neighbour) or cities examined for an improving move (improve). */
  done: number;
  /** All cities (nearest-neighbour); cities examined plus those still queued (improve), which grows when moves re-queue cities. */
  total: number;
  /** Length of the closed tour so far, mm (improve only; it never grows). */
  lengthMm?: number;
}

/** Options of {@link tspTour}. */
export interface TourOptions {
  /** Nearest neighbours per city that 2-opt and Or-opt try to connect it to. @defaultValue 10 */
  neighbours?: number;
  /** Shorten the first tour with 2-opt and Or-opt; false keeps the nearest-neighbour tour. @defaultValue true */
  improve?: boolean;
  /** Also move runs of 1–3 cities elsewhere in the tour (Or-opt) besides 2-opt. @defaultValue true */
  orOpt?: boolean;
  /** Return a closed loop; otherwise the loop is cut at its longest edge into an open path. @defaultValue false */
  closed?: boolean;
  /** Start from this visiting order (a permutation of the point indices) instead of a nearest-neighbour tour. @defaultValue none */
  initialOrder?: readonly number[];
  /** Called as the tour is built and about every n examined cities while improving. @defaultValue none */
  onProgress?: (event: TourProgressEvent) => void;
}

/** Result of {@link tspTour}. */
export interface TourResult {
  /** Point indices in visiting order; every index exactly once. */
  order: number[];
  /** Length of the returned path or loop, mm. */
  lengthMm: number;
  /** Length of the closed loop before improvement (the nearest-neighbour tour or `initialOrder`), mm. */
  initialClosedMm: number;
  /** Length of the closed loop after improvement, mm (never more than `initialClosedMm`). */
  closedMm: number;
  /** Improving 2-opt moves made. */
  twoOptMoves: number;
  /** Improving Or-opt moves made. */
  orOptMoves: number;
}

function bad(message: string): PolargraphError {
  return new PolargraphError("INVALID_ARGUMENT", message);
}

/** A uniform bucket grid over the points for nearest-neighbour queries, with removal. */
class Buckets {
  readonly bw: number;
  readonly bh: number;
  readonly size: number;
  readonly minX: number;
  readonly minY: number;
  readonly cells: number[][];
  private readonly slot: Int32Array;
  private readonly cellOf: Int32Array;
  private live: Int32Array;
  constructor(
    readonly xs: Float64Array,
    readonly ys: Float64Array,
  ) {
    const n = xs.length;
    let minX = Number.POSITIVE_INFINITY;
    let minY = Number.POSITIVE_INFINITY;
    let maxX = Number.NEGATIVE_INFINITY;
    let maxY = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      minX = Math.min(minX, xs[i] as number);
      maxX = Math.max(maxX, xs[i] as number);
      minY = Math.min(minY, ys[i] as number);
      maxY = Math.max(maxY, ys[i] as number);
    }
    const w = Math.max(maxX - minX, 1e-9);
    const h = Math.max(maxY - minY, 1e-9);
    // about two points a bucket
    this.size = Math.max(Math.sqrt((2 * w * h) / n), Math.max(w, h) / 4096, 1e-9);
    this.minX = minX;
    this.minY = minY;
    this.bw = Math.min(4096, Math.floor(w / this.size) + 1);
    this.bh = Math.min(4096, Math.floor(h / this.size) + 1);
    this.cells = Array.from({ length: this.bw * this.bh }, () => []);
    this.slot = new Int32Array(n);
    this.cellOf = new Int32Array(n);
    this.live = new Int32Array(this.bh);
    for (let i = 0; i < n; i++) {
      const c = this.cellIndex(xs[i] as number, ys[i] as number);
      const cell = this.cells[c] as number[];
      this.cellOf[i] = c;
      this.slot[i] = cell.length;
      cell.push(i);
      this.live[Math.floor(c / this.bw)] = (this.live[Math.floor(c / this.bw)] as number) + 1;
    }
  }

  private cellIndex(x: number, y: number): number {
    const bx = Math.min(this.bw - 1, Math.max(0, Math.floor((x - this.minX) / this.size)));
    const by = Math.min(this.bh - 1, Math.max(0, Math.floor((y - this.minY) / this.size)));
    return by * this.bw + bx;
  }

  remove(i: number): void {
    const c = this.cellOf[i] as number;
    const cell = this.cells[c] as number[];
    const s = this.slot[i] as number;
    const last = cell.pop() as number;
    if (last !== i) {
      cell[s] = last;
      this.slot[last] = s;
    }
    const row = Math.floor(c / this.bw);
    this.live[row] = (this.live[row] as number) - 1;
  }

  /**
   * Up to `k` nearest points to (x, y), nearest first, skipping `self`; ring by ring until the
   * k-th found is nearer than any bucket of the next ring.
   */
  nearest(x: number, y: number, k: number, self: number, out: number[], outD: number[]): void {
    out.length = 0;
    outD.length = 0;
    const { bw, bh, size, xs, ys, cells } = this;
    const cx = Math.min(bw - 1, Math.max(0, Math.floor((x - this.minX) / size)));
    const cy = Math.min(bh - 1, Math.max(0, Math.floor((y - this.minY) / size)));
    const maxRing = Math.max(bw, bh);
    for (let ring = 0; ring <= maxRing; ring++) {
      const y0 = cy - ring;
      const y1 = cy + ring;
      for (let by = Math.max(0, y0); by <= Math.min(bh - 1, y1); by++) {
        if (this.live[by] === 0) continue;
        const edge = by === y0 || by === y1;
        const step = edge || ring === 0 ? 1 : 2 * ring;
        for (let bx = cx - ring; bx <= cx + ring; bx += step) {
          if (bx < 0 || bx >= bw) continue;
          const cell = cells[by * bw + bx] as number[];
          for (let t = 0; t < cell.length; t++) {
            const j = cell[t] as number;
            if (j === self) continue;
            const dx = (xs[j] as number) - x;
            const dy = (ys[j] as number) - y;
            const d = dx * dx + dy * dy;
            if (out.length === k && d >= (outD[k - 1] as number)) continue;
            // insertion into the sorted short list (ties by index, for determinism)
            let p = out.length < k ? out.length : k - 1;
            while (
              p > 0 &&
              ((outD[p - 1] as number) > d ||
                ((outD[p - 1] as number) === d && (out[p - 1] as number) > j))
            ) {
              if (p < k) {
                out[p] = out[p - 1] as number;
                outD[p] = outD[p - 1] as number;
              }
              p--;
            }
            out[p] = j;
            outD[p] = d;
          }
        }
      }
      const reach = ring * size;
      if (out.length === k && (outD[k - 1] as number) <= reach * reach) return;
    }
  }
}

/**
 * A short tour through points, as TSP-art tools make it: a nearest-neighbour tour (bucket grid),
 * then 2-opt and Or-opt (runs of 1–3 cities moved, either way round) restricted to each city's
 * `neighbours` nearest cities, with don't-look bits, until no move shortens the tour (the
 * Bentley 1992 / LKH style of local search, which keeps 10,000 cities to about a second). Every
 * applied move strictly shortens the closed tour. Returns an open path cut at the loop's longest
 * edge unless `closed`. Throws `INVALID_ARGUMENT` for points that are not finite or an
 * `initialOrder` that is not a permutation.
 */
export function tspTour(points: readonly Point[], options: TourOptions = {}): TourResult {
  const n = points.length;
  const K = options.neighbours ?? 10;
  if (!Number.isInteger(K) || K < 1) throw bad(`neighbours must be a positive integer, got ${K}`);
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = points[i];
    if (!p || !Number.isFinite(p.x) || !Number.isFinite(p.y))
      throw bad(`point ${i} is not finite: ${JSON.stringify(p)}`);
    xs[i] = p.x;
    ys[i] = p.y;
  }
  const D = (a: number, b: number) =>
    Math.sqrt(
      ((xs[a] as number) - (xs[b] as number)) ** 2 + ((ys[a] as number) - (ys[b] as number)) ** 2,
    );
  const closedLength = (t: ArrayLike<number>) => {
    let s = 0;
    for (let k = 0; k < n; k++) s += D(t[k] as number, t[(k + 1) % n] as number);
    return s;
  };
  const empty = { twoOptMoves: 0, orOptMoves: 0 };
  if (n === 0) return { order: [], lengthMm: 0, initialClosedMm: 0, closedMm: 0, ...empty };

  // the first tour
  const tour = new Int32Array(n);
  if (options.initialOrder) {
    const seen = new Uint8Array(n);
    if (options.initialOrder.length !== n)
      throw bad(`initialOrder must list all ${n} points, got ${options.initialOrder.length}`);
    options.initialOrder.forEach((v, k) => {
      if (!Number.isInteger(v) || v < 0 || v >= n || seen[v])
        throw bad(`initialOrder must be a permutation of 0…${n - 1}; position ${k} holds ${v}`);
      seen[v] = 1;
      tour[k] = v;
    });
  } else {
    const buckets = new Buckets(xs, ys);
    const found: number[] = [];
    const foundD: number[] = [];
    let at = 0;
    buckets.remove(0);
    tour[0] = 0;
    for (let k = 1; k < n; k++) {
      buckets.nearest(xs[at] as number, ys[at] as number, 1, -1, found, foundD);
      at = found[0] as number;
      buckets.remove(at);
      tour[k] = at;
      if ((k & 1023) === 0) options.onProgress?.({ phase: "nearest-neighbour", done: k, total: n });
    }
    options.onProgress?.({ phase: "nearest-neighbour", done: n, total: n });
  }
  const initialClosedMm = closedLength(tour);
  let twoOptMoves = 0;
  let orOptMoves = 0;

  if ((options.improve ?? true) && n >= 5) {
    const k = Math.min(K, n - 1);
    const neighbours = new Int32Array(n * k);
    {
      const buckets = new Buckets(xs, ys);
      const found: number[] = [];
      const foundD: number[] = [];
      for (let i = 0; i < n; i++) {
        buckets.nearest(xs[i] as number, ys[i] as number, k, i, found, foundD);
        for (let j = 0; j < k; j++) neighbours[i * k + j] = found[j] ?? (found[0] as number);
      }
    }
    const pos = new Int32Array(n);
    for (let p = 0; p < n; p++) pos[tour[p] as number] = p;
    const next = (c: number) => tour[((pos[c] as number) + 1) % n] as number;
    const prev = (c: number) => tour[((pos[c] as number) + n - 1) % n] as number;
    /** Reverses the cyclic run of positions i…j (forward), or the rest of the loop if that is shorter. */
    const reverse = (i: number, j: number) => {
      let len = ((j - i + n) % n) + 1;
      if (2 * len > n) {
        const ni = (j + 1) % n;
        j = (i + n - 1) % n;
        i = ni;
        len = n - len;
      }
      for (let s = 0; s < len >> 1; s++) {
        const a = tour[i] as number;
        const b = tour[j] as number;
        tour[i] = b;
        pos[b] = i;
        tour[j] = a;
        pos[a] = j;
        i = (i + 1) % n;
        j = (j + n - 1) % n;
      }
    };
    /** Replaces edges {a,b} and {c,d} of a loop reading a b … c d (either way round) with {a,c} and {b,d}. */
    const exchange = (a: number, b: number, c: number, _d: number) => {
      if (next(a) === b) reverse(pos[b] as number, pos[c] as number);
      else reverse(pos[c] as number, pos[b] as number);
    };
    const eps = 1e-10;
    const queue = new Int32Array(n);
    const queued = new Uint8Array(n);
    let head = 0;
    let size = 0;
    const push = (c: number) => {
      if (queued[c]) return;
      queued[c] = 1;
      queue[(head + size) % n] = c;
      size++;
    };
    for (let p = 0; p < n; p++) push(tour[p] as number);

    const tryTwoOpt = (a: number): boolean => {
      for (let dir = 0; dir < 2; dir++) {
        const b = dir === 0 ? next(a) : prev(a);
        const dab = D(a, b);
        for (let t = 0; t < k; t++) {
          const c = neighbours[a * k + t] as number;
          const dac = D(a, c);
          if (dac >= dab - eps) break;
          const d = dir === 0 ? next(c) : prev(c);
          if (c === b || d === a) continue;
          const delta = dac + D(b, d) - dab - D(c, d);
          if (delta < -eps) {
            exchange(a, b, c, d);
            twoOptMoves++;
            push(a);
            push(b);
            push(c);
            push(d);
            return true;
          }
        }
      }
      return false;
    };

    const inSegment = new Uint8Array(n);
    const seg: number[] = [];
    const tryOrOpt = (a: number): boolean => {
      for (let L = 1; L <= 3 && L + 3 <= n; L++) {
        for (let dir = 0; dir < 2; dir++) {
          const step = dir === 0 ? next : prev;
          const back = dir === 0 ? prev : next;
          const s1 = a;
          let s2 = a;
          for (let i = 1; i < L; i++) s2 = step(s2);
          const p = back(s1);
          const nx = step(s2);
          const removeGain = D(p, s1) + D(s2, nx) - D(p, nx);
          if (removeGain <= eps) continue;
          seg.length = 0;
          for (let v = s1, i = 0; i < L; i++, v = step(v)) {
            inSegment[v] = 1;
            seg.push(v);
          }
          let done = false;
          for (let end = 0; end < 2 && !done; end++) {
            const e = end === 0 ? s1 : s2;
            const other = end === 0 ? s2 : s1;
            for (let t = 0; t < k && !done; t++) {
              const c = neighbours[e * k + t] as number;
              const dce = D(c, e);
              if (dce >= removeGain - eps) break;
              if (inSegment[c]) continue;
              for (let side = 0; side < 2; side++) {
                const x = side === 0 ? next(c) : prev(c);
                if (inSegment[x]) continue;
                const delta = dce + D(x, other) - D(c, x) - removeGain;
                if (delta >= -eps) continue;
                // in the frame where the loop reads p s1 … s2 nx, the target edge is C → Dd
                const C = step(c) === x ? c : x;
                const Dd = C === c ? x : c;
                if (Dd === p) continue;
                exchange(p, s1, C, Dd); // p C … nx s2 … s1 Dd  (or p nx s2 … s1 Dd when C is nx)
                if (C !== nx) exchange(p, C, nx, s2); // p nx … C s2 … s1 Dd
                // C now touches s2; flip the run when c should touch e the other way round
                const cTouches = C === c ? e : other;
                if (cTouches !== s2) exchange(C, s2, s1, Dd);
                orOptMoves++;
                for (const v of [p, nx, s1, s2, C, Dd]) push(v);
                done = true;
                break;
              }
            }
          }
          for (const v of seg) inSegment[v] = 0;
          if (done) return true;
        }
      }
      return false;
    };

    const orOpt = options.orOpt ?? true;
    let examined = 0;
    while (size > 0) {
      const a = queue[head] as number;
      head = (head + 1) % n;
      size--;
      queued[a] = 0;
      while (tryTwoOpt(a) || (orOpt && tryOrOpt(a))) {}
      examined++;
      if (examined % n === 0)
        options.onProgress?.({
          phase: "improve",
          done: examined,
          total: examined + size,
          lengthMm: closedLength(tour),
        });
    }
    options.onProgress?.({
      phase: "improve",
      done: examined,
      total: examined,
      lengthMm: closedLength(tour),
    });
  }

  const closedMm = closedLength(tour);
  let order = Array.from(tour);
  let lengthMm = closedMm;
  if (!options.closed && n > 1) {
    let longest = -1;
    let at = 0;
    for (let p = 0; p < n; p++) {
      const d = D(tour[p] as number, tour[(p + 1) % n] as number);
      if (d > longest) {
        longest = d;
        at = p;
      }
    }
    order = [...order.slice(at + 1), ...order.slice(0, at + 1)];
    lengthMm = closedMm - longest;
  }
  return { order, lengthMm, initialClosedMm, closedMm, twoOptMoves, orOptMoves };
}

/** Options of {@link renderSingleLine}: the stippling options plus the tour's. */
export interface SingleLineOptions
  extends Omit<StippleOptions, "onProgress">,
    Omit<TourOptions, "onProgress" | "initialOrder" | "closed" | "improve"> {
  /** Called after every relaxation iteration and as the tour is built and improved. @defaultValue none */
  onProgress?: (event: StippleProgressEvent | TourProgressEvent) => void;
}

/**
 * TSP art: one continuous line through weighted Voronoi stipples ({@link stipplePoints}, default
 * 2000 of them) in the order of a short tour ({@link tspTour}), so the pen never lifts. Deterministic
 * by seed; every point lies inside the picture's rectangle. A blank picture draws nothing.
 */
export function renderSingleLine(
  machine: Machine,
  grid: GreyGrid,
  options: SingleLineOptions = {},
): Polyline[] {
  const { onProgress, ...rest } = options;
  const { points } = stipplePoints(machine, grid, { ...rest, onProgress });
  if (points.length === 0) return [];
  const { order } = tspTour(points, {
    neighbours: options.neighbours,
    orOpt: options.orOpt,
    onProgress,
  });
  return [order.map((i) => ({ ...(points[i] as Point) }))];
}
