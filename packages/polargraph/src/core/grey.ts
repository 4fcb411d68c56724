import { PolargraphError } from "../errors.js";

/**
 * A greyscale picture reduced to cells: `darkness[row * columns + column]` runs from 0 (white
 * paper) to 1 (full ink). Renderers read it.
 */
export interface GreyGrid {
  /** Cells across. */
  columns: number;
  /** Cells down. */
  rows: number;
  /** Darkness per cell, row-major, 0 (white) to 1 (black). */
  darkness: Float64Array;
}

/** Tonal adjustments and the cell count; applied in the order levels → gamma → contrast → invert. */
export interface GreyGridOptions {
  /** Cells across (the grid's width). @defaultValue 100, or the image width when it is narrower */
  columns?: number;
  /** Cells down. @defaultValue columns × image height / image width, rounded, at least 1 */
  rows?: number;
  /**
   * Gamma of the mid-tones: brightness b becomes b^(1/gamma), so a gamma above 1 lightens and below 1
   * darkens (as Photoshop's levels middle slider). @defaultValue 1
   */
  gamma?: number;
  /** Contrast multiplier around mid-grey: b becomes (b − 0.5) × contrast + 0.5, clamped. @defaultValue 1 */
  contrast?: number;
  /**
   * Input levels, 0–1 brightness: everything at or below `black` becomes black, at or above `white`
   * becomes white, linear between. @defaultValue `{ black: 0, white: 1 }`
   */
  levels?: { black?: number; white?: number };
  /** Swap dark and light (for white ink on black paper). @defaultValue false */
  invert?: boolean;
}

function bad(message: string): PolargraphError {
  return new PolargraphError("INVALID_ARGUMENT", message);
}

/**
 * Reduces 8-bit greyscale pixels (`pixels[y * width + x]`, 0 black – 255 white) to a
 * {@link GreyGrid}: each cell is the area-weighted mean of the pixels it covers (fractional pixels at
 * cell edges count by their covered fraction), then the tonal options apply. Throws `INVALID_IMAGE`
 * for a zero-size image or a pixel buffer of the wrong length, `INVALID_ARGUMENT` for more cells
 * than pixels or out-of-range options.
 */
export function greyGridFromPixels(
  pixels: Uint8Array,
  width: number,
  height: number,
  options: GreyGridOptions = {},
): GreyGrid {
  if (!(Number.isInteger(width) && Number.isInteger(height)) || width < 1 || height < 1)
    throw new PolargraphError("INVALID_IMAGE", `the image has no pixels (${width} × ${height})`);
  if (pixels.length !== width * height)
    throw new PolargraphError(
      "INVALID_IMAGE",
      `expected ${width * height} greyscale pixels for ${width} × ${height}, got ${pixels.length}`,
    );
  const columns = options.columns ?? Math.min(100, width);
  if (!Number.isInteger(columns) || columns < 1)
    throw bad(`columns must be a positive integer, got ${columns}`);
  const rows = options.rows ?? Math.max(1, Math.round((columns * height) / width));
  if (!Number.isInteger(rows) || rows < 1)
    throw bad(`rows must be a positive integer, got ${rows}`);
  if (columns > width || rows > height)
    throw bad(
      `${columns} × ${rows} cells is more than the image's ${width} × ${height} pixels; ask for fewer cells`,
    );
  const gamma = options.gamma ?? 1;
  if (!(gamma > 0) || !Number.isFinite(gamma))
    throw bad(`gamma must be a positive finite number, got ${gamma}`);
  const contrast = options.contrast ?? 1;
  if (!(contrast >= 0) || !Number.isFinite(contrast))
    throw bad(`contrast must be a finite number ≥ 0, got ${contrast}`);
  const black = options.levels?.black ?? 0;
  const white = options.levels?.white ?? 1;
  if (!(black >= 0 && white <= 1 && black < white))
    throw bad(`levels need 0 ≤ black < white ≤ 1, got black ${black}, white ${white}`);

  const darkness = new Float64Array(columns * rows);
  const sx = width / columns;
  const sy = height / rows;
  for (let r = 0; r < rows; r++) {
    const y0 = r * sy;
    const y1 = y0 + sy;
    for (let c = 0; c < columns; c++) {
      const x0 = c * sx;
      const x1 = x0 + sx;
      let sum = 0;
      let area = 0;
      for (let y = Math.floor(y0); y < Math.min(height, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        if (wy <= 0) continue;
        for (let x = Math.floor(x0); x < Math.min(width, Math.ceil(x1)); x++) {
          const wx = Math.min(x + 1, x1) - Math.max(x, x0);
          if (wx <= 0) continue;
          sum += (pixels[y * width + x] as number) * wx * wy;
          area += wx * wy;
        }
      }
      let b = sum / area / 255;
      b = Math.min(1, Math.max(0, (b - black) / (white - black)));
      if (gamma !== 1) b = b ** (1 / gamma);
      b = Math.min(1, Math.max(0, (b - 0.5) * contrast + 0.5));
      darkness[r * columns + c] = options.invert ? b : 1 - b;
    }
  }
  return { columns, rows, darkness };
}

/** Bilinear darkness of the grid at a point given in cell units (cell centres at k + 0.5). */
export function sampleGrid(grid: GreyGrid, u: number, v: number): number {
  const fx = Math.min(grid.columns - 1, Math.max(0, u - 0.5));
  const fy = Math.min(grid.rows - 1, Math.max(0, v - 0.5));
  const c0 = Math.floor(fx);
  const r0 = Math.floor(fy);
  const c1 = Math.min(grid.columns - 1, c0 + 1);
  const r1 = Math.min(grid.rows - 1, r0 + 1);
  const tx = fx - c0;
  const ty = fy - r0;
  const d = grid.darkness;
  const top =
    (d[r0 * grid.columns + c0] as number) * (1 - tx) + (d[r0 * grid.columns + c1] as number) * tx;
  const bottom =
    (d[r1 * grid.columns + c0] as number) * (1 - tx) + (d[r1 * grid.columns + c1] as number) * tx;
  return top * (1 - ty) + bottom * ty;
}
