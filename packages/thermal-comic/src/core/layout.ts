import { ThermalComicError } from "../errors.js";
import {
  area,
  boundingBox,
  clipToHalfPlane,
  clockwise,
  isConvex,
  type Point,
  type Polygon,
  type Rect,
  roundPolygon,
} from "./geometry.js";
import { createRandom, type Random, type Seed } from "./random.js";

/** One panel of a page: a convex-or-not polygon in printer dots, numbered in reading order. */
export interface Panel {
  /** 0-based index in reading order (rows top to bottom, left to right within a row). */
  id: number;
  /** Corners in printer dots, clockwise on screen. */
  polygon: Polygon;
  /** Bounding box of the polygon, in printer dots. */
  bbox: Rect;
}

/** The panels of one page, in printer dots. */
export interface Layout {
  /** Page width in printer dots. */
  width: number;
  /** Page height in printer dots. */
  height: number;
  /** The panels in reading order. */
  panels: Panel[];
}

/** Options of {@link randomLayout}; all lengths in printer dots. */
export interface RandomLayoutOptions {
  /** Page width in printer dots (384 for 58 mm paper, 576 for 80 mm). */
  width: number;
  /** Page height in printer dots; any height. */
  height: number;
  /** The seed every choice derives from. */
  seed: Seed;
  /**
   * How many panels. Chosen from the seed when left out.
   * @defaultValue a seeded count between 2 and 2.5 per page-width of height
   */
  panels?: number;
  /**
   * White space between neighbouring panels.
   * @defaultValue 2.5% of the width, at least 6
   */
  gutter?: number;
  /**
   * White space between the panels and the paper edge.
   * @defaultValue 2% of the width, at least 4
   */
  margin?: number;
  /**
   * Probability that a cut is slanted instead of straight.
   * @defaultValue 0.25
   */
  slantChance?: number;
  /**
   * Largest slant of a cut, as the shift of one end against the other, relative to the cut length.
   * @defaultValue 0.12
   */
  maxSlant?: number;
  /**
   * Smallest width or height a panel may get.
   * @defaultValue 22% of the width, at least 40
   */
  minPanelSize?: number;
}

interface Leaf {
  polygon: Polygon;
  splittable: boolean;
}

/** Width and height limits shared by random layouts, templates and composeComic. */
export function checkPageSize(width: number, height: number): void {
  if (!Number.isInteger(width) || width < 64 || width > 4096)
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `width must be a whole number of printer dots between 64 and 4096 (384 for 58 mm paper, 576 for 80 mm), got ${width}`,
    );
  if (!Number.isInteger(height) || height < 64 || height > 32768)
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `height must be a whole number of dots between 64 and 32768, got ${height}`,
    );
}

/**
 * A random comic page from a seed: the page is cut again and again, biggest panel first, by
 * straight or (sometimes) slanted lines across it, mostly across the longer side, so rows of
 * wide panels and columns of tall ones both appear. Gutters are exact: each cut leaves
 * `gutter` dots between the two new panels.
 */
export function randomLayout(options: RandomLayoutOptions): Layout {
  const { width, height } = options;
  checkPageSize(width, height);
  const random = createRandom(options.seed).fork("layout");
  const gutter = options.gutter ?? Math.max(6, Math.round(width * 0.025));
  const margin = options.margin ?? Math.max(4, Math.round(width * 0.02));
  const slantChance = options.slantChance ?? 0.25;
  const maxSlant = options.maxSlant ?? 0.12;
  const minPanel = options.minPanelSize ?? Math.max(40, Math.round(width * 0.22));
  for (const [name, value] of Object.entries({ gutter, margin, minPanelSize: minPanel }))
    if (!Number.isFinite(value) || value < 0)
      throw new ThermalComicError("INVALID_ARGUMENT", `${name} must be >= 0, got ${value}`);
  if (!(slantChance >= 0 && slantChance <= 1))
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `slantChance must be in [0, 1], got ${slantChance}`,
    );
  if (!(maxSlant >= 0 && maxSlant <= 0.5))
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `maxSlant must be in [0, 0.5], got ${maxSlant}`,
    );
  const innerW = width - 2 * margin;
  const innerH = height - 2 * margin;
  if (innerW < minPanel || innerH < minPanel)
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `a ${width}×${height} page with margin ${margin} has no room for a panel of ${minPanel} dots`,
    );
  const target =
    options.panels ?? Math.max(1, Math.round((innerH / innerW) * random.range(2, 2.5)));
  if (!Number.isInteger(target) || target < 1)
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `panels must be a whole number >= 1, got ${target}`,
    );

  const leaves: Leaf[] = [
    {
      polygon: [
        [margin, margin],
        [width - margin, margin],
        [width - margin, height - margin],
        [margin, height - margin],
      ],
      splittable: true,
    },
  ];
  while (leaves.length < target) {
    const candidates = leaves
      .map((leaf, index) => ({ leaf, index, size: area(leaf.polygon) }))
      .filter((c) => c.leaf.splittable)
      .sort((a, b) => b.size - a.size || a.index - b.index);
    if (candidates.length === 0)
      throw new ThermalComicError(
        "INVALID_ARGUMENT",
        `a ${width}×${height} page holds at most ${leaves.length} panels of at least ${minPanel} dots; asked for ${target}`,
      );
    // Mostly the biggest panel, sometimes the runner-up, so pages do not all look alike.
    const chosen =
      candidates.length > 1 && random.chance(0.3)
        ? (candidates[1] as (typeof candidates)[number])
        : (candidates[0] as (typeof candidates)[number]);
    const parts = splitLeaf(chosen.leaf.polygon, random, {
      gutter,
      minPanel,
      slantChance,
      maxSlant,
    });
    if (parts)
      leaves.splice(chosen.index, 1, ...parts.map((polygon) => ({ polygon, splittable: true })));
    else chosen.leaf.splittable = false;
  }
  return {
    width,
    height,
    panels: leaves.map((leaf, id) => {
      const polygon = roundPolygon(clockwise(leaf.polygon));
      return { id, polygon, bbox: boundingBox(polygon) };
    }),
  };
}

function splitLeaf(
  polygon: Polygon,
  random: Random,
  o: { gutter: number; minPanel: number; slantChance: number; maxSlant: number },
): [Polygon, Polygon] | null {
  const box = boundingBox(polygon);
  const aspect = box.width / box.height;
  let horizontalFirst: boolean;
  if (aspect < 0.85) horizontalFirst = true;
  else if (aspect > 1.6) horizontalFirst = false;
  else horizontalFirst = random.chance(0.5);
  for (const horizontal of [horizontalFirst, !horizontalFirst]) {
    for (let attempt = 0; attempt < 4; attempt++) {
      const t = random.range(0.33, 0.67);
      const slanted = random.chance(o.slantChance);
      const along = horizontal ? box.width : box.height;
      const shift = slanted
        ? random.range(0.4, 1) * o.maxSlant * along * (random.chance(0.5) ? 1 : -1)
        : 0;
      let p: Point;
      let q: Point;
      if (horizontal) {
        const y = box.y + t * box.height;
        p = [box.x, y - shift / 2];
        q = [box.x + box.width, y + shift / 2];
      } else {
        const x = box.x + t * box.width;
        p = [x - shift / 2, box.y];
        q = [x + shift / 2, box.y + box.height];
      }
      // Normal of the cut line pointing to the second (bottom or right) part.
      let nx = -(q[1] - p[1]);
      let ny = q[0] - p[0];
      const len = Math.hypot(nx, ny);
      nx /= len;
      ny /= len;
      if ((horizontal && ny < 0) || (!horizontal && nx < 0)) {
        nx = -nx;
        ny = -ny;
      }
      const c = nx * p[0] + ny * p[1];
      const first = clipToHalfPlane(polygon, { a: -nx, b: -ny, c: -c + o.gutter / 2 });
      const second = clipToHalfPlane(polygon, { a: nx, b: ny, c: c + o.gutter / 2 });
      if (first.length < 3 || second.length < 3) continue;
      if (fitsMinimum(first, o.minPanel) && fitsMinimum(second, o.minPanel)) return [first, second];
    }
  }
  return null;
}

/** The panel's narrowest extent (measured on the corners' box, shrunk by slanted edges) is big enough. */
function fitsMinimum(polygon: Polygon, minPanel: number): boolean {
  const box = boundingBox(polygon);
  if (box.width < minPanel || box.height < minPanel) return false;
  // A slanted cut can leave a wedge: require the area of a minPanel-wide strip as well.
  return area(polygon) >= minPanel * Math.min(box.width, box.height) * 0.9;
}

/** A template page: polygons in the template's own pixel space, e.g. from a hand-drawn grid. */
export interface TemplateLayout {
  /** Width of the template's coordinate space (e.g. the grid image's pixel width). */
  width: number;
  /** Height of the template's coordinate space. */
  height: number;
  /** The panels' polygons, in template pixels, any order. */
  panels: Polygon[];
}

/**
 * Scales a template to the page: `width` in printer dots; the height keeps the template's
 * aspect unless given. Panels come back in reading order.
 */
export function layoutFromTemplate(
  template: TemplateLayout,
  width: number,
  height?: number,
): Layout {
  if (!(template.width > 0 && template.height > 0))
    throw new ThermalComicError(
      "INVALID_LAYOUT",
      `a template needs a positive width and height, got ${template.width}×${template.height}`,
    );
  if (template.panels.length === 0)
    throw new ThermalComicError("INVALID_LAYOUT", "the template has no panels");
  const sx = width / template.width;
  const pageHeight = height ?? Math.round(template.height * sx);
  checkPageSize(width, pageHeight);
  const sy = pageHeight / template.height;
  const polygons = template.panels.map((polygon, index) => {
    if (
      !Array.isArray(polygon) ||
      polygon.length < 3 ||
      !polygon.every(
        (p) =>
          Array.isArray(p) &&
          p.length === 2 &&
          p.every((v) => typeof v === "number" && Number.isFinite(v)),
      )
    )
      throw new ThermalComicError(
        "INVALID_LAYOUT",
        `template panel ${index} must be a list of at least 3 [x, y] number pairs`,
      );
    const scaled = clockwise(polygon.map(([x, y]): Point => [x * sx, y * sy]));
    if (!isConvex(scaled))
      throw new ThermalComicError(
        "INVALID_LAYOUT",
        `template panel ${index} is not convex; panels are convex polygons (split an L-shaped panel in two)`,
      );
    if (area(scaled) < 1)
      throw new ThermalComicError("INVALID_LAYOUT", `template panel ${index} has no area`);
    return roundPolygon(scaled);
  });
  return { width, height: pageHeight, panels: readingOrder(polygons) };
}

/** Orders polygons in reading order: rows top to bottom (a row is every panel starting above the first one's middle), then left to right. */
export function readingOrder(polygons: Polygon[]): Panel[] {
  const items = polygons.map((polygon) => ({ polygon, bbox: boundingBox(polygon) }));
  items.sort((a, b) => a.bbox.y - b.bbox.y || a.bbox.x - b.bbox.x);
  const ordered: typeof items = [];
  while (items.length) {
    const head = items[0] as (typeof items)[number];
    const middle = head.bbox.y + head.bbox.height / 2;
    const row = items.filter((item) => item.bbox.y < middle);
    row.sort((a, b) => a.bbox.x - b.bbox.x);
    ordered.push(...row);
    for (const item of row) items.splice(items.indexOf(item), 1);
  }
  return ordered.map((item, id) => ({ id, polygon: item.polygon, bbox: item.bbox }));
}
