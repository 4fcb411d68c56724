import { PolargraphError } from "../errors.js";
import { type Logger, silentLogger } from "../logger.js";
import type { Point, Polyline } from "./geometry.js";
import { type Constants, constants } from "./kinematics.js";
import type { Machine } from "./machine.js";
import { DEFAULT_TOLERANCE } from "./segment.js";
import { checkPoint, type WorkspaceIssue } from "./workspace.js";

/** One straight move of both cords, with its speed profile (cord-space mm and mm/s). */
export interface PlannedMove {
  type: "move";
  /** Pen down (drawing) or up (travelling). */
  pen: "down" | "up";
  /** Start and end of the move, machine mm. */
  from: Point;
  to: Point;
  /** Cord lengths at the end, mm. */
  left: number;
  right: number;
  /** Change of each cord over the move, mm. */
  dLeft: number;
  dRight: number;
  /** Length in cord space, √(ΔL² + ΔR²), mm: the speeds below are along it. */
  length: number;
  /** Speed limit of the move from both motors and the draw or travel speed, cord-space mm/s. */
  maxSpeed: number;
  /** Speed at the start, top speed reached and speed at the end, cord-space mm/s. */
  entrySpeed: number;
  peakSpeed: number;
  exitSpeed: number;
  /** Acceleration used for this move, cord-space mm/s². */
  acceleration: number;
  /** The move's duration, ms. */
  durationMs: number;
}

/** A pen lift or drop and the time it takes. */
export interface PenChange {
  type: "pen";
  down: boolean;
  durationMs: number;
}

/** One step of a plan. */
export type PlanStep = PlannedMove | PenChange;

/** A point outside the good drawing area, reported while planning. */
export interface PlanWarning {
  /** Which input stroke (0-based). */
  stroke: number;
  /** The issues found. */
  issues: WorkspaceIssue[];
  /** The stroke's points with those issues (page mm), at most 20. */
  points: Point[];
  message: string;
}

/** Progress of {@link planDrawing}. */
export interface PlanProgressEvent {
  phase: "plan";
  /** Strokes planned so far. */
  done: number;
  total: number;
}

/** Options of {@link planDrawing}. */
export interface PlanOptions {
  /** Largest deviation from the asked-for straight lines, mm. @defaultValue 0.1 */
  tolerance?: number;
  /** What to do with points outside the page less its margins: throw `OUT_OF_PAGE`, or clip the strokes. @defaultValue "error" */
  outOfPage?: "error" | "clip";
  /** Travel back to the home position at the end. @defaultValue true */
  returnHome?: boolean;
  /** Receives warnings (points outside the good drawing area). @defaultValue silent */
  logger?: Logger;
  /** Called as strokes are planned. */
  onProgress?: (event: PlanProgressEvent) => void;
}

/** A planned drawing. */
export interface Plan {
  machine: Machine;
  /** The strokes drawn, page mm (after clipping). */
  strokes: Polyline[];
  steps: PlanStep[];
  warnings: PlanWarning[];
  /** Estimated plot time, ms (moves plus pen changes). */
  durationMs: number;
  /** Pen-down and pen-up path lengths on paper, mm. */
  drawLength: number;
  travelLength: number;
  /** Number of moves after segmentation. */
  moveCount: number;
}

const MIN_JUNCTION_SPEED = 0;

/**
 * Plans a drawing: strokes in page mm (origin at the page's top-left corner) become pen changes
 * and cord-linear moves, segmented to `tolerance`, each with a trapezoidal speed profile within
 * both motors' speed and acceleration limits, junction-deviation cornering (as in grbl) between
 * moves, and a stop at each pen change.
 */
export function planDrawing(
  machine: Machine,
  strokesIn: readonly Polyline[],
  options: PlanOptions = {},
): Plan {
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  if (!(tolerance > 0))
    throw new PolargraphError("INVALID_ARGUMENT", `tolerance must be positive, got ${tolerance}`);
  const logger = options.logger ?? silentLogger;
  const strokes = prepareStrokes(machine, strokesIn, options.outOfPage ?? "error");
  const warnings = checkStrokes(machine, strokes);
  for (const w of warnings) logger.warn(w.message);

  const k = constants(machine);
  const D = machine.motorDistance;
  const { x: px, y: py } = machine.page;
  const buf = new ChainBuffer();
  const steps: PlanStep[] = [];
  let at: Point = machine.home;
  let atL = Math.hypot(at.x - k.ox, at.y - k.oy);
  let atR = Math.hypot(D - k.ox - at.x, at.y - k.oy);
  let drawLength = 0;
  let travelLength = 0;
  let moveCount = 0;
  let durationMs = 0;
  const sink = (x: number, y: number, l: number, r: number, point: Point | null) => {
    const to = point ?? { x, y };
    const xy = Math.hypot(x - at.x, y - at.y);
    if (l !== atL || r !== atR) buf.push(at, to, atL, atR, l, r, xy);
    if (buf.pen === "down") drawLength += xy;
    else travelLength += xy;
    at = to;
    atL = l;
    atR = r;
  };
  const lineTo = (target: Point) => {
    const l = Math.hypot(target.x - k.ox, target.y - k.oy);
    const r = Math.hypot(D - k.ox - target.x, target.y - k.oy);
    segmentCords(k, D, at.x, at.y, atL, atR, target.x, target.y, l, r, tolerance, 0, target, sink);
  };
  const flush = () => {
    if (buf.n === 0) return;
    durationMs += planChain(machine, buf, steps);
    moveCount += buf.n;
    buf.clear();
  };
  const pen = (down: boolean) => {
    flush();
    const penMs = down ? machine.pen.downDelayMs : machine.pen.upDelayMs;
    steps.push({ type: "pen", down, durationMs: penMs });
    durationMs += penMs;
  };
  const total = strokes.length;
  let lastReport = 0;
  for (let s = 0; s < strokes.length; s++) {
    const stroke = strokes[s] as Polyline;
    const first = stroke[0] as Point;
    buf.pen = "up";
    lineTo({ x: first.x + px, y: first.y + py });
    pen(true);
    buf.pen = "down";
    for (let i = 1; i < stroke.length; i++) {
      const p = stroke[i] as Point;
      lineTo({ x: p.x + px, y: p.y + py });
    }
    pen(false);
    if (options.onProgress && (s + 1 === total || s - lastReport >= 256)) {
      lastReport = s;
      options.onProgress({ phase: "plan", done: s + 1, total });
    }
  }
  buf.pen = "up";
  if (options.returnHome ?? true) lineTo(machine.home);
  flush();
  if (options.onProgress && total === 0) options.onProgress({ phase: "plan", done: 0, total: 0 });
  return { machine, strokes, steps, warnings, durationMs, drawLength, travelLength, moveCount };
}

const QUARTERS = [0.5, 0.25, 0.75];

/**
 * Recursive cord-space segmentation (see segmentLine) on scalars, calling `sink` with each
 * end point and its cord lengths; allocation-free apart from the split points themselves.
 */
function segmentCords(
  k: Constants,
  D: number,
  ax: number,
  ay: number,
  la: number,
  ra: number,
  bx: number,
  by: number,
  lb: number,
  rb: number,
  tol: number,
  depth: number,
  target: Point | null,
  sink: (x: number, y: number, l: number, r: number, point: Point | null) => void,
): void {
  const dx = bx - ax;
  const dy = by - ay;
  const len = Math.hypot(dx, dy);
  let deviation = 0;
  if (len > 1e-6 && depth < 24) {
    const span = k.span;
    for (const t of QUARTERS) {
      const l = la + (lb - la) * t;
      const r = ra + (rb - ra) * t;
      const X = (l * l - r * r + span * span) / (2 * span);
      const Y = Math.sqrt(l * l - X * X);
      const d = Math.abs((X + k.ox - ax) * dy - (Y + k.oy - ay) * dx) / len;
      if (d > deviation) deviation = d;
      if (deviation > tol) break;
    }
  }
  if (deviation <= tol) {
    sink(bx, by, lb, rb, target);
    return;
  }
  const cx = (ax + bx) / 2;
  const cy = (ay + by) / 2;
  const lc = Math.hypot(cx - k.ox, cy - k.oy);
  const rc = Math.hypot(D - k.ox - cx, cy - k.oy);
  segmentCords(k, D, ax, ay, la, ra, cx, cy, lc, rc, tol, depth + 1, null, sink);
  segmentCords(k, D, cx, cy, lc, rc, bx, by, lb, rb, tol, depth + 1, target, sink);
}

/** Moves of one chain (between pen changes), in columns, reused from chain to chain. */
class ChainBuffer {
  n = 0;
  pen: "up" | "down" = "up";
  private cap = 1024;
  from: Point[] = [];
  to: Point[] = [];
  l0 = new Float64Array(this.cap);
  r0 = new Float64Array(this.cap);
  l1 = new Float64Array(this.cap);
  r1 = new Float64Array(this.cap);
  xy = new Float64Array(this.cap);

  push(from: Point, to: Point, l0: number, r0: number, l1: number, r1: number, xy: number): void {
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    this.from[i] = from;
    this.to[i] = to;
    this.l0[i] = l0;
    this.r0[i] = r0;
    this.l1[i] = l1;
    this.r1[i] = r1;
    this.xy[i] = xy;
  }

  clear(): void {
    this.n = 0;
  }

  private grow(): void {
    this.cap *= 2;
    for (const key of ["l0", "r0", "l1", "r1", "xy"] as const) {
      const next = new Float64Array(this.cap);
      next.set(this[key]);
      this[key] = next;
    }
  }
}

let scratch = new Float64Array(0);

/** Plans one chain of moves that starts and ends at rest; appends them to `steps`, returns ms. */
function planChain(m: Machine, buf: ChainBuffer, steps: PlanStep[]): number {
  const n = buf.n;
  if (scratch.length < 7 * (n + 1)) scratch = new Float64Array(14 * (n + 1));
  const len = scratch.subarray(0, n);
  const vmax = scratch.subarray(n, 2 * n);
  const amax = scratch.subarray(2 * n, 3 * n);
  const entryMax = scratch.subarray(3 * n, 4 * n);
  const ul = scratch.subarray(4 * n, 5 * n);
  const ur = scratch.subarray(5 * n, 6 * n);
  const entry = scratch.subarray(6 * n, 7 * n + 1);
  const { left: ml, right: mr } = m.motors;
  const feed = buf.pen === "down" ? m.drawSpeed : m.travelSpeed;
  for (let i = 0; i < n; i++) {
    const dl = (buf.l1[i] as number) - (buf.l0[i] as number);
    const dr = (buf.r1[i] as number) - (buf.r0[i] as number);
    const xy = buf.xy[i] as number;
    const L = Math.hypot(dl, dr);
    len[i] = L;
    ul[i] = dl / L;
    ur[i] = dr / L;
    const al = Math.abs(dl / L);
    const ar = Math.abs(dr / L);
    vmax[i] = Math.min(
      al > 0 ? ml.maxSpeed / al : Number.POSITIVE_INFINITY,
      ar > 0 ? mr.maxSpeed / ar : Number.POSITIVE_INFINITY,
      xy > 0 ? (feed * L) / xy : Number.POSITIVE_INFINITY,
    );
    amax[i] = Math.min(
      al > 0 ? ml.maxAcceleration / al : Number.POSITIVE_INFINITY,
      ar > 0 ? mr.maxAcceleration / ar : Number.POSITIVE_INFINITY,
    );
  }
  // junction speeds (grbl's junction deviation): the speed at which a virtual circle through the
  // corner, `junctionDeviation` away from it, can be taken at the junction's acceleration limit
  entryMax[0] = 0;
  for (let i = 1; i < n; i++) {
    const cos =
      -(ul[i - 1] as number) * (ul[i] as number) - (ur[i - 1] as number) * (ur[i] as number);
    let vj: number;
    if (cos > 0.999999) vj = MIN_JUNCTION_SPEED;
    else if (cos < -0.999999) vj = Number.POSITIVE_INFINITY;
    else {
      let jl = (ul[i] as number) - (ul[i - 1] as number);
      let jr = (ur[i] as number) - (ur[i - 1] as number);
      const jn = Math.hypot(jl, jr);
      jl /= jn;
      jr /= jn;
      const ja = Math.min(
        jl !== 0 ? ml.maxAcceleration / Math.abs(jl) : Number.POSITIVE_INFINITY,
        jr !== 0 ? mr.maxAcceleration / Math.abs(jr) : Number.POSITIVE_INFINITY,
      );
      const sinHalf = Math.sqrt(0.5 * (1 - cos));
      vj = Math.sqrt((ja * m.junctionDeviation * sinHalf) / (1 - sinHalf));
    }
    entryMax[i] = Math.min(vj, vmax[i - 1] as number, vmax[i] as number);
  }
  // backward pass: every move must be able to slow down to the next entry
  entry[n] = 0;
  for (let i = n - 1; i >= 0; i--) {
    const reach = Math.sqrt(
      (entry[i + 1] as number) ** 2 + 2 * (amax[i] as number) * (len[i] as number),
    );
    entry[i] = Math.min(entryMax[i] as number, reach);
  }
  // forward pass: and reach its exit from its entry
  for (let i = 0; i < n; i++) {
    const reach = Math.sqrt(
      (entry[i] as number) ** 2 + 2 * (amax[i] as number) * (len[i] as number),
    );
    if ((entry[i + 1] as number) > reach) entry[i + 1] = reach;
  }
  let totalMs = 0;
  for (let i = 0; i < n; i++) {
    const L = len[i] as number;
    const a = amax[i] as number;
    const ve = entry[i] as number;
    const vx = entry[i + 1] as number;
    const vc = vmax[i] as number;
    let peak = vc;
    let da = (vc * vc - ve * ve) / (2 * a);
    let dd = (vc * vc - vx * vx) / (2 * a);
    if (da + dd > L) {
      peak = Math.sqrt(Math.max(ve * ve, vx * vx, (2 * a * L + ve * ve + vx * vx) / 2));
      da = Math.max(0, (peak * peak - ve * ve) / (2 * a));
      dd = Math.max(0, L - da);
    }
    const cruise = Math.max(0, L - da - dd);
    const ms = ((peak - ve) / a + (peak - vx) / a + (peak > 0 ? cruise / peak : 0)) * 1000;
    totalMs += ms;
    steps.push({
      type: "move",
      pen: buf.pen,
      from: buf.from[i] as Point,
      to: buf.to[i] as Point,
      left: buf.l1[i] as number,
      right: buf.r1[i] as number,
      dLeft: (buf.l1[i] as number) - (buf.l0[i] as number),
      dRight: (buf.r1[i] as number) - (buf.r0[i] as number),
      length: L,
      maxSpeed: vc,
      entrySpeed: ve,
      peakSpeed: peak,
      exitSpeed: vx,
      acceleration: a,
      durationMs: ms,
    });
  }
  return totalMs;
}

function inside(p: Point, x0: number, y0: number, x1: number, y1: number): boolean {
  return p.x >= x0 - 1e-9 && p.x <= x1 + 1e-9 && p.y >= y0 - 1e-9 && p.y <= y1 + 1e-9;
}

/** Validates strokes, and checks or clips them against the page less its margins. */
function prepareStrokes(
  m: Machine,
  strokes: readonly Polyline[],
  mode: "error" | "clip",
): Polyline[] {
  const x0 = m.margins.left;
  const y0 = m.margins.top;
  const x1 = m.page.width - m.margins.right;
  const y1 = m.page.height - m.margins.bottom;
  const out: Polyline[] = [];
  const outside: Point[] = [];
  for (let s = 0; s < strokes.length; s++) {
    const stroke = strokes[s] as Polyline;
    if (!Array.isArray(stroke))
      throw new PolargraphError("INVALID_ARGUMENT", `stroke ${s} is not an array of points`);
    for (const p of stroke)
      if (!p || !Number.isFinite(p.x) || !Number.isFinite(p.y))
        throw new PolargraphError(
          "INVALID_ARGUMENT",
          `stroke ${s} has a point that is not finite: ${JSON.stringify(p)}`,
        );
    if (stroke.length === 0) continue;
    const line = stroke.length === 1 ? [stroke[0] as Point, stroke[0] as Point] : stroke;
    if (line.every((p) => inside(p, x0, y0, x1, y1))) {
      out.push(line);
      continue;
    }
    if (mode === "error") {
      for (const p of line) if (!inside(p, x0, y0, x1, y1) && outside.length < 20) outside.push(p);
      continue;
    }
    out.push(...clipPolyline(line, x0, y0, x1, y1));
  }
  if (outside.length)
    throw new PolargraphError(
      "OUT_OF_PAGE",
      `the drawing leaves the page less its margins (x ${x0}–${x1}, y ${y0}–${y1} mm); first point outside: (${outside[0]?.x}, ${outside[0]?.y}). Scale it or plan with outOfPage: "clip"`,
      { points: outside },
    );
  return out;
}

/** Clips a polyline to a rectangle (Liang–Barsky per segment), splitting it where it leaves. */
export function clipPolyline(
  line: Polyline,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
): Polyline[] {
  const out: Polyline[] = [];
  let current: Polyline = [];
  for (let i = 1; i < line.length; i++) {
    const a = line[i - 1] as Point;
    const b = line[i] as Point;
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    let t0 = 0;
    let t1 = 1;
    let visible = true;
    for (const [p, q] of [
      [-dx, a.x - x0],
      [dx, x1 - a.x],
      [-dy, a.y - y0],
      [dy, y1 - a.y],
    ] as const) {
      if (p === 0) {
        if (q < 0) visible = false;
      } else {
        const r = q / p;
        if (p < 0) t0 = Math.max(t0, r);
        else t1 = Math.min(t1, r);
      }
    }
    if (!visible || t0 > t1) {
      if (current.length > 1) out.push(current);
      current = [];
      continue;
    }
    const ca = { x: a.x + t0 * dx, y: a.y + t0 * dy };
    const cb = { x: a.x + t1 * dx, y: a.y + t1 * dy };
    if (current.length === 0 || t0 > 0) {
      if (current.length > 1) out.push(current);
      current = [ca];
    }
    current.push(cb);
    if (t1 < 1) {
      if (current.length > 1) out.push(current);
      current = [];
    }
  }
  if (current.length > 1) out.push(current);
  return out;
}

/** Flags points that cannot be drawn (throws) or lie outside the good drawing area (warnings). */
function checkStrokes(m: Machine, strokes: Polyline[]): PlanWarning[] {
  const warnings: PlanWarning[] = [];
  const unreachable: Point[] = [];
  for (let s = 0; s < strokes.length; s++) {
    const issues = new Set<WorkspaceIssue>();
    const points: Point[] = [];
    for (const p of strokes[s] as Polyline) {
      const report = checkPoint(m, { x: p.x + m.page.x, y: p.y + m.page.y });
      if (report.ok) continue;
      if (
        report.issues.some((i) => i === "unreachable" || i === "slack-left" || i === "slack-right")
      ) {
        if (unreachable.length < 20) unreachable.push(p);
        continue;
      }
      for (const i of report.issues) issues.add(i);
      if (points.length < 20) points.push(p);
    }
    if (points.length) {
      const list = [...issues];
      warnings.push({
        stroke: s,
        issues: list,
        points,
        message: `stroke ${s} leaves the good drawing area (${list.join(", ")}) at page (${points[0]?.x.toFixed(1)}, ${points[0]?.y.toFixed(1)}) mm`,
      });
    }
  }
  if (unreachable.length)
    throw new PolargraphError(
      "UNREACHABLE",
      `${unreachable.length} point(s) cannot be held by both cords, first at page (${unreachable[0]?.x}, ${unreachable[0]?.y}) mm`,
      { points: unreachable },
    );
  return warnings;
}
