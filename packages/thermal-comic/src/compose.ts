import type { Image } from "@napi-rs/canvas";
import { examplePoolDir } from "./adapters/assets.js";
import { type FontOption, resolveFont } from "./adapters/font.js";
import { decode, loadPool, type Pool, type PoolSource } from "./adapters/pool.js";
import { drawPage, type PageDrawing, textMeasurer, toPrinterBitmap } from "./adapters/render.js";
import type { ComicTemplate } from "./adapters/template.js";
import { type GreyBitmap, rgbaToGrey } from "./core/bitmap.js";
import { rotatePoint } from "./core/fit.js";
import {
  boundingBox,
  clockwise,
  containsPoint,
  isConvex,
  type Point,
  type Polygon,
  type Rect,
  roundPolygon,
} from "./core/geometry.js";
import {
  checkPageSize,
  type Layout,
  layoutFromTemplate,
  type Panel,
  randomLayout,
} from "./core/layout.js";
import {
  handDrawnBorder,
  placeBalloon,
  placeCaption,
  wobblyEllipse,
  wrapText,
} from "./core/look.js";
import { downsample, encodeGreyPng } from "./core/png.js";
import { createRandom, type Seed } from "./core/random.js";
import { type Assignment, assignImages } from "./core/select.js";
import { ThermalComicError, throwIfAborted } from "./errors.js";
import type { Logger } from "./logger.js";

/** A speech balloon: its text, and where its tail points. */
export interface BalloonScript {
  /** The words; long text wraps. */
  text: string;
  /**
   * `"speaker"`: at the image's `speaker` point when the panel shows it; a point in printer
   * dots; or `"none"` for a thought without a tail.
   * @defaultValue "speaker" (falls back to pointing down when the image has no speaker point)
   */
  tail?: "speaker" | "none" | Point;
}

/** Text and wishes for one panel (by reading order). */
export interface PanelScript {
  /**
   * A caption box in the panel's top-left corner.
   * @defaultValue none
   */
  caption?: string;
  /**
   * Speech balloons, placed top first, away from the image's region of interest.
   * @defaultValue none
   */
  balloons?: Array<string | BalloonScript>;
  /**
   * Only images carrying all these tags may fill this panel.
   * @defaultValue any image
   */
  tags?: string[];
}

/** The phases {@link composeComic} reports. */
export type ComposePhase = "layout" | "pool" | "select" | "draw" | "encode";

/** Progress of {@link composeComic}: `done` of `total` phases finished, the current one named. */
export interface ComposeProgressEvent {
  phase: ComposePhase;
  done: number;
  total: number;
}

/** Options of {@link composeComic}. */
export interface ComposeOptions {
  /** Every random choice (layout, images, wobble) derives from it: same seed, same PNG bytes. */
  seed: Seed;
  /** Page width in printer dots: 384 for 58 mm paper, 576 for 80 mm, … */
  width: number;
  /**
   * Page height in printer dots, any height.
   * @defaultValue twice the width for a random layout; a template keeps its aspect
   */
  height?: number;
  /**
   * A fixed layout (e.g. the `layout` of an earlier result) or a template from
   * {@link loadTemplate}.
   * @defaultValue a random layout from the seed
   */
  layout?: Layout | ComicTemplate;
  /**
   * The image pool: a folder (images with JSON/YAML sidecars), a loaded {@link Pool}, or
   * in-memory sources.
   * @defaultValue the example pool shipped with the package
   */
  pool?: string | Pool | PoolSource[];
  /**
   * Font of balloons and captions: a TTF/OTF/WOFF/WOFF2 path, or `{ family }` of an installed font.
   * @defaultValue Comic Neue Bold, shipped with the package (SIL OFL 1.1), then DejaVu Sans, sans-serif
   */
  font?: FontOption;
  /**
   * Text size in printer dots.
   * @defaultValue width ÷ 26, rounded
   */
  fontSize?: number;
  /**
   * Captions, balloons and tag wishes per panel, in reading order.
   * @defaultValue no text, any image in any panel
   */
  script?: PanelScript[];
  /**
   * Hi-res PNG dots per printer dot (2 gives 406 dpi on a 203-dpi printer's page).
   * @defaultValue 2
   */
  scale?: number;
  /**
   * Keep colour in the hi-res PNG (Skia's encoder, RGBA). The default writes an 8-bit greyscale
   * PNG, which is what a thermal printer can show and encodes several times faster.
   * @defaultValue false
   */
  color?: boolean;
  /**
   * The printer's resolution, written into the PNG as `printerDpi × scale` pixels per inch.
   * @defaultValue 203 (most 58 and 80 mm thermal printers)
   */
  printerDpi?: number;
  /**
   * Number of panels of a random layout.
   * @defaultValue chosen from the seed
   */
  panels?: number;
  /**
   * Gutter between panels of a random layout, in dots.
   * @defaultValue 2.5% of the width, at least 6
   */
  gutter?: number;
  /**
   * Margin around a random layout, in dots.
   * @defaultValue 2% of the width, at least 4
   */
  margin?: number;
  /**
   * Probability of a slanted cut in a random layout.
   * @defaultValue 0.25
   */
  slantChance?: number;
  /**
   * Width of the hand-drawn panel borders, in dots.
   * @defaultValue width ÷ 150, at least 2
   */
  borderWidth?: number;
  /**
   * How far borders wobble sideways, in dots.
   * @defaultValue border width × 0.8
   */
  wobble?: number;
  /**
   * Panels (reading-order ids) to leave without a picture.
   * @defaultValue none: every panel gets a picture or composing fails
   */
  emptyPanels?: number[];
  /**
   * Whether an image may fill more than one panel when the pool is too small.
   * @defaultValue false (POOL_TOO_SMALL instead)
   */
  allowReuse?: boolean;
  /**
   * An image whose region of interest fits no panel: `"error"` (ROI_TOO_LARGE naming the file)
   * or `"skip"` (left out).
   * @defaultValue "error"
   */
  roiTooLarge?: "error" | "skip";
  /**
   * Stops composing between phases.
   * @defaultValue never aborted
   */
  signal?: AbortSignal;
  /**
   * Debug lines (choices made) and warnings (font fallback, stray metadata files).
   * @defaultValue silent
   */
  logger?: Logger;
  /**
   * Called as each phase starts.
   * @defaultValue none
   */
  onProgress?: (event: ComposeProgressEvent) => void;
}

/** Where one panel's picture, caption and balloons went, in printer dots. */
export interface ComicPanel extends Panel {
  /** The picture, or null for a panel left empty on purpose. */
  image: {
    /** Pool file name. */
    name: string;
    /** Clockwise turn in degrees. */
    rotation: number;
    /** Dots per image pixel. */
    scale: number;
    /** The (turned) image's box on the page; the panel polygon clips it. */
    x: number;
    y: number;
    width: number;
    height: number;
    /** The region of interest on the page (inside the polygon), or null. */
    roi: Rect | null;
  } | null;
  caption?: { text: string; rect: Rect };
  balloons?: Array<{ text: string; center: Point; rx: number; ry: number; tail: Point | null }>;
}

/** The composed page as JSON-ready data; feeding it back as `layout` redraws the same panels. */
export interface ComicLayout extends Layout {
  /** Format version of this JSON. */
  version: 1;
  seed: Seed;
  /** Hi-res dots per printer dot. */
  scale: number;
  panels: ComicPanel[];
}

/** What {@link composeComic} returns. */
export interface ComposeResult {
  /** The page at `scale` × printer resolution, PNG-encoded. */
  png: Buffer;
  /** The page at printer resolution, greyscale (0 black … 255 white), ready for dithering. */
  bitmap: GreyBitmap;
  /** The layout and every choice, as JSON-ready data. */
  layout: ComicLayout;
}

const PHASES: ComposePhase[] = ["layout", "pool", "select", "draw", "encode"];

/**
 * Composes a comic page: a seeded random layout (or the given layout or template), a
 * hand-drawn look, images from the pool placed by their fit rules and clipped to their panels,
 * captions and balloons; returns the hi-res PNG, the printer-resolution bitmap and the layout.
 */
export async function composeComic(options: ComposeOptions): Promise<ComposeResult> {
  const { seed, width, signal, logger } = options;
  const progress = (phase: ComposePhase) =>
    options.onProgress?.({ phase, done: PHASES.indexOf(phase), total: PHASES.length });
  const scale = options.scale ?? 2;
  const printerDpi = options.printerDpi ?? 203;
  if (!(typeof printerDpi === "number" && printerDpi > 0 && printerDpi <= 2400))
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `printerDpi must be between 1 and 2400, got ${printerDpi}`,
    );
  if (!(typeof scale === "number" && scale >= 0.25 && scale <= 8))
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `scale must be between 0.25 and 8, got ${scale}`,
    );
  if (typeof seed !== "number" && typeof seed !== "string")
    throw new ThermalComicError("INVALID_ARGUMENT", "seed must be a number or a string");
  if (typeof seed === "number" && !Number.isFinite(seed))
    throw new ThermalComicError("INVALID_ARGUMENT", `seed must be finite, got ${seed}`);
  const random = createRandom(seed);
  throwIfAborted(signal);

  progress("layout");
  let layout: Layout;
  let art: Image | null = null;
  const given = options.layout;
  if (!given) {
    layout = randomLayout({
      seed,
      width,
      height: options.height ?? width * 2,
      ...(options.panels !== undefined && { panels: options.panels }),
      ...(options.gutter !== undefined && { gutter: options.gutter }),
      ...(options.margin !== undefined && { margin: options.margin }),
      ...(options.slantChance !== undefined && { slantChance: options.slantChance }),
    });
  } else if (isTemplate(given)) {
    layout = layoutFromTemplate(given, width, options.height);
    if (given.art) art = await decode(given.art, given.path ?? "template art");
  } else {
    layout = checkLayout(given, width, options.height);
  }
  throwIfAborted(signal);

  progress("pool");
  const pool =
    options.pool && typeof options.pool === "object" && !Array.isArray(options.pool)
      ? options.pool
      : await loadPool(options.pool ?? examplePoolDir(), {
          ...(signal && { signal }),
          ...(logger && { logger }),
        });
  throwIfAborted(signal);

  progress("select");
  const script = options.script ?? [];
  if (script.length > layout.panels.length)
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `script has ${script.length} entries but the page has only ${layout.panels.length} panels`,
    );
  const emptyPanels = new Set(options.emptyPanels ?? []);
  for (const id of emptyPanels)
    if (!layout.panels.some((p) => p.id === id))
      throw new ThermalComicError(
        "INVALID_ARGUMENT",
        `emptyPanels names panel ${id}, which the page does not have`,
      );
  const panelTags = new Map<number, string[]>();
  script.forEach((entry, id) => {
    if (entry.tags?.length) panelTags.set(id, entry.tags);
  });
  const assignments = assignImages(layout.panels, pool.images, random.fork("select"), {
    emptyPanels,
    panelTags,
    allowReuse: options.allowReuse ?? false,
    roiTooLarge: options.roiTooLarge ?? "error",
  });
  const byPanel = new Map<number, Assignment>(assignments.map((a) => [a.panel, a]));
  for (const a of assignments)
    logger?.debug(
      `thermal-comic: panel ${a.panel} ← ${pool.images[a.image]?.name} (rotation ${a.placement.rotation})`,
    );
  throwIfAborted(signal);

  progress("draw");
  const look = random.fork("look");
  const borderWidth = options.borderWidth ?? Math.max(2, width / 150);
  const style = {
    width: borderWidth,
    wobble: options.wobble ?? borderWidth * 0.8,
    widthVariation: 0.45,
    overshoot: borderWidth * 2.5,
  };
  const borders = art ? [] : layout.panels.flatMap((p) => handDrawnBorder(p.polygon, style, look));
  const fontFamily = resolveFont(options.font, logger);
  const fontSize = options.fontSize ?? Math.round(width / 26);
  if (!(fontSize >= 4 && fontSize <= width / 2))
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `fontSize must be between 4 and half the width, got ${fontSize}`,
    );
  const measure = textMeasurer(fontFamily, fontSize);
  const lineHeight = Math.round(fontSize * 1.2);
  const lineWidth = Math.max(1, borderWidth * 0.6);
  const drawing: PageDrawing = {
    width: layout.width,
    height: layout.height,
    scale,
    panels: [],
    borders,
    art,
    balloons: [],
    captions: [],
    fontFamily,
    fontSize,
    lineWidth,
  };
  const panelsOut: ComicPanel[] = [];
  for (const panel of layout.panels) {
    const assignment = byPanel.get(panel.id);
    const entry = assignment ? pool.images[assignment.image] : undefined;
    const placement = assignment?.placement;
    drawing.panels.push({
      polygon: panel.polygon,
      image:
        entry && placement
          ? { image: entry.image, width: entry.width, height: entry.height, placement }
          : null,
    });
    const out: ComicPanel = {
      ...panel,
      image:
        entry && placement
          ? {
              name: entry.name,
              rotation: placement.rotation,
              scale: round(placement.scale, 5),
              x: round(placement.x),
              y: round(placement.y),
              width: round(placement.width),
              height: round(placement.height),
              roi: placement.roi ? roundRect(placement.roi) : null,
            }
          : null,
    };
    const text = script[panel.id];
    const avoid: Rect[] = placement?.roi ? [placement.roi] : [];
    const padding = Math.round(fontSize * 0.4);
    if (text?.caption) {
      const maxWidth = panel.bbox.width * 0.8 - 2 * padding;
      const lines = wrapText(text.caption, maxWidth, measure);
      const rect = placeCaption(
        panel.polygon,
        Math.max(...lines.map(measure)) + 2 * padding,
        lines.length * lineHeight + 2 * padding,
        lineWidth * 2,
      );
      if (!rect)
        throw new ThermalComicError(
          "INVALID_ARGUMENT",
          `the caption of panel ${panel.id} does not fit the panel`,
          {
            panel: panel.id,
          },
        );
      drawing.captions.push({ rect, lines, lineHeight, padding });
      out.caption = { text: text.caption, rect: roundRect(rect) };
      avoid.push(rect);
    }
    for (const raw of text?.balloons ?? []) {
      const balloon: BalloonScript = typeof raw === "string" ? { text: raw } : raw;
      const lines = wrapText(balloon.text, panel.bbox.width * 0.55, measure);
      const textWidth = Math.max(...lines.map(measure));
      const target = balloonTarget(balloon, panel.polygon, entry, placement);
      const placed = placeBalloon(
        panel.polygon,
        textWidth,
        lines.length * lineHeight,
        avoid,
        balloon.tail === "none" ? null : target,
        look,
        padding + lineWidth * 2,
      );
      if (!placed)
        throw new ThermalComicError(
          "INVALID_ARGUMENT",
          `the balloon "${balloon.text.slice(0, 40)}" does not fit panel ${panel.id}; shorten it or lower fontSize`,
          { panel: panel.id },
        );
      const finalPlacement = balloon.tail === "none" ? { ...placed, tail: null } : placed;
      const outline = wobblyEllipse(
        placed.center[0],
        placed.center[1],
        placed.rx,
        placed.ry,
        lineWidth * 1.5,
        look,
      );
      drawing.balloons.push({ placement: finalPlacement, outline, lines, lineHeight });
      avoid.push({
        x: placed.center[0] - placed.rx,
        y: placed.center[1] - placed.ry,
        width: 2 * placed.rx,
        height: 2 * placed.ry,
      });
      out.balloons ??= [];
      out.balloons.push({
        text: balloon.text,
        center: [round(placed.center[0]), round(placed.center[1])],
        rx: round(placed.rx),
        ry: round(placed.ry),
        tail: finalPlacement.tail
          ? [round(finalPlacement.tail[1][0]), round(finalPlacement.tail[1][1])]
          : null,
      });
    }
    panelsOut.push(out);
  }
  const canvas = drawPage(drawing);
  throwIfAborted(signal);

  progress("encode");
  const ppi = Math.round(printerDpi * scale);
  let png: Buffer;
  let bitmap: GreyBitmap;
  if (options.color) {
    png = await canvas.encode("png", { resolution: ppi });
    bitmap = toPrinterBitmap(canvas, layout.width, layout.height);
  } else {
    // The page is opaque (painted white first), so Skia's premultiplied pixels are plain RGBA.
    const pixels = canvas.data();
    const grey = rgbaToGrey(pixels, canvas.width, canvas.height);
    png = encodeGreyPng(grey, { ppi });
    bitmap = Number.isInteger(scale)
      ? downsample(grey, scale, layout.width, layout.height)
      : toPrinterBitmap(canvas, layout.width, layout.height);
  }
  return {
    png,
    bitmap,
    layout: {
      version: 1,
      seed,
      width: layout.width,
      height: layout.height,
      scale,
      panels: panelsOut,
    },
  };
}

function balloonTarget(
  balloon: BalloonScript,
  polygon: Polygon,
  entry: { width: number; height: number; meta: { speaker: Point | null } } | undefined,
  placement: { rotation: number; scale: number; x: number; y: number } | undefined,
): Point | null {
  if (Array.isArray(balloon.tail)) return balloon.tail;
  if (balloon.tail === "none" || !entry?.meta.speaker || !placement) return null;
  const turned = rotatePoint(entry.meta.speaker, entry.width, entry.height, placement.rotation);
  const point: Point = [
    placement.x + turned[0] * placement.scale,
    placement.y + turned[1] * placement.scale,
  ];
  return containsPoint(polygon, point) ? point : null;
}

function isTemplate(layout: Layout | ComicTemplate): layout is ComicTemplate {
  return (
    Array.isArray(layout.panels) && layout.panels.length > 0 && Array.isArray(layout.panels[0])
  );
}

function checkLayout(layout: Layout, width: number, height: number | undefined): Layout {
  if (layout.width !== width || (height !== undefined && layout.height !== height))
    throw new ThermalComicError(
      "INVALID_LAYOUT",
      `the layout is ${layout.width}×${layout.height} dots but the page is ${width}×${height ?? layout.height}; pass its own width (or a template, which scales)`,
    );
  checkPageSize(layout.width, layout.height);
  if (!Array.isArray(layout.panels) || layout.panels.length === 0)
    throw new ThermalComicError("INVALID_LAYOUT", "the layout has no panels");
  const panels = layout.panels.map((panel, id) => {
    const polygon = panel?.polygon;
    if (
      !Array.isArray(polygon) ||
      polygon.length < 3 ||
      !polygon.every(
        (p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isFinite(v)),
      )
    )
      throw new ThermalComicError(
        "INVALID_LAYOUT",
        `layout panel ${id} needs a polygon of at least 3 [x, y] pairs`,
        {
          panel: id,
        },
      );
    const rounded = roundPolygon(clockwise(polygon));
    if (!isConvex(rounded))
      throw new ThermalComicError("INVALID_LAYOUT", `layout panel ${id} is not convex`, {
        panel: id,
      });
    return { id, polygon: rounded, bbox: boundingBox(rounded) };
  });
  return { width: layout.width, height: layout.height, panels };
}

function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function roundRect(rect: Rect): Rect {
  return {
    x: round(rect.x),
    y: round(rect.y),
    width: round(rect.width),
    height: round(rect.height),
  };
}
