import { PolargraphError } from "../errors.js";
import { type Logger, silentLogger } from "../logger.js";
import type { Point, Polyline } from "./geometry.js";
import { cordLengthsOf } from "./kinematics.js";
import type { Machine } from "./machine.js";
import { DEFAULT_TOLERANCE, segmentLine } from "./segment.js";
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

interface Raw {
  pen: "down" | "up";
  from: Point;
  to: Point;
  l0: number;
  r0: number;
  l1: number;
  r1: number;
  xy: number;
}

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

  const groups: Array<Raw[] | boolean> = [];
  const steps: PlanStep[] = [];
  const { x: px, y: py } = machine.page;
  let at: Point = machine.home;
  let atCords = cordLengthsOf(machine, at.x, at.y);
  let drawLength = 0;
  let travelLength = 0;
  let moveCount = 0;
  const seg: Point[] = [];
  const chain = (pen: "down" | "up", pts: Point[]): Raw[] => {
    const out: Raw[] = [];
    for (const target of pts) {
      seg.length = 0;
      segmentLine(machine, at, target, tolerance, seg);
      for (const p of seg) {
        const c = cordLengthsOf(machine, p.x, p.y);
        const xy = Math.hypot(p.x - at.x, p.y - at.y);
        if (c.left !== atCords.left || c.right !== atCords.right)
          out.push({
            pen,
            from: at,
            to: p,
            l0: atCords.left,
            r0: atCords.right,
            l1: c.left,
            r1: c.right,
            xy,
          });
        if (pen === "down") drawLength += xy;
        else travelLength += xy;
        at = p;
        atCords = c;
      }
    }
    return out;
  };
  const total = strokes.length;
  let lastReport = 0;
  for (let s = 0; s < strokes.length; s++) {
    const stroke = strokes[s] as Polyline;
    const pts = stroke.map((p) => ({ x: p.x + px, y: p.y + py }));
    const first = pts[0] as Point;
    const travel = chain("up", [first]);
    if (travel.length) groups.push(travel);
    groups.push(true);
    const draw = chain("down", pts.slice(1));
    if (draw.length) groups.push(draw);
    groups.push(false);
    if (options.onProgress && (s + 1 === total || s - lastReport >= 256)) {
      lastReport = s;
      options.onProgress({ phase: "plan", done: s + 1, total });
    }
  }
  if (options.returnHome ?? true) {
    const home = chain("up", [machine.home]);
    if (home.length) groups.push(home);
  }
  // groups are chains of moves (each starting and ending at rest) and pen changes (true: down)
  let durationMs = 0;
  for (const group of groups) {
    if (typeof group === "boolean") {
      const penMs = group ? machine.pen.downDelayMs : machine.pen.upDelayMs;
      steps.push({ type: "pen", down: group, durationMs: penMs });
      durationMs += penMs;
      continue;
    }
    const planned = planChain(machine, group);
    for (const m of planned) {
      steps.push(m);
      durationMs += m.durationMs;
    }
    moveCount += planned.length;
  }
  if (options.onProgress && total === 0) options.onProgress({ phase: "plan", done: 0, total: 0 });
  return { machine, strokes, steps, warnings, durationMs, drawLength, travelLength, moveCount };
}

/** Plans one chain of moves that starts and ends at rest. */
function planChain(m: Machine, raws: Raw[]): PlannedMove[] {
  const n = raws.length;
  const len = new Float64Array(n);
  const vmax = new Float64Array(n);
  const amax = new Float64Array(n);
  const entryMax = new Float64Array(n);
  const ul = new Float64Array(n);
  const ur = new Float64Array(n);
  const { left: ml, right: mr } = m.motors;
  for (let i = 0; i < n; i++) {
    const r = raws[i] as Raw;
    const dl = r.l1 - r.l0;
    const dr = r.r1 - r.r0;
    const L = Math.hypot(dl, dr);
    len[i] = L;
    ul[i] = dl / L;
    ur[i] = dr / L;
    const al = Math.abs(dl / L);
    const ar = Math.abs(dr / L);
    const feed = r.pen === "down" ? m.drawSpeed : m.travelSpeed;
    vmax[i] = Math.min(
      al > 0 ? ml.maxSpeed / al : Number.POSITIVE_INFINITY,
      ar > 0 ? mr.maxSpeed / ar : Number.POSITIVE_INFINITY,
      r.xy > 0 ? (feed * L) / r.xy : Number.POSITIVE_INFINITY,
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
  const entry = new Float64Array(n + 1);
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
  const out: PlannedMove[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = raws[i] as Raw;
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
    const seconds = (peak - ve) / a + (peak - vx) / a + (peak > 0 ? cruise / peak : 0);
    out[i] = {
      type: "move",
      pen: r.pen,
      from: r.from,
      to: r.to,
      left: r.l1,
      right: r.r1,
      dLeft: r.l1 - r.l0,
      dRight: r.r1 - r.r0,
      length: L,
      maxSpeed: vc,
      entrySpeed: ve,
      peakSpeed: peak,
      exitSpeed: vx,
      acceleration: a,
      durationMs: seconds * 1000,
    };
  }
  return out;
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
