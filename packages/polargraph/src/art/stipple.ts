import type { Point, Polyline } from "../core/geometry.js";
import { type GreyGrid, sampleGrid } from "../core/grey.js";
import type { Machine } from "../core/machine.js";
import { PolargraphError } from "../errors.js";
import { type Placement, type PlacementOptions, placeGrid, seededRandom } from "./renderers.js";

/** One Lloyd iteration of {@link stipplePoints} finished. */
export interface StippleProgressEvent {
  phase: "relax";
  /** Iterations done. */
  done: number;
  /** Iterations asked for. */
  total: number;
  /** Mean distance the stipples moved in this iteration, mm (it falls as the stipples settle). */
  meanMovementMm: number;
}

/** Options of {@link stipplePoints}. */
export interface StippleOptions extends PlacementOptions {
  /** Number of stipples. @defaultValue 2000 */
  points?: number;
  /** Lloyd relaxation iterations (each moves every stipple to the darkness-weighted centroid of its Voronoi cell). @defaultValue 30 */
  iterations?: number;
  /**
   * Pixels across the density raster the Voronoi cells are measured on (the grid is resampled
   * bilinearly to it); more pixels give finer placement and take longer.
   * @defaultValue enough for about 32 pixels per stipple, at least 256 across, at most 2048
   */
  resolution?: number;
  /** Called after every relaxation iteration. @defaultValue none */
  onProgress?: (event: StippleProgressEvent) => void;
}

/** Stipples placed on the page, with the darkness under each (0–1), for sizing dots. */
export interface Stipples {
  /** Stipple centres, page mm, inside the picture's rectangle. */
  points: Point[];
  /** Darkness of the picture under each stipple. */
  darkness: number[];
  /** The picture's rectangle. */
  placement: Placement;
}

function bad(message: string): PolargraphError {
  return new PolargraphError("INVALID_ARGUMENT", message);
}

function positiveInteger(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw bad(`${name} must be an integer ≥ ${min}, got ${v}`);
  return v;
}

/** The grid resampled to a W × H density raster (bilinear between cell centres). */
function densityRaster(grid: GreyGrid, W: number, H: number): Float64Array {
  const out = new Float64Array(W * H);
  for (let y = 0; y < H; y++) {
    const v = ((y + 0.5) / H) * grid.rows;
    for (let x = 0; x < W; x++) {
      const u = ((x + 0.5) / W) * grid.columns;
      const s = sampleGrid(grid, u, v);
      out[y * W + x] = s > 0 ? Math.min(1, s) : 0;
    }
  }
  return out;
}

/**
 * Nearest site of every pixel through a uniform bucket grid: each pixel looks at the buckets ring
 * by ring and stops once the nearest site found is closer than any bucket in the next ring can be,
 * so a pixel checks a handful of sites instead of all of them.
 */
class SiteBuckets {
  private readonly start: Int32Array;
  private readonly items: Int32Array;
  readonly bw: number;
  readonly bh: number;
  constructor(
    readonly xs: Float64Array,
    readonly ys: Float64Array,
    readonly size: number,
    W: number,
    H: number,
  ) {
    this.bw = Math.max(1, Math.ceil(W / size));
    this.bh = Math.max(1, Math.ceil(H / size));
    const n = xs.length;
    const count = new Int32Array(this.bw * this.bh + 1);
    const cellOf = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const bx = Math.min(this.bw - 1, Math.max(0, Math.floor((xs[i] as number) / size)));
      const by = Math.min(this.bh - 1, Math.max(0, Math.floor((ys[i] as number) / size)));
      const c = by * this.bw + bx;
      cellOf[i] = c;
      count[c + 1] = (count[c + 1] as number) + 1;
    }
    for (let c = 0; c < this.bw * this.bh; c++)
      count[c + 1] = (count[c + 1] as number) + (count[c] as number);
    this.start = count.slice();
    const fill = count;
    this.items = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = cellOf[i] as number;
      this.items[fill[c] as number] = i;
      fill[c] = (fill[c] as number) + 1;
    }
  }

  nearest(px: number, py: number): number {
    const { size, bw, bh, xs, ys, start, items } = this;
    const cx = Math.min(bw - 1, Math.floor(px / size));
    const cy = Math.min(bh - 1, Math.floor(py / size));
    let best = -1;
    let bestD = Number.POSITIVE_INFINITY;
    const maxRing = Math.max(bw, bh);
    for (let ring = 0; ring <= maxRing; ring++) {
      const y0 = cy - ring;
      const y1 = cy + ring;
      const x0 = cx - ring;
      const x1 = cx + ring;
      for (let by = Math.max(0, y0); by <= Math.min(bh - 1, y1); by++) {
        const edgeRow = by === y0 || by === y1;
        const stepX = edgeRow ? 1 : x1 - x0;
        for (let bx = x0; bx <= x1; bx += stepX) {
          if (bx < 0 || bx >= bw) continue;
          const c = by * bw + bx;
          for (let k = start[c] as number; k < (start[c + 1] as number); k++) {
            const i = items[k] as number;
            const dx = (xs[i] as number) - px;
            const dy = (ys[i] as number) - py;
            const d = dx * dx + dy * dy;
            if (d < bestD || (d === bestD && i < best)) {
              bestD = d;
              best = i;
            }
          }
        }
      }
      // every bucket of the next ring is at least ring × size away from the pixel
      if (best >= 0 && bestD <= (ring * size) ** 2) break;
    }
    return best;
  }
}

/**
 * Weighted Voronoi stippling (Secord 2002, as StippleGen does it): `points` stipples start where
 * seeded sampling drops them (more where it is darker), then Lloyd relaxation moves each
 * to the darkness-weighted centroid of its Voronoi cell, measured on a density raster, so the
 * stipples spread evenly with a density proportional to the darkness. Cells are found with a
 * bucket grid (a few sites per pixel, not all of them), so 10,000 stipples take about a second.
 * A blank (all white) picture has no stipples. Throws `INVALID_ARGUMENT` for bad counts or a
 * picture off the page.
 */
export function stipplePoints(
  machine: Machine,
  grid: GreyGrid,
  options: StippleOptions = {},
): Stipples {
  const placement = placeGrid(machine, grid, options);
  const n = positiveInteger("points", options.points ?? 2000);
  if (n > 1_000_000) throw bad(`points must be at most 1,000,000, got ${n}`);
  const iterations = positiveInteger("iterations", options.iterations ?? 30, 0);
  const aspect = placement.height / placement.width;
  const W =
    options.resolution ?? Math.min(2048, Math.max(256, Math.ceil(Math.sqrt((32 * n) / aspect))));
  positiveInteger("resolution", W, 8);
  const H = Math.max(1, Math.round(W * aspect));
  const density = densityRaster(grid, W, H);
  let mass = 0;
  let maxD = 0;
  for (let i = 0; i < density.length; i++) {
    const d = density[i] as number;
    mass += d;
    if (d > maxD) maxD = d;
  }
  if (mass === 0) return { points: [], darkness: [], placement };

  // seeded sampling in proportion to darkness (inverse of the cumulative darkness, so even a
  // picture with one dark pixel costs log(pixels) a stipple)
  const random = seededRandom(options.seed ?? 1);
  const cumulative = new Float64Array(density.length);
  let running = 0;
  for (let i = 0; i < density.length; i++) {
    running += density[i] as number;
    cumulative[i] = running;
  }
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const target = random() * running;
    let lo = 0;
    let hi = density.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) > target) hi = mid;
      else lo = mid + 1;
    }
    xs[i] = (lo % W) + random();
    ys[i] = Math.floor(lo / W) + random();
  }

  // buckets of about two sites where the stipples are densest
  const bucket = Math.max(1, Math.sqrt((2 * mass) / (n * maxD)));
  const sumW = new Float64Array(n);
  const sumX = new Float64Array(n);
  const sumY = new Float64Array(n);
  const mmPerPixel = placement.width / W;
  for (let it = 0; it < iterations; it++) {
    const buckets = new SiteBuckets(xs, ys, bucket, W, H);
    sumW.fill(0);
    sumX.fill(0);
    sumY.fill(0);
    for (let y = 0; y < H; y++) {
      const py = y + 0.5;
      for (let x = 0; x < W; x++) {
        const w = density[y * W + x] as number;
        if (w === 0) continue;
        const px = x + 0.5;
        const s = buckets.nearest(px, py);
        sumW[s] = (sumW[s] as number) + w;
        sumX[s] = (sumX[s] as number) + w * px;
        sumY[s] = (sumY[s] as number) + w * py;
      }
    }
    let moved = 0;
    for (let i = 0; i < n; i++) {
      const w = sumW[i] as number;
      if (w === 0) continue; // a cell over white paper keeps its stipple where it is
      const nx = (sumX[i] as number) / w;
      const ny = (sumY[i] as number) / w;
      moved += Math.hypot(nx - (xs[i] as number), ny - (ys[i] as number));
      xs[i] = nx;
      ys[i] = ny;
    }
    options.onProgress?.({
      phase: "relax",
      done: it + 1,
      total: iterations,
      meanMovementMm: (moved / n) * mmPerPixel,
    });
  }

  const points: Point[] = new Array(n);
  const darkness: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const x = Math.min(W, Math.max(0, xs[i] as number));
    const y = Math.min(H, Math.max(0, ys[i] as number));
    points[i] = {
      x: placement.x + (x / W) * placement.width,
      y: placement.y + (y / H) * placement.height,
    };
    darkness[i] = sampleGrid(grid, (x / W) * grid.columns, (y / H) * grid.rows);
  }
  return { points, darkness, placement };
}

/** Options of {@link renderStipples}. */
export interface StippleDotsOptions extends StippleOptions {
  /** How a stipple is drawn: a small circle, or a pen tap (pen down and up on the spot). @defaultValue "circle" */
  dot?: "circle" | "tap";
  /** Radius of a circle over black, mm. @defaultValue 0.4 */
  dotRadius?: number;
  /** Radius of a circle over white paper, mm; radii grow linearly with darkness in between (StippleGen's dot scaling). @defaultValue the same as `dotRadius` */
  minDotRadius?: number;
  /** Largest distance between a circle and the polygon that draws it, mm. @defaultValue 0.02 */
  tolerance?: number;
}

/**
 * Weighted Voronoi stippling drawn as dots: {@link stipplePoints}, then each stipple as a small
 * closed circle (radius scaled by the darkness under it, kept inside the picture's rectangle) or
 * as a pen tap (a zero-length line). Optimise the result with `optimizePaths` to order the dots.
 */
export function renderStipples(
  machine: Machine,
  grid: GreyGrid,
  options: StippleDotsOptions = {},
): Polyline[] {
  const dot = options.dot ?? "circle";
  if (dot !== "circle" && dot !== "tap") throw bad(`dot must be circle or tap, got ${dot}`);
  const rMax = options.dotRadius ?? 0.4;
  const rMin = options.minDotRadius ?? rMax;
  if (!(rMax > 0 && Number.isFinite(rMax))) throw bad(`dotRadius must be positive, got ${rMax}`);
  if (!(rMin > 0 && rMin <= rMax))
    throw bad(`minDotRadius must be positive and at most dotRadius (${rMax}), got ${rMin}`);
  const tolerance = options.tolerance ?? 0.02;
  if (!(tolerance > 0)) throw bad(`tolerance must be positive, got ${tolerance}`);
  const { points, darkness, placement: p } = stipplePoints(machine, grid, options);
  if (dot === "circle" && 2 * rMax > Math.min(p.width, p.height))
    throw bad(`dotRadius ${rMax} mm does not fit a ${p.width.toFixed(1)} mm picture`);
  const lines: Polyline[] = [];
  for (let i = 0; i < points.length; i++) {
    const c = points[i] as Point;
    if (dot === "tap") {
      lines.push([{ ...c }, { ...c }]);
      continue;
    }
    const r = rMin + (rMax - rMin) * (darkness[i] as number);
    const x = Math.min(p.x + p.width - r, Math.max(p.x + r, c.x));
    const y = Math.min(p.y + p.height - r, Math.max(p.y + r, c.y));
    // sagitta r(1 − cos(π/k)) ≤ tolerance
    const k = Math.max(6, Math.ceil(Math.PI / Math.acos(Math.max(-1, 1 - tolerance / r))));
    const circle: Polyline = [];
    for (let j = 0; j <= k; j++) {
      const t = (2 * Math.PI * (j % k)) / k;
      circle.push({ x: x + r * Math.cos(t), y: y + r * Math.sin(t) });
    }
    lines.push(circle);
  }
  return lines;
}
