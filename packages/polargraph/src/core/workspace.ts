import { PolargraphError } from "../errors.js";
import type { Point } from "./geometry.js";
import { cordLengthsOf, spoolRadiusAt } from "./kinematics.js";
import { drawableRect, type Machine, type Rect } from "./machine.js";

const G = 9.80665;

/** Cord tensions holding the gondola still at a point. */
export interface Tensions {
  /** Left cord tension as a fraction of the gondola's weight (negative: the cord would have to push). */
  left: number;
  /** Right cord tension as a fraction of the weight. */
  right: number;
  /** Left tension in newtons for `workspace.gondolaMassG`. */
  leftN: number;
  /** Right tension in newtons. */
  rightN: number;
}

/** Resolution at a point: how far the pen moves for one step of the motors. */
export interface Resolution {
  /** Largest x move, mm, from one step of each motor. */
  x: number;
  /** Largest y move, mm, from one step of each motor. */
  y: number;
}

/** Why a point is outside the good drawing area. */
export type WorkspaceIssue =
  | "unreachable"
  | "slack-left"
  | "slack-right"
  | "low-tension"
  | "high-tension"
  | "resolution";

/** The verdict on one point. */
export interface PointReport {
  point: Point;
  /** True when both cords pull within the tension bounds and the resolution is fine enough. */
  ok: boolean;
  issues: WorkspaceIssue[];
  tensions?: Tensions;
  resolution?: Resolution;
}

/**
 * Static cord tensions at a point (machine mm). The cords pull along their directions from their
 * attachment points to the pivots; both tensions and gravity balance. Returns NaN tensions where
 * the point is not below the attachment line.
 */
export function cordTensions(machine: Machine, p: Point): Tensions {
  const { x: ox, y: oy } = machine.penOffset;
  const { left, right } = cordLengthsOf(machine, p.x, p.y);
  const dy = p.y - oy;
  if (!(dy > 0))
    return { left: Number.NaN, right: Number.NaN, leftN: Number.NaN, rightN: Number.NaN };
  const ulx = -(p.x - ox) / left;
  const uly = -dy / left;
  const urx = (machine.motorDistance - ox - p.x) / right;
  const ury = -dy / right;
  const det = ulx * ury - urx * uly;
  const l = urx / det;
  const r = -ulx / det;
  const weight = (machine.workspace.gondolaMassG / 1000) * G;
  return { left: l, right: r, leftN: l * weight, rightN: r * weight };
}

/**
 * Resolution at a point: the Jacobian of the pen position over the cord lengths times each
 * motor's cord mm per step there (the spool radius changes with build-up). Infinite on the
 * attachment line, where a step moves the pen without bound.
 */
export function resolutionAt(machine: Machine, p: Point): Resolution {
  const { x: ox, y: oy } = machine.penOffset;
  const span = machine.motorDistance - 2 * ox;
  const { left, right } = cordLengthsOf(machine, p.x, p.y);
  const X = p.x - ox;
  const Y = p.y - oy;
  if (!(Y > 0)) return { x: Number.POSITIVE_INFINITY, y: Number.POSITIVE_INFINITY };
  const stepsPerRev = machine.stepsPerRevolution * machine.microstepping;
  const mmL = (2 * Math.PI * spoolRadiusAt(machine, "left", left)) / stepsPerRev;
  const mmR = (2 * Math.PI * spoolRadiusAt(machine, "right", right)) / stepsPerRev;
  const dXdL = left / span;
  const dXdR = -right / span;
  const dYdL = (left - X * dXdL) / Y;
  const dYdR = (-X * dXdR) / Y;
  return {
    x: Math.abs(dXdL) * mmL + Math.abs(dXdR) * mmR,
    y: Math.abs(dYdL) * mmL + Math.abs(dYdR) * mmR,
  };
}

/** Checks one point (machine mm) against the machine's workspace limits. */
export function checkPoint(machine: Machine, p: Point): PointReport {
  const { x: ox, y: oy } = machine.penOffset;
  if (!(p.y - oy > 0) || !Number.isFinite(p.x))
    return { point: p, ok: false, issues: ["unreachable"] };
  const tensions = cordTensions(machine, p);
  const resolution = resolutionAt(machine, p);
  const issues: WorkspaceIssue[] = [];
  const { minTension, maxTension, maxMmPerStep } = machine.workspace;
  if (p.x - ox < 0 || tensions.right < 0) issues.push("slack-right");
  if (p.x + ox > machine.motorDistance || tensions.left < 0) issues.push("slack-left");
  if (!issues.length && Math.min(tensions.left, tensions.right) < minTension)
    issues.push("low-tension");
  if (Math.max(tensions.left, tensions.right) > maxTension) issues.push("high-tension");
  if (!Number.isFinite(resolution.x) || Math.max(resolution.x, resolution.y) > maxMmPerStep)
    issues.push("resolution");
  return { point: p, ok: issues.length === 0, issues, tensions, resolution };
}

/** Options of {@link analyseWorkspace}. */
export interface WorkspaceOptions {
  /** Grid cell size, mm. @defaultValue 10 */
  cellSize?: number;
  /** Region to map in machine mm. @defaultValue the span between the motors, down to 1.5 × the page bottom */
  region?: Rect;
}

/** A sampled map of the workspace. */
export interface WorkspaceMap {
  region: Rect;
  cellSize: number;
  columns: number;
  rows: number;
  /** Row-major cell reports, sampled at cell centres. */
  cells: PointReport[];
  /** The largest axis-aligned rectangle of good cells (machine mm), or null if none. */
  goodArea: Rect | null;
  /** Fraction (0–1) of the drawable page area whose cells are good. */
  pageCoverage: number;
  /** Worst resolution (mm per step) and the extreme tensions seen over the drawable page. */
  page: { worstMmPerStep: number; minTension: number; maxTension: number };
}

/** Samples tensions and resolution on a grid and finds the good drawing area. */
export function analyseWorkspace(machine: Machine, options: WorkspaceOptions = {}): WorkspaceMap {
  const cellSize = options.cellSize ?? 10;
  if (!(cellSize > 0))
    throw new PolargraphError("INVALID_ARGUMENT", `cellSize must be positive, got ${cellSize}`);
  const bottom = machine.page.y + machine.page.height;
  const region = options.region ?? {
    x: 0,
    y: 0,
    width: machine.motorDistance,
    height: Math.max(bottom * 1.25, bottom + 100),
  };
  const columns = Math.max(1, Math.ceil(region.width / cellSize));
  const rows = Math.max(1, Math.ceil(region.height / cellSize));
  if (columns * rows > 4_000_000)
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `a ${columns}×${rows} grid is too fine; use a larger cellSize`,
    );
  const cells: PointReport[] = [];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++)
      cells.push(
        checkPoint(machine, {
          x: region.x + (c + 0.5) * cellSize,
          y: region.y + (r + 0.5) * cellSize,
        }),
      );
  const goodArea = largestGoodRect(cells, columns, rows, region, cellSize);
  const d = drawableRect(machine);
  let inPage = 0;
  let goodInPage = 0;
  let worst = 0;
  let minT = Number.POSITIVE_INFINITY;
  let maxT = 0;
  for (const cell of cells) {
    const { x, y } = cell.point;
    if (x < d.x || x > d.x + d.width || y < d.y || y > d.y + d.height) continue;
    inPage++;
    if (cell.ok) goodInPage++;
    if (cell.resolution) worst = Math.max(worst, cell.resolution.x, cell.resolution.y);
    if (cell.tensions) {
      minT = Math.min(minT, cell.tensions.left, cell.tensions.right);
      maxT = Math.max(maxT, cell.tensions.left, cell.tensions.right);
    }
  }
  return {
    region,
    cellSize,
    columns,
    rows,
    cells,
    goodArea,
    pageCoverage: inPage ? goodInPage / inPage : 0,
    page: { worstMmPerStep: worst, minTension: minT, maxTension: maxT },
  };
}

/** Largest rectangle of good cells (histogram method, O(rows × columns)). */
function largestGoodRect(
  cells: PointReport[],
  columns: number,
  rows: number,
  region: Rect,
  cell: number,
): Rect | null {
  const heights = new Array<number>(columns).fill(0);
  let best = { area: 0, r: 0, c0: 0, c1: 0, h: 0 };
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++)
      heights[c] = (cells[r * columns + c] as PointReport).ok ? (heights[c] as number) + 1 : 0;
    const stack: number[] = [];
    for (let c = 0; c <= columns; c++) {
      const h = c === columns ? 0 : (heights[c] as number);
      while (stack.length && (heights[stack[stack.length - 1] as number] as number) >= h) {
        const top = stack.pop() as number;
        const height = heights[top] as number;
        const left = stack.length ? (stack[stack.length - 1] as number) + 1 : 0;
        const area = height * (c - left);
        if (area > best.area) best = { area, r, c0: left, c1: c, h: height };
      }
      stack.push(c);
    }
  }
  if (best.area === 0) return null;
  return {
    x: region.x + best.c0 * cell,
    y: region.y + (best.r - best.h + 1) * cell,
    width: (best.c1 - best.c0) * cell,
    height: best.h * cell,
  };
}

function colour(report: PointReport, maxMmPerStep: number): string {
  if (
    report.issues.includes("unreachable") ||
    report.issues.includes("slack-left") ||
    report.issues.includes("slack-right")
  )
    return "#7f7f7f";
  // good cells shade green → yellow with resolution; bad cells red → dark red
  const res = report.resolution ? Math.max(report.resolution.x, report.resolution.y) : maxMmPerStep;
  const f = Math.min(1, res / maxMmPerStep);
  if (report.ok) return `rgb(${Math.round(40 + 200 * f)},${Math.round(180 + 40 * (1 - f))},60)`;
  return report.issues.includes("high-tension") ? "#b2182b" : "#ef8a62";
}

/** An SVG heat map of a {@link WorkspaceMap}: cells coloured by verdict and resolution, the page, the good area, the motors. */
export function workspaceSvg(machine: Machine, map: WorkspaceMap): string {
  const { region, cellSize } = map;
  const pad = 20;
  const w = region.width + 2 * pad;
  const h = region.height + 2 * pad + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${region.x - pad} ${region.y - pad} ${w} ${h}" width="${Math.round(w)}mm" height="${Math.round(h)}mm">`,
    `<title>${escapeXml(machine.name)}: good drawing area</title>`,
    `<g shape-rendering="crispEdges">`,
  ];
  for (const cell of map.cells)
    out.push(
      `<rect x="${fmt(cell.point.x - cellSize / 2)}" y="${fmt(cell.point.y - cellSize / 2)}" width="${cellSize}" height="${cellSize}" fill="${colour(cell, machine.workspace.maxMmPerStep)}"/>`,
    );
  out.push("</g>");
  const p = machine.page;
  out.push(
    `<rect x="${fmt(p.x)}" y="${fmt(p.y)}" width="${fmt(p.width)}" height="${fmt(p.height)}" fill="none" stroke="#000" stroke-width="1.5"/>`,
  );
  if (map.goodArea) {
    const g = map.goodArea;
    out.push(
      `<rect x="${fmt(g.x)}" y="${fmt(g.y)}" width="${fmt(g.width)}" height="${fmt(g.height)}" fill="none" stroke="#2166ac" stroke-width="2" stroke-dasharray="8 4"/>`,
    );
  }
  for (const mx of [0, machine.motorDistance])
    out.push(`<circle cx="${mx}" cy="0" r="8" fill="#222"/>`);
  const legend = `page ${Math.round(map.pageCoverage * 100)}% good · worst ${map.page.worstMmPerStep.toFixed(3)} mm/step · tension ${map.page.minTension.toFixed(2)}–${map.page.maxTension.toFixed(2)} × weight`;
  out.push(
    `<text x="${region.x}" y="${fmt(region.y + region.height + 30)}" font-family="sans-serif" font-size="16">${escapeXml(legend)}</text>`,
  );
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

function fmt(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

function escapeXml(s: string): string {
  return s.replace(
    /[<>&"]/g,
    (ch) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[ch] as string,
  );
}
