// The virtual printer's decoder. It is written from the ESC/POS command reference, not from our
// encoder, so round trips and the peer's golden files test both.

/** A command the decoder did not know and skipped. */
export interface UnknownCommand {
  /** Byte offset in the stream. */
  offset: number;
  /** The bytes skipped, as hex, e.g. `1b 5a`. */
  bytes: string;
}

/** Paper as a printer would have printed it. */
export interface DecodedPaper {
  /** Paper width in dots (the widest thing printed, at least the given width). */
  width: number;
  /** Printed length in dots. */
  height: number;
  /** 1 byte per dot, row by row: 1 black, 0 white. */
  dots: Uint8Array;
  /** Text lines and where they start (y in dots). */
  texts: Array<{ y: number; text: string }>;
  /** Where the paper was cut (y in dots). */
  cuts: number[];
  /** Status queries (DLE EOT n) in the stream. */
  statusQueries: number[];
  /** Heat settings seen (ESC 7). */
  heat: Array<[number, number, number]>;
  /** Commands skipped. */
  unknown: UnknownCommand[];
  /**
   * A picture command cut off by the end of the stream (a connection lost mid-band): not
   * printed, as a printer drops a command whose data never arrives. `bytes` is its header.
   */
  truncated: UnknownCommand | null;
}

/** Options of {@link decodeEscPos}. */
export interface DecodeOptions {
  /**
   * Paper width in dots.
   * @defaultValue 576
   */
  width?: number;
  /**
   * Height of a text line in dots (font A is 24 dots high).
   * @defaultValue 24
   */
  fontHeight?: number;
}

const DEFAULT_LINE_SPACING = 30;

/**
 * Parses an ESC/POS byte stream — ours and the common commands other software sends — and
 * lays out the paper: raster (GS v 0), column (ESC *) and graphics (GS ( L) pictures, text lines,
 * feeds, line spacing, cuts. Unknown commands are skipped and listed, never fatal.
 */
export function decodeEscPos(bytes: Uint8Array, options: DecodeOptions = {}): DecodedPaper {
  const paperWidth = options.width ?? 576;
  const fontHeight = options.fontHeight ?? 24;
  let rows: Uint8Array[] = [];
  let y = 0;
  let lineSpacing = DEFAULT_LINE_SPACING;
  let line = "";
  let lineHasImage = 0; // height of column-mode pictures on the current line
  let stored: { width: number; height: number; data: Uint8Array } | null = null;
  let widest = paperWidth;
  const texts: DecodedPaper["texts"] = [];
  const cuts: number[] = [];
  const statusQueries: number[] = [];
  const heat: DecodedPaper["heat"] = [];
  const unknown: UnknownCommand[] = [];
  let truncated: UnknownCommand | null = null;
  let codePage = 0;

  const ensure = (height: number) => {
    while (rows.length < height) rows.push(new Uint8Array(paperWidth));
  };
  const plot = (x: number, py: number) => {
    if (x >= widest) widest = x + 1;
    ensure(py + 1);
    const row = rows[py] as Uint8Array;
    if (x < row.length) row[x] = 1;
    else {
      const grown = new Uint8Array(Math.max(x + 1, row.length));
      grown.set(row);
      grown[x] = 1;
      rows[py] = grown;
    }
  };
  const drawRaster = (bytesWide: number, height: number, data: Uint8Array, top: number) => {
    for (let r = 0; r < height; r++)
      for (let b = 0; b < bytesWide; b++) {
        const byte = data[r * bytesWide + b] as number;
        if (byte === 0) continue;
        for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) plot(b * 8 + bit, top + r);
      }
  };
  const newline = () => {
    if (line.length) texts.push({ y, text: line });
    const advance = Math.max(lineSpacing, line.length ? fontHeight : 0, lineHasImage);
    y += advance;
    ensure(y);
    line = "";
    lineHasImage = 0;
  };
  const flushText = () => {
    if (line.length) newline();
  };

  let i = 0;
  const n = bytes.length;
  const at = (k: number) => (bytes[k] as number) ?? 0;
  const cutOff = (start: number, header: number) => {
    truncated = {
      offset: start,
      bytes: Array.from(bytes.subarray(start, Math.min(n, start + header)), (b) =>
        b.toString(16).padStart(2, "0"),
      ).join(" "),
    };
    i = n;
  };
  const skip = (start: number, length: number) => {
    unknown.push({
      offset: start,
      bytes: Array.from(bytes.subarray(start, Math.min(n, start + length)), (b) =>
        b.toString(16).padStart(2, "0"),
      ).join(" "),
    });
    i = start + length;
  };
  while (i < n) {
    const b = at(i);
    if (b === 0x0a) {
      newline();
      i++;
    } else if (b === 0x0d) i++;
    else if (b === 0x1b) {
      const c = at(i + 1);
      switch (c) {
        case 0x40: // ESC @ initialise
          lineSpacing = DEFAULT_LINE_SPACING;
          codePage = 0;
          i += 2;
          break;
        case 0x37: // ESC 7 n1 n2 n3 heating
          heat.push([at(i + 2), at(i + 3), at(i + 4)]);
          i += 5;
          break;
        case 0x32: // ESC 2 default line spacing
          lineSpacing = DEFAULT_LINE_SPACING;
          i += 2;
          break;
        case 0x33: // ESC 3 n line spacing
          lineSpacing = at(i + 2);
          i += 3;
          break;
        case 0x64: // ESC d n print and feed n lines
          flushText();
          y += lineSpacing * at(i + 2);
          ensure(y);
          i += 3;
          break;
        case 0x4a: // ESC J n print and feed n dots
          flushText();
          y += at(i + 2);
          ensure(y);
          i += 3;
          break;
        case 0x74: // ESC t n code page
          codePage = at(i + 2);
          i += 3;
          break;
        case 0x21: // ESC ! n, ESC E n, ESC M n, ESC a n, ESC - n, ESC G n, ESC { n: one argument, no paper effect here
        case 0x45:
        case 0x4d:
        case 0x61:
        case 0x2d:
        case 0x47:
        case 0x7b:
        case 0x52:
          i += 3;
          break;
        case 0x2a: {
          // ESC * m nL nH d… column picture: 8-dot (m 0, 1) or 24-dot (m 32, 33) columns.
          const m = at(i + 2);
          const width = at(i + 3) | (at(i + 4) << 8);
          const bytesPerColumn = m === 32 || m === 33 ? 3 : 1;
          const start = i + 5;
          if (start + width * bytesPerColumn > n) {
            cutOff(i, 5);
            break;
          }
          for (let x = 0; x < width; x++)
            for (let k = 0; k < bytesPerColumn; k++) {
              const byte = at(start + x * bytesPerColumn + k);
              for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) plot(x, y + k * 8 + bit);
            }
          lineHasImage = Math.max(lineHasImage, bytesPerColumn * 8);
          i = start + width * bytesPerColumn;
          break;
        }
        default:
          skip(i, 2);
      }
    } else if (b === 0x1d) {
      const c = at(i + 1);
      if (c === 0x76 && at(i + 2) === 0x30) {
        // GS v 0 m xL xH yL yH d…
        flushText();
        const bytesWide = at(i + 4) | (at(i + 5) << 8);
        const height = at(i + 6) | (at(i + 7) << 8);
        if (i + 8 + bytesWide * height > n) {
          cutOff(i, 8);
          continue;
        }
        const data = bytes.subarray(i + 8, i + 8 + bytesWide * height);
        drawRaster(bytesWide, height, data, y);
        y += height;
        ensure(y);
        i += 8 + bytesWide * height;
      } else if (c === 0x28 && at(i + 2) === 0x4c) {
        // GS ( L pL pH m fn …
        const length = at(i + 3) | (at(i + 4) << 8);
        const fn = at(i + 6);
        if (i + 5 + length > n) {
          cutOff(i, 7);
          continue;
        }
        if (fn === 0x70 || fn === 112) {
          const width = at(i + 11) | (at(i + 12) << 8);
          const height = at(i + 13) | (at(i + 14) << 8);
          const bytesWide = (width + 7) >> 3;
          stored = { width, height, data: bytes.slice(i + 15, i + 15 + bytesWide * height) };
        } else if (fn === 0x32 || fn === 2) {
          if (stored) {
            flushText();
            drawRaster((stored.width + 7) >> 3, stored.height, stored.data, y);
            y += stored.height;
            ensure(y);
          }
        } else skip(i, 5 + length);
        i += 5 + length;
      } else if (c === 0x56) {
        // GS V m [n]: cut (m 65/66 take a feed amount)
        flushText();
        const m = at(i + 2);
        if (m === 65 || m === 66) {
          y += at(i + 3);
          i += 4;
        } else i += 3;
        ensure(y);
        cuts.push(y);
      } else if (c === 0x21 || c === 0x42 || c === 0x4c || c === 0x57) {
        // GS ! n (size), GS B n (reverse): one argument; GS L / GS W nL nH: two
        i += c === 0x21 || c === 0x42 ? 3 : 4;
      } else skip(i, 2);
    } else if (b === 0x10 && at(i + 1) === 0x04) {
      statusQueries.push(at(i + 2));
      i += 3;
    } else if (b === 0x1c) {
      // FS …: FS . (cancel Kanji) and FS & (Kanji on) take no argument
      if (at(i + 1) === 0x2e || at(i + 1) === 0x26) i += 2;
      else skip(i, 2);
    } else if (b >= 0x20) {
      line += codePage === 0 ? cp437Char(b) : String.fromCharCode(b);
      i++;
    } else skip(i, 1);
  }
  flushText();
  const height = Math.max(y, rows.length);
  ensure(height);
  rows = rows.slice(0, height);
  const dots = new Uint8Array(widest * height);
  rows.forEach((row, r) => {
    dots.set(row.subarray(0, widest), r * widest);
  });
  return { width: widest, height, dots, texts, cuts, statusQueries, heat, unknown, truncated };
}

const CP437_HIGH =
  "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■ ";

function cp437Char(byte: number): string {
  return byte < 0x80 ? String.fromCharCode(byte) : (CP437_HIGH[byte - 0x80] ?? "?");
}
