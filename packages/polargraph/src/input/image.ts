import { readFile } from "node:fs/promises";
import sharp, { type OutputInfo } from "sharp";
import { type GreyGrid, type GreyGridOptions, greyGridFromPixels } from "../core/grey.js";
import { PolargraphError } from "../errors.js";

/** Options of {@link loadImageGrid}: the tonal options and cell count plus cancellation. */
export interface LoadImageOptions extends GreyGridOptions {
  /** Stops reading; the promise rejects with `ABORTED`. @defaultValue none */
  signal?: AbortSignal;
}

function aborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new PolargraphError("ABORTED", "image loading was aborted", { cause: signal.reason });
}

/**
 * Reads a PNG or JPEG (or any format the bundled libvips decodes: WebP, GIF, TIFF, AVIF) from a file
 * path or bytes, applies its EXIF orientation, flattens transparency onto white paper, converts to
 * greyscale and reduces it to a {@link GreyGrid} with {@link greyGridFromPixels}.
 * Throws `INVALID_IMAGE` (with `cause`) for a missing, empty, undecodable or zero-size image,
 * `INVALID_ARGUMENT` for more cells than pixels or bad tonal options, `ABORTED` on the signal.
 */
export async function loadImageGrid(
  input: string | Uint8Array,
  options: LoadImageOptions = {},
): Promise<GreyGrid> {
  aborted(options.signal);
  let bytes: Uint8Array;
  if (typeof input === "string") {
    try {
      bytes = await readFile(input);
    } catch (cause) {
      throw new PolargraphError("INVALID_IMAGE", `cannot read image ${input}`, { cause });
    }
  } else bytes = input;
  const name = typeof input === "string" ? input : "the image";
  if (bytes.length === 0) throw new PolargraphError("INVALID_IMAGE", `${name} is empty (0 bytes)`);
  aborted(options.signal);
  let data: Buffer;
  let info: OutputInfo;
  try {
    ({ data, info } = await sharp(bytes, { failOn: "error" })
      .rotate()
      .flatten({ background: "#ffffff" })
      .greyscale()
      .toColourspace("b-w")
      .raw()
      .toBuffer({ resolveWithObject: true }));
  } catch (cause) {
    throw new PolargraphError(
      "INVALID_IMAGE",
      `${name} is not a readable image: ${(cause as Error).message}`,
      { cause },
    );
  }
  aborted(options.signal);
  if (info.channels !== 1)
    throw new PolargraphError(
      "INVALID_IMAGE",
      `expected one grey channel from ${name}, got ${info.channels}`,
    );
  const pixels = new Uint8Array(data.buffer, data.byteOffset, info.width * info.height);
  return greyGridFromPixels(pixels, info.width, info.height, options);
}
