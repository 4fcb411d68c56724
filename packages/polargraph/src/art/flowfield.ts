import type { Point, Polyline } from "../core/geometry.js";
import { type GreyGrid, sampleGrid } from "../core/grey.js";
import type { Machine } from "../core/machine.js";
import { PolargraphError } from "../errors.js";
import { type PlacementOptions, placeGrid, seededRandom } from "./renderers.js";

/** Progress of {@link renderFlowField}: seeds of the covering grid tried so far. */
export interface FlowFieldProgressEvent {
  phase: "trace";
  /** Grid seeds tried. */
  done: number;
  /** Grid seeds in all. */
  total: number;
  /** Lines kept so far. */
  lines: number;
}

/** Options of {@link renderFlowField}. */
export interface FlowFieldOptions extends PlacementOptions {
  /**
   * What the lines follow: `noise`, a seeded Perlin noise field; `contours`, the picture's
   * isophotes (lines run along edges, across the darkness gradient) wherever the darkness changes
   * by 0.1 or more over 10 mm, blending into the noise field where the picture is flatter.
   * @defaultValue "noise"
   */
  field?: "noise" | "contours";
  /** Size of the noise field's swirls, mm. @defaultValue a third of the picture's shorter side */
  noiseScale?: number;
  /** Distance between neighbouring lines over black, mm. @defaultValue 1 */
  minSpacing?: number;
  /** Widest distance between neighbouring lines, mm: the spacing is minSpacing / darkness (so line length per area, like ink, grows in proportion to darkness), capped at this. @defaultValue 5 × minSpacing */
  maxSpacing?: number;
  /** Lines stop where the picture is lighter than this darkness (0–1), leaving the paper white. @defaultValue 0.08 */
  minDarkness?: number;
  /** A line stops when it comes closer to another line than this fraction of the local spacing (Jobard–Lefer's d_test / d_sep). @defaultValue 0.5 */
  separation?: number;
  /** Integration step along a line (midpoint rule), mm. @defaultValue min(0.5, minSpacing / 2) */
  step?: number;
  /** Lines shorter than this are dropped, mm. @defaultValue 2 × minSpacing */
  minLength?: number;
  /** Called after each batch of covering-grid seeds. @defaultValue none */
  onProgress?: (event: FlowFieldProgressEvent) => void;
}

function bad(message: string): PolargraphError {
  return new PolargraphError("INVALID_ARGUMENT", message);
}

/** Seeded 2-D Perlin gradient noise, roughly in [−1, 1]. */
function perlin(seed: number): (x: number, y: number) => number {
  const random = seededRandom(seed);
  const perm = new Uint8Array(512);
  const p = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 255; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [p[i], p[j]] = [p[j] as number, p[i] as number];
  }
  for (let i = 0; i < 512; i++) perm[i] = p[i & 255] as number;
  const gx = new Float64Array(256);
  const gy = new Float64Array(256);
  for (let i = 0; i < 256; i++) {
    const a = random() * 2 * Math.PI;
    gx[i] = Math.cos(a);
    gy[i] = Math.sin(a);
  }
  const fade = (t: number) => t * t * t * (t * (t * 6 - 15) + 10);
  return (x, y) => {
    const x0 = Math.floor(x);
    const y0 = Math.floor(y);
    const fx = x - x0;
    const fy = y - y0;
    const X = x0 & 255;
    const Y = y0 & 255;
    const dot = (ix: number, iy: number, dx: number, dy: number) => {
      const h = perm[(perm[(X + ix) & 255] as number) + ((Y + iy) & 255)] as number;
      return (gx[h] as number) * dx + (gy[h] as number) * dy;
    };
    const u = fade(fx);
    const v = fade(fy);
    const n00 = dot(0, 0, fx, fy);
    const n01 = dot(0, 1, fx, fy - 1);
    const a = n00 + u * (dot(1, 0, fx - 1, fy) - n00);
    const b = n01 + u * (dot(1, 1, fx - 1, fy - 1) - n01);
    return (a + v * (b - a)) * Math.SQRT2;
  };
}

/** Points of accepted lines in a uniform hash grid, for "is anything within r of here?" */
class PointIndex {
  private readonly cells = new Map<number, number[]>();
  readonly xs: number[] = [];
  readonly ys: number[] = [];
  readonly line: number[] = [];
  readonly arc: number[] = [];
  constructor(private readonly cell: number) {}
  private key(cx: number, cy: number): number {
    return cy * 1_000_003 + cx;
  }
  add(x: number, y: number, line: number, arc: number): number {
    const id = this.xs.length;
    this.xs.push(x);
    this.ys.push(y);
    this.line.push(line);
    this.arc.push(arc);
    const k = this.key(Math.floor(x / this.cell), Math.floor(y / this.cell));
    const list = this.cells.get(k);
    if (list) list.push(id);
    else this.cells.set(k, [id]);
    return id;
  }
  /** Removes the most recently added ids from `from` on. */
  truncate(from: number): void {
    for (let id = this.xs.length - 1; id >= from; id--) {
      const k = this.key(
        Math.floor((this.xs[id] as number) / this.cell),
        Math.floor((this.ys[id] as number) / this.cell),
      );
      const list = this.cells.get(k) as number[];
      list.pop(); // ids are appended in order, so the newest is last
      if (list.length === 0) this.cells.delete(k);
    }
    this.xs.length = from;
    this.ys.length = from;
    this.line.length = from;
    this.arc.length = from;
  }
  /** True when a point lies within r of (x, y), ignoring points of `line` within `arcGap` of `arc` along it. */
  near(x: number, y: number, r: number, line = -1, arc = 0, arcGap = 0): boolean {
    const r2 = r * r;
    const c0x = Math.floor((x - r) / this.cell);
    const c1x = Math.floor((x + r) / this.cell);
    const c0y = Math.floor((y - r) / this.cell);
    const c1y = Math.floor((y + r) / this.cell);
    for (let cy = c0y; cy <= c1y; cy++)
      for (let cx = c0x; cx <= c1x; cx++) {
        const list = this.cells.get(this.key(cx, cy));
        if (!list) continue;
        for (const id of list) {
          const dx = (this.xs[id] as number) - x;
          const dy = (this.ys[id] as number) - y;
          if (dx * dx + dy * dy >= r2) continue;
          if (this.line[id] === line && Math.abs((this.arc[id] as number) - arc) < arcGap) continue;
          return true;
        }
      }
    return false;
  }
}

/**
 * Flow-field lines: evenly spaced streamlines (Jobard & Lefer 1997) of a seeded noise field or of
 * the picture's contours. Lines lie closer together where the picture is darker (`minSpacing` /
 * darkness, from `minSpacing` on black up to at most `maxSpacing`) and stop short of one another, so no two
 * lines overlap: a line grows both ways from its seed until it leaves the picture, reaches paper
 * lighter than `minDarkness`, or comes within `separation` × the local spacing of another line or
 * of itself. New seeds sit one spacing to either side of every kept line; a jittered grid of seeds
 * covers regions no line reached. Deterministic by seed; every point lies inside the picture's
 * rectangle.
 */
export function renderFlowField(
  machine: Machine,
  grid: GreyGrid,
  options: FlowFieldOptions = {},
): Polyline[] {
  const pl = placeGrid(machine, grid, options);
  const fieldKind = options.field ?? "noise";
  if (fieldKind !== "noise" && fieldKind !== "contours")
    throw bad(`field must be noise or contours, got ${fieldKind}`);
  const minSpacing = options.minSpacing ?? 1;
  if (!(minSpacing > 0 && Number.isFinite(minSpacing)))
    throw bad(`minSpacing must be a positive number, got ${minSpacing}`);
  const maxSpacing = options.maxSpacing ?? 5 * minSpacing;
  if (!(maxSpacing >= minSpacing && Number.isFinite(maxSpacing)))
    throw bad(`maxSpacing must be at least minSpacing (${minSpacing}), got ${maxSpacing}`);
  if (minSpacing < Math.min(pl.width, pl.height) / 5000)
    throw bad(
      `minSpacing ${minSpacing} mm is too fine for a ${pl.width.toFixed(1)} mm picture (at most 5000 lines across)`,
    );
  const minDarkness = options.minDarkness ?? 0.08;
  if (!(minDarkness >= 0 && minDarkness < 1))
    throw bad(`minDarkness must be in [0, 1), got ${minDarkness}`);
  const separation = options.separation ?? 0.5;
  if (!(separation > 0 && separation <= 1))
    throw bad(`separation must be in (0, 1], got ${separation}`);
  const step = options.step ?? Math.min(0.5, minSpacing / 2);
  if (!(step > 0 && step <= minSpacing))
    throw bad(`step must be positive and at most minSpacing (${minSpacing}), got ${step}`);
  const minLength = options.minLength ?? 2 * minSpacing;
  if (!(minLength >= 0)) throw bad(`minLength must be ≥ 0, got ${minLength}`);
  const noiseScale = options.noiseScale ?? Math.min(pl.width, pl.height) / 3;
  if (!(noiseScale > 0 && Number.isFinite(noiseScale)))
    throw bad(`noiseScale must be a positive number, got ${noiseScale}`);

  const seed = options.seed ?? 1;
  const noise = perlin(seed);
  const random = seededRandom(seed ^ 0x5bd1e995);
  const x0 = pl.x;
  const y0 = pl.y;
  const x1 = pl.x + pl.width;
  const y1 = pl.y + pl.height;

  // darkness, bilinear between cell centres
  const darkness = (x: number, y: number) =>
    sampleGrid(grid, (x - x0) / pl.cellWidth, (y - y0) / pl.cellHeight);
  // line length per area ∝ darkness, as ink coverage is pen width / spacing
  const spacingAt = (x: number, y: number) =>
    Math.min(maxSpacing, minSpacing / Math.max(1e-9, Math.min(1, darkness(x, y))));
  const drawn = (x: number, y: number) =>
    x >= x0 && x <= x1 && y >= y0 && y <= y1 && darkness(x, y) >= minDarkness;

  // the direction field as a unit vector; contours mode uses the isophote where the picture has an edge
  const gradStep = Math.max(pl.cellWidth, pl.cellHeight);
  const direction = (x: number, y: number, out: { x: number; y: number }) => {
    const a = noise(x / noiseScale, y / noiseScale) * 2 * Math.PI;
    let vx = Math.cos(a);
    let vy = Math.sin(a);
    if (fieldKind === "contours") {
      const gxv = (darkness(x + gradStep, y) - darkness(x - gradStep, y)) / (2 * gradStep);
      const gyv = (darkness(x, y + gradStep) - darkness(x, y - gradStep)) / (2 * gradStep);
      const g = Math.hypot(gxv, gyv);
      if (g > 0) {
        // a darkness change of 0.1 over 10 mm or steeper is followed fully; flatter parts blend into the noise
        const w = Math.min(1, (g * 10) / 0.1);
        let tx = -gyv / g;
        let ty = gxv / g;
        if (tx * vx + ty * vy < 0) {
          tx = -tx;
          ty = -ty;
        }
        vx = w * tx + (1 - w) * vx;
        vy = w * ty + (1 - w) * vy;
        const len = Math.hypot(vx, vy) || 1;
        vx /= len;
        vy /= len;
      }
    }
    out.x = vx;
    out.y = vy;
  };

  const index = new PointIndex(minSpacing);
  const lines: Polyline[] = [];
  const queue: Point[] = [];
  const v1 = { x: 0, y: 0 };
  const v2 = { x: 0, y: 0 };
  const maxPoints = Math.ceil((4 * (pl.width + pl.height) * maxSpacing) / minSpacing / step) + 16;

  /** Grows one half of a line from the seed in direction sign (+1 / −1); points exclude the seed. */
  const grow = (sx: number, sy: number, sign: number, lineId: number): Point[] => {
    const pts: Point[] = [];
    let x = sx;
    let y = sy;
    let px = 0;
    let py = 0;
    let arc = 0;
    for (let k = 0; k < maxPoints; k++) {
      direction(x, y, v1);
      if (k === 0) {
        v1.x *= sign;
        v1.y *= sign;
      } else if (v1.x * px + v1.y * py < 0) {
        v1.x = -v1.x;
        v1.y = -v1.y;
      }
      const mx = x + (v1.x * step) / 2;
      const my = y + (v1.y * step) / 2;
      direction(mx, my, v2);
      if (v2.x * v1.x + v2.y * v1.y < 0) {
        v2.x = -v2.x;
        v2.y = -v2.y;
      }
      const nx = x + v2.x * step;
      const ny = y + v2.y * step;
      if (!drawn(nx, ny)) break;
      const dtest = separation * spacingAt(nx, ny);
      const nextArc = arc + sign * step;
      if (index.near(nx, ny, dtest, lineId, nextArc, 3 * maxSpacing)) break;
      index.add(nx, ny, lineId, nextArc);
      pts.push({ x: nx, y: ny });
      px = v2.x;
      py = v2.y;
      x = nx;
      y = ny;
      arc = nextArc;
    }
    return pts;
  };

  const trace = (sx: number, sy: number): void => {
    if (!drawn(sx, sy) || index.near(sx, sy, spacingAt(sx, sy))) return;
    const lineId = lines.length;
    const mark = index.xs.length;
    index.add(sx, sy, lineId, 0);
    const back = grow(sx, sy, -1, lineId);
    const fwd = grow(sx, sy, 1, lineId);
    const line: Polyline = [...back.reverse(), { x: sx, y: sy }, ...fwd];
    if (line.length < 2 || (line.length - 1) * step < minLength) {
      index.truncate(mark);
      return;
    }
    lines.push(line);
    // Jobard–Lefer seeds: one local spacing to either side of every few points of the new line
    const every = Math.max(1, Math.round(minSpacing / step));
    for (let i = 0; i < line.length; i += every) {
      const a = line[Math.max(0, i - 1)] as Point;
      const b = line[Math.min(line.length - 1, i + 1)] as Point;
      const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
      const nx = -(b.y - a.y) / len;
      const ny = (b.x - a.x) / len;
      const p = line[i] as Point;
      const d = spacingAt(p.x, p.y);
      queue.push({ x: p.x + nx * d, y: p.y + ny * d }, { x: p.x - nx * d, y: p.y - ny * d });
    }
  };

  const drain = () => {
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q] as Point;
      trace(s.x, s.y);
    }
    queue.length = 0;
  };

  // a jittered grid of seeds at the finest spacing reaches every drawn region, in seeded order
  const gcols = Math.max(1, Math.ceil(pl.width / minSpacing));
  const grows = Math.max(1, Math.ceil(pl.height / minSpacing));
  const seeds: Point[] = [];
  for (let r = 0; r < grows; r++)
    for (let c = 0; c < gcols; c++)
      seeds.push({
        x: x0 + Math.min(pl.width, (c + random()) * minSpacing),
        y: y0 + Math.min(pl.height, (r + random()) * minSpacing),
      });
  for (let i = seeds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [seeds[i], seeds[j]] = [seeds[j] as Point, seeds[i] as Point];
  }
  const batch = Math.max(1, Math.ceil(seeds.length / 100));
  for (let i = 0; i < seeds.length; i++) {
    const s = seeds[i] as Point;
    trace(s.x, s.y);
    drain();
    if ((i + 1) % batch === 0 || i === seeds.length - 1)
      options.onProgress?.({
        phase: "trace",
        done: i + 1,
        total: seeds.length,
        lines: lines.length,
      });
  }
  return lines;
}
