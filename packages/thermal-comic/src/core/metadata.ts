import { ThermalComicError } from "../errors.js";
import type { Point, Rect } from "./geometry.js";

/** A panel shape an image may go into: a name or a `[min, max]` range of width ÷ height. */
export type AspectRule = "wide" | "tall" | "square" | [number, number];

/** The ranges of width ÷ height the aspect names stand for. */
export const ASPECT_RANGES: Record<"wide" | "tall" | "square", [number, number]> = {
  wide: [1.3, Number.POSITIVE_INFINITY],
  tall: [0, 1 / 1.3],
  square: [1 / 1.3, 1.3],
};

/**
 * Per-image metadata, as written in the image's sidecar file (`<image>.json`, `.yaml` or `.yml`).
 * Coordinates are in the image's own pixels.
 */
export interface ImageMetadata {
  /**
   * Free-form tags; a panel script can ask for images with certain tags.
   * @defaultValue []
   */
  tags?: string[];
  /**
   * `cover` fills the whole panel and crops; `contain` shows the whole image (or its region of
   * interest) and leaves paper around it.
   * @defaultValue "cover"
   */
  fit?: "cover" | "contain";
  /**
   * The point of the image (fractions of width and height, `[0.5, 0.5]` is the centre) that is
   * aligned with the same point of the panel, as CSS `object-position` does. Names: `center`,
   * `top`, `bottom`, `left`, `right`, `top-left`, `top-right`, `bottom-left`, `bottom-right`.
   * @defaultValue [0.5, 0.5]
   */
  anchor?: [number, number] | string;
  /**
   * Region of interest in image pixels: it always stays wholly visible inside the panel polygon.
   * @defaultValue none (`contain` keeps the whole image visible)
   */
  roi?: Rect;
  /**
   * Smallest scale (printer dots per image pixel) the image may be drawn at.
   * @defaultValue 0 (no limit)
   */
  minScale?: number;
  /**
   * Largest scale (printer dots per image pixel), e.g. 1 to never enlarge a photo.
   * @defaultValue no limit
   */
  maxScale?: number;
  /**
   * Panel shapes the image may go into.
   * @defaultValue any shape
   */
  aspects?: AspectRule[];
  /**
   * Whether the image may be turned to fit a panel: `true` allows 90° either way, or a list of
   * angles out of 0, 90, 180, 270.
   * @defaultValue false (never turned)
   */
  rotate?: boolean | number[];
  /**
   * The speaker's mouth in image pixels: balloon tails in this image's panel point at it.
   * @defaultValue none (tails point down)
   */
  speaker?: Point;
  /**
   * Relative chance of being picked among the images that fit a panel.
   * @defaultValue 1
   */
  weight?: number;
}

/** Metadata with every default filled in. */
export interface ResolvedMetadata {
  tags: string[];
  fit: "cover" | "contain";
  anchor: Point;
  roi: Rect | null;
  minScale: number;
  maxScale: number;
  aspects: AspectRule[];
  rotations: number[];
  speaker: Point | null;
  weight: number;
}

const ANCHORS: Record<string, Point> = {
  center: [0.5, 0.5],
  top: [0.5, 0],
  bottom: [0.5, 1],
  left: [0, 0.5],
  right: [1, 0.5],
  "top-left": [0, 0],
  "top-right": [1, 0],
  "bottom-left": [0, 1],
  "bottom-right": [1, 1],
};

const KEYS = new Set([
  "tags",
  "fit",
  "anchor",
  "roi",
  "minScale",
  "maxScale",
  "aspects",
  "rotate",
  "speaker",
  "weight",
]);

/**
 * Checks parsed metadata against the schema and fills in defaults. `path` names the metadata
 * file in errors. `size` (the decoded image's size) checks that the region of interest and the
 * speaker lie inside the image.
 */
export function resolveMetadata(
  raw: unknown,
  path: string,
  size?: { width: number; height: number },
): ResolvedMetadata {
  const fail = (field: string, message: string): never => {
    throw new ThermalComicError("INVALID_METADATA", `${path}: ${field} ${message}`, {
      path,
      field,
    });
  };
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw new ThermalComicError("INVALID_METADATA", `${path}: metadata must be an object`, {
      path,
    });
  const m = raw as Record<string, unknown>;
  for (const key of Object.keys(m))
    if (!KEYS.has(key)) fail(key, `is not a metadata field (known: ${[...KEYS].join(", ")})`);
  const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

  const tags = m.tags ?? [];
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === "string"))
    fail("tags", "must be a list of strings");

  const fit = m.fit ?? "cover";
  if (fit !== "cover" && fit !== "contain")
    fail("fit", `must be "cover" or "contain", got ${JSON.stringify(fit)}`);

  let anchor: Point = [0.5, 0.5];
  if (typeof m.anchor === "string") {
    const named = ANCHORS[m.anchor];
    if (!named)
      fail("anchor", `must be [x, y] fractions or one of ${Object.keys(ANCHORS).join(", ")}`);
    anchor = named as Point;
  } else if (m.anchor !== undefined) {
    const a = m.anchor;
    if (!Array.isArray(a) || a.length !== 2 || !a.every((v) => isNumber(v) && v >= 0 && v <= 1))
      fail("anchor", "must be [x, y] with both between 0 and 1");
    anchor = [(a as number[])[0] as number, (a as number[])[1] as number];
  }

  let roi: Rect | null = null;
  if (m.roi !== undefined) {
    const r = m.roi as Record<string, unknown>;
    if (
      r === null ||
      typeof r !== "object" ||
      !isNumber(r.x) ||
      !isNumber(r.y) ||
      !isNumber(r.width) ||
      !isNumber(r.height) ||
      r.width <= 0 ||
      r.height <= 0 ||
      r.x < 0 ||
      r.y < 0
    )
      fail(
        "roi",
        "must be { x, y, width, height } in image pixels, with a positive width and height",
      );
    roi = {
      x: r.x as number,
      y: r.y as number,
      width: r.width as number,
      height: r.height as number,
    };
    if (size && (roi.x + roi.width > size.width + 1e-9 || roi.y + roi.height > size.height + 1e-9))
      fail("roi", `reaches outside the ${size.width}×${size.height} image`);
  }

  const minScale = m.minScale ?? 0;
  if (!isNumber(minScale) || minScale < 0) fail("minScale", "must be a number >= 0");
  const maxScale = m.maxScale ?? Number.POSITIVE_INFINITY;
  if (typeof maxScale !== "number" || Number.isNaN(maxScale) || maxScale <= 0)
    fail("maxScale", "must be a number > 0");
  if ((maxScale as number) < (minScale as number))
    fail("maxScale", `is smaller than minScale ${minScale}`);

  const aspects = m.aspects ?? [];
  if (
    !Array.isArray(aspects) ||
    !aspects.every(
      (a) =>
        a === "wide" ||
        a === "tall" ||
        a === "square" ||
        (Array.isArray(a) &&
          a.length === 2 &&
          a.every((v) => isNumber(v) && v > 0) &&
          a[0] <= a[1]),
    )
  )
    fail("aspects", 'must be a list of "wide", "tall", "square" or [min, max] width÷height ranges');

  let rotations = [0];
  if (m.rotate === true) rotations = [0, 90, 270];
  else if (Array.isArray(m.rotate)) {
    if (
      m.rotate.length === 0 ||
      !m.rotate.every((v) => v === 0 || v === 90 || v === 180 || v === 270)
    )
      fail("rotate", "must be true, false or a list of angles out of 0, 90, 180, 270");
    rotations = [...new Set(m.rotate as number[])];
  } else if (m.rotate !== undefined && m.rotate !== false)
    fail("rotate", "must be true, false or a list of angles");

  let speaker: Point | null = null;
  if (m.speaker !== undefined) {
    const s = m.speaker;
    if (!Array.isArray(s) || s.length !== 2 || !s.every(isNumber))
      fail("speaker", "must be [x, y] in image pixels");
    speaker = [(s as number[])[0] as number, (s as number[])[1] as number];
    if (
      size &&
      (speaker[0] < 0 || speaker[1] < 0 || speaker[0] > size.width || speaker[1] > size.height)
    )
      fail("speaker", `lies outside the ${size.width}×${size.height} image`);
  }

  const weight = m.weight ?? 1;
  if (!isNumber(weight) || weight <= 0) fail("weight", "must be a number > 0");

  return {
    tags: tags as string[],
    fit: fit as "cover" | "contain",
    anchor,
    roi,
    minScale: minScale as number,
    maxScale: maxScale as number,
    aspects: aspects as AspectRule[],
    rotations,
    speaker,
    weight: weight as number,
  };
}

/** Whether a panel of this width ÷ height suits the rules (no rules: any panel). */
export function aspectAllowed(rules: AspectRule[], aspect: number): boolean {
  if (rules.length === 0) return true;
  return rules.some((rule) => {
    const [min, max] = typeof rule === "string" ? ASPECT_RANGES[rule] : rule;
    return aspect >= min && aspect <= max;
  });
}
