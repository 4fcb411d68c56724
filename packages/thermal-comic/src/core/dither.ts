import { ThermalComicError } from "../errors.js";
import type { GreyBitmap } from "./bitmap.js";

/** A 1-bit picture as printers take it: rows of `bytesPerRow` bytes, most significant bit first, 1 = black dot. */
export interface MonoBitmap {
  /** Width in dots. */
  width: number;
  /** Height in dots. */
  height: number;
  /** `ceil(width / 8)`; the unused low bits of each row's last byte are 0. */
  bytesPerRow: number;
  /** `bytesPerRow * height` bytes. */
  data: Uint8Array;
}

/** The dithering methods {@link dither} knows. */
export type DitherMethod =
  | "threshold"
  | "bayer2"
  | "bayer4"
  | "bayer8"
  | "floyd-steinberg"
  | "atkinson"
  | "stucki"
  | "sierra";

/** The names {@link dither} accepts, in the order the docs list them. */
export const DITHER_METHODS: readonly DitherMethod[] = [
  "threshold",
  "bayer2",
  "bayer4",
  "bayer8",
  "floyd-steinberg",
  "atkinson",
  "stucki",
  "sierra",
];

/** Options of {@link dither}. */
export interface DitherOptions {
  /**
   * How grey becomes black and white.
   * @defaultValue "floyd-steinberg"
   */
  method?: DitherMethod;
  /**
   * Grey level below which a dot is black (threshold and error diffusion).
   * @defaultValue 128
   */
  threshold?: number;
  /**
   * Error diffusion runs every other row right to left, which avoids the diagonal "worms" of
   * always scanning one way.
   * @defaultValue true
   */
  serpentine?: boolean;
  /**
   * Gamma applied to the grey levels first: above 1 darkens mid-tones (thermal paper tends to
   * print light), below 1 lightens.
   * @defaultValue 1
   */
  gamma?: number;
  /**
   * Contrast from -1 (flat grey) through 0 (unchanged) to below 1 (harder).
   * @defaultValue 0
   */
  contrast?: number;
}

/** [dx, dy, weight] of an error diffusion kernel, and the divisor of its weights. */
type Kernel = { taps: Array<[number, number, number]>; divisor: number };

const KERNELS: Record<"floyd-steinberg" | "atkinson" | "stucki" | "sierra", Kernel> = {
  "floyd-steinberg": {
    taps: [
      [1, 0, 7],
      [-1, 1, 3],
      [0, 1, 5],
      [1, 1, 1],
    ],
    divisor: 16,
  },
  // Atkinson diffuses only 6/8 of the error: highlights and shadows stay clean.
  atkinson: {
    taps: [
      [1, 0, 1],
      [2, 0, 1],
      [-1, 1, 1],
      [0, 1, 1],
      [1, 1, 1],
      [0, 2, 1],
    ],
    divisor: 8,
  },
  stucki: {
    taps: [
      [1, 0, 8],
      [2, 0, 4],
      [-2, 1, 2],
      [-1, 1, 4],
      [0, 1, 8],
      [1, 1, 4],
      [2, 1, 2],
      [-2, 2, 1],
      [-1, 2, 2],
      [0, 2, 4],
      [1, 2, 2],
      [2, 2, 1],
    ],
    divisor: 42,
  },
  // Sierra (three-row, "Sierra-3").
  sierra: {
    taps: [
      [1, 0, 5],
      [2, 0, 3],
      [-2, 1, 2],
      [-1, 1, 4],
      [0, 1, 5],
      [1, 1, 4],
      [2, 1, 2],
      [-1, 2, 2],
      [0, 2, 3],
      [1, 2, 2],
    ],
    divisor: 32,
  },
};

/** The recursive Bayer index matrix of size n (a power of two). */
export function bayerMatrix(n: number): number[] {
  if (n === 1) return [0];
  const half = bayerMatrix(n / 2);
  const out = new Array<number>(n * n);
  const h = n / 2;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < h; x++) {
      const v = 4 * (half[y * h + x] as number);
      out[y * n + x] = v;
      out[y * n + x + h] = v + 2;
      out[(y + h) * n + x] = v + 3;
      out[(y + h) * n + x + h] = v + 1;
    }
  return out;
}

/** The tone curve (gamma, then contrast) as a 256-entry table. */
function toneCurve(gamma: number, contrast: number): Uint8Array {
  const lut = new Uint8Array(256);
  const factor = (1 + contrast) / (1 - contrast);
  for (let v = 0; v < 256; v++) {
    const g = 255 * (v / 255) ** gamma;
    lut[v] = Math.max(0, Math.min(255, Math.round((g - 127.5) * factor + 127.5)));
  }
  return lut;
}

/**
 * Turns a greyscale bitmap (0 black … 255 white) into a 1-bit bitmap for a printer: threshold,
 * ordered Bayer 2×2/4×4/8×8, or error diffusion (Floyd–Steinberg, Atkinson, Stucki, Sierra),
 * serpentine by default, after an optional gamma and contrast curve.
 */
export function dither(bitmap: GreyBitmap, options: DitherOptions = {}): MonoBitmap {
  const { width, height, data } = bitmap;
  const method = options.method ?? "floyd-steinberg";
  const threshold = options.threshold ?? 128;
  const gamma = options.gamma ?? 1;
  const contrast = options.contrast ?? 0;
  if (!DITHER_METHODS.includes(method))
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `unknown dither method "${method}"; known: ${DITHER_METHODS.join(", ")}`,
    );
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    data.length !== width * height
  )
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `bitmap must be width × height bytes, got ${width}×${height} with ${data.length}`,
    );
  if (!(threshold >= 1 && threshold <= 255))
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `threshold must be between 1 and 255, got ${threshold}`,
    );
  if (!(gamma > 0 && gamma <= 10))
    throw new ThermalComicError("INVALID_ARGUMENT", `gamma must be in (0, 10], got ${gamma}`);
  if (!(contrast > -1 && contrast < 1))
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `contrast must be between -1 and 1 (exclusive), got ${contrast}`,
    );

  const bytesPerRow = (width + 7) >> 3;
  const out = new Uint8Array(bytesPerRow * height);
  const identity = gamma === 1 && contrast === 0;
  const lut = identity ? null : toneCurve(gamma, contrast);

  if (method === "threshold" || method.startsWith("bayer")) {
    const n = method === "threshold" ? 1 : Number(method.slice(5));
    // Threshold per matrix cell: a dot is black when its grey is below it.
    const cells =
      method === "threshold" ? [threshold] : bayerMatrix(n).map((i) => ((i + 0.5) * 256) / (n * n));
    for (let y = 0; y < height; y++) {
      const row = y * width;
      const outRow = y * bytesPerRow;
      const cellRow = (y % n) * n;
      for (let x = 0; x < width; x++) {
        const raw = data[row + x] as number;
        const v = lut ? (lut[raw] as number) : raw;
        if (v < (cells[cellRow + (x % n)] as number)) {
          const byte = outRow + (x >> 3);
          out[byte] = (out[byte] as number) | (0x80 >> (x & 7));
        }
      }
    }
    return { width, height, bytesPerRow, data: out };
  }

  const kernel = KERNELS[method as keyof typeof KERNELS];
  const serpentine = options.serpentine ?? true;
  const source = lut ? data.map((v) => lut[v] as number) : data;
  const taps = kernel.taps.length;
  const tapX = Int32Array.from(kernel.taps, (t) => t[0]);
  const tapY = Int32Array.from(kernel.taps, (t) => t[1]);
  const tapW = Int32Array.from(kernel.taps, (t) => t[2]);
  const divisor = kernel.divisor;
  const rows = Math.max(...tapY) + 1;
  // A ring of `rows` rows of accumulated error (in 1/divisor units). Two cells of padding on each
  // side take the error that falls off the edge, so the hot loop needs no bounds checks; padding
  // is never read.
  const pad = 2;
  const stride = width + 2 * pad;
  const errors = new Int32Array(stride * rows);
  const offsets = new Int32Array(taps);
  const steps = new Int32Array(taps);
  for (let y = 0; y < height; y++) {
    const ring = (y % rows) * stride + pad;
    const reverse = serpentine && (y & 1) === 1;
    for (let k = 0; k < taps; k++) {
      offsets[k] = (((y + (tapY[k] as number)) % rows) * stride + pad) as number;
      steps[k] = reverse ? -(tapX[k] as number) : (tapX[k] as number);
    }
    const row = y * width;
    const outRow = y * bytesPerRow;
    for (let i = 0; i < width; i++) {
      const x = reverse ? width - 1 - i : i;
      const at = ring + x;
      const value = (source[row + x] as number) + (((errors[at] as number) / divisor) | 0);
      errors[at] = 0;
      let error: number;
      if (value < threshold) {
        const byte = outRow + (x >> 3);
        out[byte] = (out[byte] as number) | (0x80 >> (x & 7));
        error = value;
      } else error = value - 255;
      if (error === 0) continue;
      for (let k = 0; k < taps; k++) {
        const target = (offsets[k] as number) + x + (steps[k] as number);
        errors[target] = (errors[target] as number) + error * (tapW[k] as number);
      }
    }
  }
  return { width, height, bytesPerRow, data: out };
}

/** Whether the dot at (x, y) of a 1-bit bitmap is black. */
export function isBlack(mono: MonoBitmap, x: number, y: number): boolean {
  return ((mono.data[y * mono.bytesPerRow + (x >> 3)] as number) & (0x80 >> (x & 7))) !== 0;
}
