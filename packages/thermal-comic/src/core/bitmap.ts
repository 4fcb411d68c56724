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
 * Luma of RGBA pixels (ITU-R BT.601 weights in 8.8 fixed point, alpha composited over white
 * paper), as a thermal printer sees colour: a transparent pixel is paper.
 */
export function rgbaToGrey(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
): GreyBitmap {
  const data = new Uint8Array(width * height);
  for (let i = 0, j = 0; j < data.length; i += 4, j++) {
    const luma =
      ((rgba[i] as number) * 77 +
        (rgba[i + 1] as number) * 150 +
        (rgba[i + 2] as number) * 29 +
        128) >>
      8;
    const a = rgba[i + 3] as number;
    data[j] = a === 255 ? luma : (luma * a + 255 * (255 - a) + 127) / 255;
  }
  return { width, height, data };
}
