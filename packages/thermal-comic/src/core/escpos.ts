import { ThermalComicError } from "../errors.js";
import type { MonoBitmap } from "./dither.js";
import { PRINTER_PROFILES, type PrinterProfile } from "./profiles.js";

/** Options of {@link encodeEscPos}. */
export interface EscPosOptions {
  /**
   * A profile name out of {@link PRINTER_PROFILES} or a profile object.
   * @defaultValue "80mm"
   */
  profile?: string | PrinterProfile;
  /**
   * Picture command, overriding the profile's.
   * @defaultValue the profile's `imageMode`
   */
  imageMode?: PrinterProfile["imageMode"];
  /**
   * A picture wider than the printer: `"error"`, or `"crop"` to print its left part.
   * @defaultValue "error"
   */
  tooWide?: "error" | "crop";
  /**
   * Text printed under the picture (code page below; unmappable characters become `?`).
   * @defaultValue none
   */
  caption?: string;
  /**
   * Code page of the caption: `cp437` (ESC t 0, the printers' default) or `wpc1252` (ESC t 16).
   * @defaultValue "cp437"
   */
  codePage?: "cp437" | "wpc1252";
  /**
   * Lines fed after the picture (and caption).
   * @defaultValue the profile's `feedBeforeCut`
   */
  feedLines?: number;
  /**
   * Cut the paper at the end (GS V 0) when the printer has a cutter.
   * @defaultValue the profile's `cutter`
   */
  cut?: boolean;
}

/** Resolves a profile name or object; INVALID_ARGUMENT names the known profiles. */
export function resolveProfile(profile: string | PrinterProfile | undefined): PrinterProfile {
  if (profile === undefined) return PRINTER_PROFILES["80mm"] as PrinterProfile;
  if (typeof profile !== "string") return profile;
  const found = PRINTER_PROFILES[profile];
  if (!found)
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `unknown printer profile "${profile}"; known: ${Object.keys(PRINTER_PROFILES).join(", ")}`,
    );
  return found;
}

/**
 * Heights of the bands a picture of `rows` rows is sent in: at most `max` rows each, and none a
 * multiple of a number in `avoid` (for clones that misprint such bands).
 */
export function bandHeights(rows: number, max: number, avoid: readonly number[]): number[] {
  const bands: number[] = [];
  let left = rows;
  while (left > 0) {
    let h = Math.min(max, left);
    while (h > 1 && avoid.some((a) => h % a === 0)) h--;
    bands.push(h);
    left -= h;
  }
  return bands;
}

// cp437 above 0x7f, for the letters a caption most likely needs.
const CP437: Record<string, number> = {
  Ç: 0x80,
  ü: 0x81,
  é: 0x82,
  â: 0x83,
  ä: 0x84,
  à: 0x85,
  å: 0x86,
  ç: 0x87,
  ê: 0x88,
  ë: 0x89,
  è: 0x8a,
  ï: 0x8b,
  î: 0x8c,
  ì: 0x8d,
  Ä: 0x8e,
  Å: 0x8f,
  É: 0x90,
  æ: 0x91,
  Æ: 0x92,
  ô: 0x93,
  ö: 0x94,
  ò: 0x95,
  û: 0x96,
  ù: 0x97,
  ÿ: 0x98,
  Ö: 0x99,
  Ü: 0x9a,
  "£": 0x9c,
  á: 0xa0,
  í: 0xa1,
  ó: 0xa2,
  ú: 0xa3,
  ñ: 0xa4,
  Ñ: 0xa5,
  "¿": 0xa8,
  "¡": 0xad,
  ß: 0xe1,
  "°": 0xf8,
};

/** Encodes text in a printer code page; characters it lacks become `?`. */
export function encodeText(text: string, codePage: "cp437" | "wpc1252"): Uint8Array {
  const out: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (code === 0x0a || (code >= 0x20 && code < 0x7f)) out.push(code);
    else if (codePage === "cp437") out.push(CP437[ch] ?? 0x3f);
    else out.push(code >= 0xa0 && code <= 0xff ? code : ch === "€" ? 0x80 : 0x3f);
  }
  return Uint8Array.from(out);
}

/** One picture command of an {@link EscPosJob}: a safe point to resume printing from. */
export interface EscPosBlock {
  /** The command's bytes (one GS v 0 band, one GS ( L store-and-print, or one ESC * line). */
  bytes: Uint8Array;
  /** The picture row the block starts at. */
  firstRow: number;
  /** How many picture rows it prints. */
  rows: number;
}

/**
 * A print job cut at its safe points: the set-up (ESC @, heat, line spacing), the picture's
 * blocks, and the end (caption, feed, cut). `preamble + blocks + trailer` are exactly the bytes of
 * {@link encodeEscPos}; after a lost connection a sender re-sends the preamble (a re-init) and
 * carries on at the block that did not arrive whole.
 */
export interface EscPosJob {
  /** ESC @, ESC 7 heat settings, and ESC 3 24 for column pictures. */
  preamble: Uint8Array;
  /** The picture, one block per band or 24-dot line. */
  blocks: EscPosBlock[];
  /** ESC 2 after column pictures, the caption, the feed and the cut. */
  trailer: Uint8Array;
  /** Picture width in dots (after cropping). */
  width: number;
  /** Picture height in rows. */
  height: number;
}

/** The bytes of a job: preamble, blocks and trailer in order. */
export function escPosJobBytes(job: EscPosJob): Uint8Array {
  return concat([job.preamble, ...job.blocks.map((b) => b.bytes), job.trailer]);
}

/**
 * ESC/POS bytes that print a 1-bit picture: ESC @, the heat settings where the profile has them,
 * the picture in bands (GS v 0 raster, ESC * 24-dot columns, or GS ( L graphics), an optional
 * caption, a feed and a cut.
 */
export function encodeEscPos(picture: MonoBitmap, options: EscPosOptions = {}): Uint8Array {
  return escPosJobBytes(encodeEscPosJob(picture, options));
}

/**
 * The same bytes as {@link encodeEscPos}, cut at the picture's command boundaries, so that
 * `sendToPrinter` can acknowledge each block and resume an interrupted job without printing a
 * row twice or leaving one out.
 */
export function encodeEscPosJob(picture: MonoBitmap, options: EscPosOptions = {}): EscPosJob {
  const profile = resolveProfile(options.profile);
  const mode = options.imageMode ?? profile.imageMode;
  let image = picture;
  if (picture.width > profile.widthDots) {
    if ((options.tooWide ?? "error") === "error")
      throw new ThermalComicError(
        "INVALID_ARGUMENT",
        `the picture is ${picture.width} dots wide but the ${profile.name} printer prints ${profile.widthDots}; scale it or pass tooWide: "crop"`,
      );
    image = crop(picture, profile.widthDots);
  }
  const preamble: number[] = [0x1b, 0x40];
  if (profile.heat) {
    const { maxDots, timeUs10, intervalUs10 } = profile.heat;
    preamble.push(0x1b, 0x37, maxDots, timeUs10, intervalUs10);
  }
  const blocks: EscPosBlock[] = [];
  const trailer: Uint8Array[] = [];
  if (mode === "column") {
    preamble.push(0x1b, 0x33, 24);
    blocks.push(...columnBands(image));
    trailer.push(Uint8Array.from([0x1b, 0x32]));
  } else {
    const max = Math.min(
      profile.maxBandRows,
      mode === "graphics" ? Math.floor(65525 / image.bytesPerRow) : 4095,
    );
    let row = 0;
    for (const h of bandHeights(image.height, max, profile.avoidBandMultiples)) {
      const data = image.data.subarray(row * image.bytesPerRow, (row + h) * image.bytesPerRow);
      blocks.push({
        bytes:
          mode === "raster"
            ? rasterBand(image.bytesPerRow, h, data)
            : graphicsBand(image.width, h, data),
        firstRow: row,
        rows: h,
      });
      row += h;
    }
  }
  if (options.caption) {
    const codePage = options.codePage ?? "cp437";
    trailer.push(Uint8Array.from([0x1b, 0x74, codePage === "cp437" ? 0 : 16]));
    trailer.push(encodeText(options.caption, codePage), Uint8Array.from([0x0a]));
  }
  const feed = options.feedLines ?? profile.feedBeforeCut;
  if (feed > 0) trailer.push(Uint8Array.from([0x1b, 0x64, Math.min(255, feed)]));
  if (options.cut ?? profile.cutter) trailer.push(Uint8Array.from([0x1d, 0x56, 0x00]));
  return {
    preamble: Uint8Array.from(preamble),
    blocks,
    trailer: concat(trailer),
    width: image.width,
    height: image.height,
  };
}

function rasterBand(bytesPerRow: number, rows: number, data: Uint8Array): Uint8Array {
  const header = [
    0x1d,
    0x76,
    0x30,
    0x00,
    bytesPerRow & 0xff,
    bytesPerRow >> 8,
    rows & 0xff,
    rows >> 8,
  ];
  return concat([Uint8Array.from(header), data]);
}

function graphicsBand(width: number, rows: number, data: Uint8Array): Uint8Array {
  // GS ( L fn 112: store a raster picture (tone 48, scale 1×1, colour 1), then fn 50: print it.
  const length = data.length + 10;
  const store = [
    0x1d,
    0x28,
    0x4c,
    length & 0xff,
    length >> 8,
    0x30,
    0x70,
    0x30,
    0x01,
    0x01,
    0x31,
    width & 0xff,
    width >> 8,
    rows & 0xff,
    rows >> 8,
  ];
  return concat([
    Uint8Array.from(store),
    data,
    Uint8Array.from([0x1d, 0x28, 0x4c, 0x02, 0x00, 0x30, 0x32]),
  ]);
}

function columnBands(image: MonoBitmap): EscPosBlock[] {
  const out: EscPosBlock[] = [];
  for (let top = 0; top < image.height; top += 24) {
    const band = new Uint8Array(5 + image.width * 3 + 1);
    band.set([0x1b, 0x2a, 33, image.width & 0xff, image.width >> 8]);
    for (let x = 0; x < image.width; x++) {
      const mask = 0x80 >> (x & 7);
      const column = x >> 3;
      for (let k = 0; k < 24; k++) {
        const y = top + k;
        if (y >= image.height) break;
        if ((image.data[y * image.bytesPerRow + column] as number) & mask) {
          const at = 5 + x * 3 + (k >> 3);
          band[at] = (band[at] as number) | (0x80 >> (k & 7));
        }
      }
    }
    band[band.length - 1] = 0x0a;
    out.push({ bytes: band, firstRow: top, rows: Math.min(24, image.height - top) });
  }
  return out;
}

function crop(picture: MonoBitmap, width: number): MonoBitmap {
  const bytesPerRow = (width + 7) >> 3;
  const data = new Uint8Array(bytesPerRow * picture.height);
  const lastMask = width % 8 === 0 ? 0xff : (0xff << (8 - (width % 8))) & 0xff;
  for (let y = 0; y < picture.height; y++) {
    data.set(
      picture.data.subarray(y * picture.bytesPerRow, y * picture.bytesPerRow + bytesPerRow),
      y * bytesPerRow,
    );
    const last = y * bytesPerRow + bytesPerRow - 1;
    data[last] = (data[last] as number) & lastMask;
  }
  return { width, height: picture.height, bytesPerRow, data };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
