import { type Canvas, createCanvas, type Image, type SKRSContext2D } from "@napi-rs/canvas";
import { type GreyBitmap, rgbaToGrey } from "../core/bitmap.js";
import type { Placement } from "../core/fit.js";
import type { Polygon, Rect } from "../core/geometry.js";
import type { BalloonPlacement } from "../core/look.js";

/** Everything drawn on one page, in printer dots. */
export interface PageDrawing {
  width: number;
  height: number;
  /** Dots of the hi-res image per printer dot. */
  scale: number;
  panels: Array<{
    polygon: Polygon;
    image: { image: Image; width: number; height: number; placement: Placement } | null;
  }>;
  /** Filled outlines of the hand-drawn borders (ignored when `art` is given). */
  borders: Polygon[];
  /** A drawn grid laid over the pictures instead of generated borders. */
  art: Image | null;
  balloons: Array<{
    placement: BalloonPlacement;
    outline: Polygon;
    lines: string[];
    lineHeight: number;
  }>;
  captions: Array<{ rect: Rect; lines: string[]; lineHeight: number; padding: number }>;
  /** CSS font-family list. */
  fontFamily: string;
  fontSize: number;
  /** Line width of balloon and caption outlines. */
  lineWidth: number;
}

function tracePolygon(ctx: SKRSContext2D, polygon: Polygon): void {
  ctx.beginPath();
  polygon.forEach(([x, y], i) => {
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.closePath();
}

/** A text measurer for the given font (for wrapping before anything is drawn). */
export function textMeasurer(fontFamily: string, fontSize: number): (text: string) => number {
  const ctx = createCanvas(1, 1).getContext("2d");
  ctx.lang = "en";
  ctx.font = `${fontSize}px ${fontFamily}`;
  return (text) => ctx.measureText(text).width;
}

/** Draws the page at `scale` times the printer resolution. */
export function drawPage(page: PageDrawing): Canvas {
  const canvas = createCanvas(
    Math.round(page.width * page.scale),
    Math.round(page.height * page.scale),
  );
  const ctx = canvas.getContext("2d");
  ctx.scale(page.scale, page.scale);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, page.width, page.height);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";

  for (const panel of page.panels) {
    if (!panel.image) continue;
    const { image, width, height, placement } = panel.image;
    ctx.save();
    tracePolygon(ctx, panel.polygon);
    ctx.clip();
    ctx.translate(placement.x + placement.width / 2, placement.y + placement.height / 2);
    ctx.rotate((placement.rotation * Math.PI) / 180);
    const w = width * placement.scale;
    const h = height * placement.scale;
    ctx.drawImage(image, -w / 2, -h / 2, w, h);
    ctx.restore();
  }

  if (page.art) {
    ctx.save();
    ctx.globalCompositeOperation = "multiply";
    ctx.drawImage(page.art, 0, 0, page.width, page.height);
    ctx.restore();
  } else {
    ctx.fillStyle = "#000000";
    for (const line of page.borders) {
      tracePolygon(ctx, line);
      ctx.fill();
    }
  }

  ctx.font = `${page.fontSize}px ${page.fontFamily}`;
  // A fixed language, so text shaping does not follow the host's locale.
  ctx.lang = "en";
  ctx.textBaseline = "middle";
  ctx.lineJoin = "round";
  for (const caption of page.captions) {
    const { rect } = caption;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(rect.x, rect.y, rect.width, rect.height);
    ctx.strokeStyle = "#000000";
    ctx.lineWidth = page.lineWidth;
    ctx.strokeRect(rect.x, rect.y, rect.width, rect.height);
    ctx.fillStyle = "#000000";
    ctx.textAlign = "left";
    caption.lines.forEach((line, i) => {
      ctx.fillText(
        line,
        rect.x + caption.padding,
        rect.y + caption.padding + caption.lineHeight * (i + 0.5),
      );
    });
  }

  for (const balloon of page.balloons) {
    const { tail, center } = balloon.placement;
    // Outline strokes first, then white fills over their inner halves: the outline of the union.
    ctx.strokeStyle = "#000000";
    ctx.lineWidth = page.lineWidth * 2;
    tracePolygon(ctx, balloon.outline);
    ctx.stroke();
    if (tail) {
      tracePolygon(ctx, tail);
      ctx.stroke();
    }
    ctx.fillStyle = "#ffffff";
    tracePolygon(ctx, balloon.outline);
    ctx.fill();
    if (tail) {
      tracePolygon(ctx, tail);
      ctx.fill();
    }
    ctx.fillStyle = "#000000";
    ctx.textAlign = "center";
    const top = center[1] - (balloon.lines.length * balloon.lineHeight) / 2;
    balloon.lines.forEach((line, i) => {
      ctx.fillText(line, center[0], top + balloon.lineHeight * (i + 0.5));
    });
  }
  return canvas;
}

/** The printer-resolution greyscale bitmap of a hi-res page (area-averaged down-sampling). */
export function toPrinterBitmap(page: Canvas, width: number, height: number): GreyBitmap {
  const small = createCanvas(width, height);
  const ctx = small.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(page, 0, 0, width, height);
  const { data } = ctx.getImageData(0, 0, width, height);
  return rgbaToGrey(data, width, height);
}
