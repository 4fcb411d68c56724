/** How a printer takes pictures and paper commands; see {@link PRINTER_PROFILES}. */
export interface PrinterProfile {
  /** Profile name, e.g. `80mm` or `adafruit-csn-a2`. */
  name: string;
  /** Printable width in dots. */
  widthDots: number;
  /** Dots per inch. */
  dpi: number;
  /** Picture command: `raster` (GS v 0), `column` (ESC * 24-dot double density) or `graphics` (GS ( L). */
  imageMode: "raster" | "column" | "graphics";
  /** Most rows one picture command may carry. */
  maxBandRows: number;
  /** Band heights this printer misprints (clones that garble bands of 48 or 96 rows): no band is a multiple of these. */
  avoidBandMultiples: number[];
  /** Receive buffer in bytes (for pacing a transport). */
  bufferBytes: number;
  /** Bytes per second the printer prints at (for pacing a transport). */
  bytesPerSecond: number;
  /** ESC 7 heating settings (Adafruit/CSN-A2 style printers), or null when the printer has no such command. */
  heat: { maxDots: number; timeUs10: number; intervalUs10: number } | null;
  /** Whether the printer has a cutter (GS V). */
  cutter: boolean;
  /** Lines fed before a cut, so the last printed line clears the blade. */
  feedBeforeCut: number;
}

/**
 * Printer profiles by paper and by model. Widths are the usual printable widths at 203 dpi;
 * buffer sizes, speeds and band limits are conservative defaults of ours, not vendor figures
 * (a bigger band is faster, a smaller one safer); copy a profile and change what your printer needs.
 */
export const PRINTER_PROFILES: Record<string, PrinterProfile> = {
  "58mm": {
    name: "58mm",
    widthDots: 384,
    dpi: 203,
    imageMode: "raster",
    maxBandRows: 128,
    avoidBandMultiples: [],
    bufferBytes: 4096,
    bytesPerSecond: 6000,
    heat: null,
    cutter: false,
    feedBeforeCut: 3,
  },
  "80mm": {
    name: "80mm",
    widthDots: 576,
    dpi: 203,
    imageMode: "raster",
    maxBandRows: 128,
    avoidBandMultiples: [],
    bufferBytes: 4096,
    bytesPerSecond: 12000,
    heat: null,
    cutter: true,
    feedBeforeCut: 4,
  },
  "80mm-512": {
    name: "80mm-512",
    widthDots: 512,
    dpi: 203,
    imageMode: "raster",
    maxBandRows: 128,
    avoidBandMultiples: [],
    bufferBytes: 4096,
    bytesPerSecond: 12000,
    heat: null,
    cutter: true,
    feedBeforeCut: 4,
  },
  "epson-tm-t20": {
    name: "epson-tm-t20",
    widthDots: 576,
    dpi: 203,
    imageMode: "graphics",
    // GS ( L carries at most 65535 bytes: 72 bytes a row → 910 rows; 512 keeps bands even.
    maxBandRows: 512,
    avoidBandMultiples: [],
    bufferBytes: 4096,
    bytesPerSecond: 40000,
    heat: null,
    cutter: true,
    feedBeforeCut: 4,
  },
  "adafruit-csn-a2": {
    name: "adafruit-csn-a2",
    widthDots: 384,
    dpi: 203,
    imageMode: "raster",
    maxBandRows: 255,
    avoidBandMultiples: [],
    bufferBytes: 1024,
    // 19200 baud serial ≈ 1920 bytes/s; the printer heats slower than that on dark pictures.
    bytesPerSecond: 1500,
    heat: { maxDots: 11, timeUs10: 120, intervalUs10: 40 },
    cutter: false,
    feedBeforeCut: 3,
  },
  "xprinter-58-clone": {
    name: "xprinter-58-clone",
    widthDots: 384,
    dpi: 203,
    imageMode: "raster",
    maxBandRows: 100,
    // Some cheap clones garble a GS v 0 band whose height is a multiple of 48 or 96 rows.
    avoidBandMultiples: [48, 96],
    bufferBytes: 2048,
    bytesPerSecond: 4000,
    heat: null,
    cutter: false,
    feedBeforeCut: 3,
  },
  "column-58mm": {
    name: "column-58mm",
    widthDots: 384,
    dpi: 203,
    imageMode: "column",
    maxBandRows: 24,
    avoidBandMultiples: [],
    bufferBytes: 2048,
    bytesPerSecond: 4000,
    heat: null,
    cutter: false,
    feedBeforeCut: 3,
  },
};
