import { createCanvas } from "@napi-rs/canvas";
import { rgbaToGrey } from "../core/bitmap.js";
import type { DecodedPaper } from "../core/escpos-decode.js";
import { encodeGreyPng } from "../core/png.js";
import { type FontOption, resolveFont } from "./font.js";

/** Options of {@link renderPaper}. */
export interface RenderPaperOptions {
  /**
   * Font for the text lines (printers use their own bitmap fonts; this shows what was sent).
   * @defaultValue the shipped Comic Neue, then fallbacks
   */
  font?: FontOption;
  /**
   * Pixels per inch written into the PNG.
   * @defaultValue 203
   */
  ppi?: number;
}

/**
 * The paper a decoded ESC/POS stream would have printed, as a greyscale PNG: the dots, the text
 * lines in a 24-dot font, and a dashed line where the paper was cut.
 */
export function renderPaper(paper: DecodedPaper, options: RenderPaperOptions = {}): Buffer {
  const width = Math.max(1, paper.width);
  const height = Math.max(1, paper.height);
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const v = paper.dots[i] ? 0 : 255;
    image.data[i * 4] = v;
    image.data[i * 4 + 1] = v;
    image.data[i * 4 + 2] = v;
    image.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  ctx.lang = "en";
  ctx.font = `22px ${resolveFont(options.font)}`;
  ctx.fillStyle = "#000";
  ctx.textBaseline = "top";
  for (const line of paper.texts) ctx.fillText(line.text, 0, line.y + 1);
  ctx.strokeStyle = "#888";
  ctx.setLineDash([6, 4]);
  for (const y of paper.cuts) {
    ctx.beginPath();
    ctx.moveTo(0, Math.min(height - 0.5, y + 0.5));
    ctx.lineTo(width, Math.min(height - 0.5, y + 0.5));
    ctx.stroke();
  }
  const grey = rgbaToGrey(canvas.data(), width, height);
  return encodeGreyPng(grey, { ppi: options.ppi ?? 203 });
}
