import type { Polyline } from "../core/geometry.js";
import type { GreyGrid } from "../core/grey.js";
import { drawableRect, type Machine } from "../core/machine.js";
import { PolargraphError } from "../errors.js";

/** Where a picture goes on the page; shared by every renderer. */
export interface PlacementOptions {
  /** Width of the picture on the page, mm; its height follows the grid's aspect ratio. @defaultValue the largest that fits the page less its margins */
  width?: number;
  /** Top-left corner of the picture, page mm. @defaultValue centred on the page less its margins */
  origin?: { x: number; y: number };
  /** Seed of the renderer's random choices; the same seed gives the same lines. @defaultValue 1 */
  seed?: number;
}

/** The picture's rectangle on the page (page mm) and its cell size. */
export interface Placement {
  /** Left edge, page mm. */
  x: number;
  /** Top edge, page mm. */
  y: number;
  /** Width, mm. */
  width: number;
  /** Height, mm. */
  height: number;
  /** Width of one cell, mm. */
  cellWidth: number;
  /** Height of one cell, mm. */
  cellHeight: number;
}

function bad(message: string): PolargraphError {
  return new PolargraphError("INVALID_ARGUMENT", message);
}

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) throw bad(`${name} must be a positive number, got ${v}`);
  return v;
}

function checkGrid(grid: GreyGrid): void {
  if (
    !Number.isInteger(grid.columns) ||
    !Number.isInteger(grid.rows) ||
    grid.columns < 1 ||
    grid.rows < 1 ||
    grid.darkness.length !== grid.columns * grid.rows
  )
    throw bad(`the grid needs columns × rows darkness values, got ${grid.columns} × ${grid.rows}`);
}

/**
 * Places a grid on the page: `width` mm wide (default: as large as fits), centred unless `origin` is
 * given. Throws `INVALID_ARGUMENT` when the picture would leave the page less its margins.
 */
export function placeGrid(
  machine: Machine,
  grid: GreyGrid,
  options: PlacementOptions = {},
): Placement {
  checkGrid(grid);
  const area = drawableRect(machine);
  const left = machine.margins.left;
  const top = machine.margins.top;
  const aspect = grid.rows / grid.columns;
  const width = options.width ?? Math.min(area.width, area.height / aspect);
  positive("width", width);
  const height = width * aspect;
  const x = options.origin?.x ?? left + (area.width - width) / 2;
  const y = options.origin?.y ?? top + (area.height - height) / 2;
  if (
    x < left - 1e-9 ||
    y < top - 1e-9 ||
    x + width > left + area.width + 1e-9 ||
    y + height > top + area.height + 1e-9
  )
    throw bad(
      `a ${width.toFixed(1)} × ${height.toFixed(1)} mm picture at (${x.toFixed(1)}, ${y.toFixed(1)}) leaves the page less its margins (${left}–${left + area.width} × ${top}–${top + area.height} mm)`,
    );
  return {
    x,
    y,
    width,
    height,
    cellWidth: width / grid.columns,
    cellHeight: height / grid.rows,
  };
}

/** mulberry32: a small, fast, seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = (Math.trunc(seed) >>> 0) ^ 0x6d2b79f5;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function darknessAt(grid: GreyGrid, p: Placement, x: number, y: number): number {
  const c = Math.min(grid.columns - 1, Math.max(0, Math.floor((x - p.x) / p.cellWidth)));
  const r = Math.min(grid.rows - 1, Math.max(0, Math.floor((y - p.y) / p.cellHeight)));
  return grid.darkness[r * grid.columns + c] as number;
}

/** Options of {@link renderSquareWave}. */
export interface SquareWaveOptions extends PlacementOptions {
  /** Pen line width, mm: the densest cell packs square-wave cycles one pen width apart. @defaultValue 0.5 */
  penWidth?: number;
  /** Fraction of the cell height kept free between rows. @defaultValue 0.1 */
  rowGap?: number;
}

/**
 * The Polargraph controller's square-wave pixel style: each row of cells is one line running left
 * to right and back on the next row; a cell of darkness d carries round(d × N) square-wave cycles, N
 * being as many as fit one pen width apart. Deterministic (the seed is not used).
 */
export function renderSquareWave(
  machine: Machine,
  grid: GreyGrid,
  options: SquareWaveOptions = {},
): Polyline[] {
  const p = placeGrid(machine, grid, options);
  const pen = positive("penWidth", options.penWidth ?? 0.5);
  const gap = options.rowGap ?? 0.1;
  if (!(gap >= 0 && gap < 1)) throw bad(`rowGap must be in [0, 1), got ${gap}`);
  const maxCycles = Math.max(1, Math.floor(p.cellWidth / (2 * pen)));
  const a = (p.cellHeight * (1 - gap)) / 2;
  const lines: Polyline[] = [];
  for (let r = 0; r < grid.rows; r++) {
    const cy = p.y + (r + 0.5) * p.cellHeight;
    const line: Polyline = [];
    const forward = r % 2 === 0;
    for (let k = 0; k < grid.columns; k++) {
      const c = forward ? k : grid.columns - 1 - k;
      const d = grid.darkness[r * grid.columns + c] as number;
      const n = Math.round(d * maxCycles);
      const x0 = p.x + (forward ? c : c + 1) * p.cellWidth;
      const dir = forward ? 1 : -1;
      if (line.length === 0) line.push({ x: x0, y: cy });
      if (n === 0) {
        line.push({ x: x0 + dir * p.cellWidth, y: cy });
        continue;
      }
      const half = p.cellWidth / (2 * n);
      for (let i = 0; i < n; i++) {
        const xa = x0 + dir * 2 * i * half;
        line.push({ x: xa, y: cy - a }, { x: xa + dir * half, y: cy - a });
        line.push({ x: xa + dir * half, y: cy + a }, { x: xa + dir * 2 * half, y: cy + a });
      }
      line.push({ x: x0 + dir * p.cellWidth, y: cy });
    }
    lines.push(line);
  }
  return lines;
}

/** Options of {@link renderSquiggle}. */
export interface SquiggleOptions extends PlacementOptions {
  /** Random points in a black cell; a cell of darkness d gets round(d × maxPoints). @defaultValue 8 */
  maxPoints?: number;
}

/**
 * The Polargraph scribble style: each row of cells is one line that, in every cell, visits
 * round(darkness × maxPoints) random points of the cell, in order of x along the row, so each seed
 * draws a different but repeatable squiggle.
 */
export function renderSquiggle(
  machine: Machine,
  grid: GreyGrid,
  options: SquiggleOptions = {},
): Polyline[] {
  const p = placeGrid(machine, grid, options);
  const maxPoints = options.maxPoints ?? 8;
  if (!Number.isInteger(maxPoints) || maxPoints < 1)
    throw bad(`maxPoints must be a positive integer, got ${maxPoints}`);
  const random = seededRandom(options.seed ?? 1);
  const lines: Polyline[] = [];
  for (let r = 0; r < grid.rows; r++) {
    const cy = p.y + (r + 0.5) * p.cellHeight;
    const forward = r % 2 === 0;
    const line: Polyline = [{ x: forward ? p.x : p.x + p.width, y: cy }];
    for (let k = 0; k < grid.columns; k++) {
      const c = forward ? k : grid.columns - 1 - k;
      const n = Math.round((grid.darkness[r * grid.columns + c] as number) * maxPoints);
      const xs: { x: number; y: number }[] = [];
      for (let i = 0; i < n; i++)
        xs.push({
          x: p.x + (c + random()) * p.cellWidth,
          y: p.y + (r + random()) * p.cellHeight,
        });
      xs.sort((u, v) => (forward ? u.x - v.x : v.x - u.x));
      line.push(...xs);
    }
    line.push({ x: forward ? p.x + p.width : p.x, y: cy });
    lines.push(line);
  }
  return lines;
}

/** Options of {@link renderSpiral}. */
export interface SpiralOptions extends PlacementOptions {
  /** Distance between turns of the spiral, mm. @defaultValue 1.5 × the cell width */
  turnSpacing?: number;
  /** Length of one wiggle along the spiral, mm. @defaultValue 1 */
  wavelength?: number;
  /** Longest straight piece, mm. @defaultValue 0.25 */
  step?: number;
}

/**
 * One Archimedean spiral from the picture's centre out to its inscribed circle, wiggling across its
 * path with an amplitude proportional to the darkness under it (0 on white, almost half a turn
 * spacing on black). The seed turns the spiral's start angle.
 */
export function renderSpiral(
  machine: Machine,
  grid: GreyGrid,
  options: SpiralOptions = {},
): Polyline[] {
  const p = placeGrid(machine, grid, options);
  const spacing = positive("turnSpacing", options.turnSpacing ?? 1.5 * p.cellWidth);
  const wavelength = positive("wavelength", options.wavelength ?? 1);
  const step = positive("step", options.step ?? 0.25);
  const random = seededRandom(options.seed ?? 1);
  const start = random() * 2 * Math.PI;
  const cx = p.x + p.width / 2;
  const cy = p.y + p.height / 2;
  const amplitude = spacing * 0.45;
  const rMax = Math.min(p.width, p.height) / 2 - amplitude;
  if (rMax <= spacing)
    throw bad(`turnSpacing ${spacing} mm is too wide for a ${p.width.toFixed(1)} mm picture`);
  const line: Polyline = [];
  let theta = 0;
  let travelled = 0;
  for (;;) {
    const r = (spacing * theta) / (2 * Math.PI);
    if (r > rMax) break;
    const ux = Math.cos(theta + start);
    const uy = Math.sin(theta + start);
    const bx = cx + r * ux;
    const by = cy + r * uy;
    const d = darknessAt(grid, p, bx, by);
    const offset = amplitude * d * Math.sin((2 * Math.PI * travelled) / wavelength);
    line.push({ x: bx + offset * ux, y: by + offset * uy });
    // arc length of one step: about `step` mm, but at most the wiggle's quarter wavelength
    const ds = Math.min(step, wavelength / 8);
    const dTheta = ds / Math.max(Math.hypot(r, spacing / (2 * Math.PI)), 1e-9);
    theta += dTheta;
    travelled += ds;
  }
  return [line];
}

/** Options of {@link renderSineLines}. */
export interface SineLinesOptions extends PlacementOptions {
  /** Distance between scan lines, mm. @defaultValue the cell height */
  lineSpacing?: number;
  /** Wiggles per mm on white. @defaultValue 0.05 */
  minFrequency?: number;
  /** Wiggles per mm on black. @defaultValue 1 */
  maxFrequency?: number;
  /** Longest straight piece, mm; shortened to a 16th of the shortest wiggle (1 / (16 × maxFrequency)). @defaultValue 0.2 */
  step?: number;
}

/**
 * SquiggleDraw: horizontal scan lines (alternating direction) that oscillate with an amplitude
 * (up to 0.45 × the line spacing) and a frequency both rising with the darkness under them. The
 * phase accumulates along the line, so the frequency changes smoothly; the seed sets each line's
 * starting phase.
 */
export function renderSineLines(
  machine: Machine,
  grid: GreyGrid,
  options: SineLinesOptions = {},
): Polyline[] {
  const p = placeGrid(machine, grid, options);
  const spacing = positive("lineSpacing", options.lineSpacing ?? p.cellHeight);
  const fMin = options.minFrequency ?? 0.05;
  const fMax = options.maxFrequency ?? 1;
  if (!(fMin >= 0 && fMax >= fMin && Number.isFinite(fMax)))
    throw bad(`need 0 ≤ minFrequency ≤ maxFrequency, got ${fMin} and ${fMax}`);
  const step = Math.min(
    positive("step", options.step ?? 0.2),
    fMax > 0 ? 1 / (16 * fMax) : Infinity,
  );
  const random = seededRandom(options.seed ?? 1);
  const amplitude = spacing * 0.45;
  const count = Math.floor(p.height / spacing);
  if (count < 1) throw bad(`lineSpacing ${spacing} mm is taller than the picture`);
  const lines: Polyline[] = [];
  const n = Math.max(1, Math.ceil(p.width / step));
  for (let i = 0; i < count; i++) {
    const y0 = p.y + (i + 0.5) * spacing + (p.height - count * spacing) / 2;
    const forward = i % 2 === 0;
    let phase = random() * 2 * Math.PI;
    const line: Polyline = [];
    for (let k = 0; k <= n; k++) {
      const x = forward ? p.x + (k * p.width) / n : p.x + p.width - (k * p.width) / n;
      const d = darknessAt(grid, p, x, y0);
      line.push({ x, y: y0 + amplitude * d * Math.sin(phase) });
      phase += 2 * Math.PI * (fMin + d * (fMax - fMin)) * (p.width / n);
    }
    lines.push(line);
  }
  return lines;
}

/** Options of {@link renderCrosshatch}. */
export interface CrosshatchOptions extends PlacementOptions {
  /** Distance between hatch lines, mm. @defaultValue 1.5 */
  spacing?: number;
  /** Hatch directions in degrees, one layer each; layer k of n draws where darkness > k / (n + 1) (k from 1). @defaultValue [45, 135, 0, 90] */
  angles?: number[];
  /** Sampling step along a hatch line, mm. @defaultValue 0.25 */
  step?: number;
}

/**
 * Crosshatching: layers of parallel lines, each in its own direction, drawn only where the darkness
 * passes the layer's threshold, so darker tones get more crossing layers. The seed shifts each
 * layer's lines by a fraction of the spacing.
 */
export function renderCrosshatch(
  machine: Machine,
  grid: GreyGrid,
  options: CrosshatchOptions = {},
): Polyline[] {
  const p = placeGrid(machine, grid, options);
  const spacing = positive("spacing", options.spacing ?? 1.5);
  const step = positive("step", options.step ?? 0.25);
  const angles = options.angles ?? [45, 135, 0, 90];
  if (angles.length === 0 || angles.some((a) => !Number.isFinite(a)))
    throw bad(`angles must be one or more finite numbers of degrees, got [${angles.join(", ")}]`);
  const random = seededRandom(options.seed ?? 1);
  const cx = p.x + p.width / 2;
  const cy = p.y + p.height / 2;
  const reach = Math.hypot(p.width, p.height) / 2;
  const inside = (x: number, y: number) =>
    x >= p.x && x <= p.x + p.width && y >= p.y && y <= p.y + p.height;
  const lines: Polyline[] = [];
  angles.forEach((angle, k) => {
    const threshold = (k + 1) / (angles.length + 1);
    const t = (angle * Math.PI) / 180;
    const dx = Math.cos(t);
    const dy = Math.sin(t);
    const shift = random() * spacing;
    for (let o = -reach + shift; o <= reach; o += spacing) {
      // the line through the centre offset by o along the normal (−dy, dx)
      const ox = cx - dy * o;
      const oy = cy + dx * o;
      let current: Polyline = [];
      for (let s = -reach; s <= reach + 1e-9; s += step) {
        const x = ox + dx * s;
        const y = oy + dy * s;
        const on = inside(x, y) && darknessAt(grid, p, x, y) > threshold;
        if (on) current.push({ x, y });
        else if (current.length) {
          if (current.length > 1) lines.push(current);
          current = [];
        }
      }
      if (current.length > 1) lines.push(current);
    }
  });
  return lines;
}
