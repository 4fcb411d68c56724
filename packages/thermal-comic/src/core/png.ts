import { crc32, deflateSync } from "node:zlib";
import type { GreyBitmap } from "./bitmap.js";

/** Options of {@link encodeGreyPng}. */
export interface GreyPngOptions {
  /**
   * Pixels per inch written in the pHYs chunk (so print dialogs size the page right).
   * @defaultValue none written
   */
  ppi?: number;
  /**
   * zlib level, 1 (fast) … 9 (small).
   * @defaultValue 3
   */
  level?: number;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, "latin1");
  body.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

/**
 * An 8-bit greyscale PNG (colour type 0) of the bitmap. Rows use the Up filter, which suits
 * drawings (long runs, repeated rows); output is deterministic for the same pixels and level.
 */
export function encodeGreyPng(bitmap: GreyBitmap, options: GreyPngOptions = {}): Buffer {
  const { width, height, data } = bitmap;
  const stride = width + 1;
  const raw = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    const at = y * width;
    if (y === 0) {
      raw[row] = 0;
      raw.set(data.subarray(0, width), row + 1);
      continue;
    }
    raw[row] = 2; // Up
    const prev = at - width;
    for (let x = 0; x < width; x++)
      raw[row + 1 + x] = ((data[at + x] as number) - (data[prev + x] as number)) & 0xff;
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const parts = [SIGNATURE, chunk("IHDR", header)];
  if (options.ppi && options.ppi > 0) {
    const phys = Buffer.alloc(9);
    const perMetre = Math.round(options.ppi * 39.3701);
    phys.writeUInt32BE(perMetre, 0);
    phys.writeUInt32BE(perMetre, 4);
    phys[8] = 1; // metres
    parts.push(chunk("pHYs", phys));
  }
  parts.push(
    chunk("IDAT", deflateSync(raw, { level: options.level ?? 3 })),
    chunk("IEND", Buffer.alloc(0)),
  );
  return Buffer.concat(parts);
}

/** Area-average down-sampling by a whole factor (each output pixel is the mean of a factor×factor block). */
export function downsample(
  bitmap: GreyBitmap,
  factor: number,
  width: number,
  height: number,
): GreyBitmap {
  const out = new Uint8Array(width * height);
  const sums = new Uint32Array(width);
  const area = factor * factor;
  const half = area >> 1;
  for (let y = 0; y < height; y++) {
    sums.fill(0);
    for (let dy = 0; dy < factor; dy++) {
      const sy = Math.min(bitmap.height - 1, y * factor + dy);
      const row = sy * bitmap.width;
      for (let x = 0; x < width; x++) {
        let s = 0;
        const sx = x * factor;
        for (let dx = 0; dx < factor; dx++)
          s += bitmap.data[row + Math.min(bitmap.width - 1, sx + dx)] as number;
        sums[x] = (sums[x] as number) + s;
      }
    }
    const at = y * width;
    for (let x = 0; x < width; x++) out[at + x] = ((sums[x] as number) + half) / area;
  }
  return { width, height, data: out };
}
