/** A greyscale image, one byte per pixel, row by row: 0 is black (ink), 255 is white (paper). */
export interface GreyBitmap {
  /** Width in pixels (printer dots for the printer bitmap). */
  width: number;
  /** Height in pixels. */
  height: number;
  /** `width * height` bytes, row-major. */
  data: Uint8Array;
}

/**
 * Luma of RGBA pixels (ITU-R BT.601 weights, alpha composited over white paper), as thermal
 * printers see colour: a transparent pixel is paper.
 */
export function rgbaToGrey(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
): GreyBitmap {
  const data = new Uint8Array(width * height);
  for (let i = 0, j = 0; j < data.length; i += 4, j++) {
    const a = (rgba[i + 3] as number) / 255;
    const luma =
      0.299 * (rgba[i] as number) +
      0.587 * (rgba[i + 1] as number) +
      0.114 * (rgba[i + 2] as number);
    data[j] = Math.round(luma * a + 255 * (1 - a));
  }
  return { width, height, data };
}
