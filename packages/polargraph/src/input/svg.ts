import { SaxesParser, type SaxesTag } from "saxes";
import svgpath from "svgpath";
import type { Point, Polyline } from "../core/geometry.js";
import { PolargraphError } from "../errors.js";

/** Options of {@link parseSvg}. */
export interface SvgInputOptions {
  /** Largest distance, mm, between a curve and the polyline that replaces it. @defaultValue 0.05 */
  tolerance?: number;
  /**
   * Millimetres per user unit when the root `<svg>` has no absolute width/height.
   * @defaultValue 25.4 / 96 (CSS pixels)
   */
  mmPerUserUnit?: number;
}

/** Polylines read from an SVG document, in millimetres (origin at the document's top-left). */
export interface SvgDrawing {
  strokes: Polyline[];
  /** The document's size, mm. */
  width: number;
  height: number;
  /** Elements skipped because they draw nothing a pen can (text, images), with counts. */
  skipped: Record<string, number>;
}

const UNIT_MM: Record<string, number> = {
  mm: 1,
  cm: 10,
  in: 25.4,
  pt: 25.4 / 72,
  pc: 25.4 / 6,
  px: 25.4 / 96,
  "": 25.4 / 96,
  q: 0.25,
};
const SHAPES = new Set(["path", "line", "polyline", "polygon", "rect", "circle", "ellipse"]);
const NOT_RENDERED = new Set([
  "defs",
  "clipPath",
  "mask",
  "marker",
  "pattern",
  "symbol",
  "style",
  "script",
  "title",
  "desc",
  "metadata",
  "linearGradient",
  "radialGradient",
  "filter",
]);
const SKIPPED = new Set(["text", "image", "foreignObject", "use"]);

function length(value: string | undefined, what: string, where: Loc): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*(mm|cm|in|pt|pc|px|q)?\s*$/i.exec(
    value,
  );
  if (!m) {
    if (/%\s*$/.test(value)) return undefined;
    throw new PolargraphError("INVALID_SVG", `${what}="${value}" is not a length (${at(where)})`, {
      location: where,
    });
  }
  return Number(m[1]) * (UNIT_MM[(m[2] ?? "").toLowerCase()] as number);
}

type Loc = { line?: number; column?: number; element?: string };

function at(loc: Loc): string {
  return `<${loc.element}> at line ${loc.line}, column ${loc.column}`;
}

function numberAttr(
  attrs: Record<string, string>,
  name: string,
  loc: Loc,
  fallback?: number,
): number {
  const raw = attrs[name];
  if (raw === undefined || raw.trim() === "") {
    if (fallback !== undefined) return fallback;
    throw new PolargraphError("INVALID_SVG", `missing ${name} on ${at(loc)}`, { location: loc });
  }
  const v = Number(raw.trim().replace(/px$/, ""));
  if (!Number.isFinite(v))
    throw new PolargraphError("INVALID_SVG", `${name}="${raw}" is not a number on ${at(loc)}`, {
      location: loc,
    });
  return v;
}

function pointsAttr(raw: string | undefined, loc: Loc): number[] {
  const nums = (raw ?? "")
    .trim()
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
  if (nums.some((n) => !Number.isFinite(n)) || nums.length % 2)
    throw new PolargraphError(
      "INVALID_SVG",
      `points="${raw}" is not a list of coordinate pairs on ${at(loc)}`,
      { location: loc },
    );
  return nums;
}

/** The path data equivalent of a basic shape, in its own user units. */
function shapeToPath(name: string, a: Record<string, string>, loc: Loc): string | null {
  switch (name) {
    case "path":
      return a.d ?? "";
    case "line":
      return `M${numberAttr(a, "x1", loc, 0)} ${numberAttr(a, "y1", loc, 0)}L${numberAttr(a, "x2", loc, 0)} ${numberAttr(a, "y2", loc, 0)}`;
    case "polyline":
    case "polygon": {
      const p = pointsAttr(a.points, loc);
      if (p.length < 2) return null;
      let d = `M${p[0]} ${p[1]}`;
      for (let i = 2; i < p.length; i += 2) d += `L${p[i]} ${p[i + 1]}`;
      return name === "polygon" ? `${d}Z` : d;
    }
    case "rect": {
      const x = numberAttr(a, "x", loc, 0);
      const y = numberAttr(a, "y", loc, 0);
      const w = numberAttr(a, "width", loc, 0);
      const h = numberAttr(a, "height", loc, 0);
      if (w < 0 || h < 0)
        throw new PolargraphError("INVALID_SVG", `negative rect size on ${at(loc)}`, {
          location: loc,
        });
      if (w === 0 || h === 0) return null;
      let rx = a.rx !== undefined ? numberAttr(a, "rx", loc) : undefined;
      let ry = a.ry !== undefined ? numberAttr(a, "ry", loc) : undefined;
      rx ??= ry ?? 0;
      ry ??= rx;
      rx = Math.min(Math.max(rx, 0), w / 2);
      ry = Math.min(Math.max(ry, 0), h / 2);
      if (rx === 0 || ry === 0) return `M${x} ${y}H${x + w}V${y + h}H${x}Z`;
      return `M${x + rx} ${y}H${x + w - rx}A${rx} ${ry} 0 0 1 ${x + w} ${y + ry}V${y + h - ry}A${rx} ${ry} 0 0 1 ${x + w - rx} ${y + h}H${x + rx}A${rx} ${ry} 0 0 1 ${x} ${y + h - ry}V${y + ry}A${rx} ${ry} 0 0 1 ${x + rx} ${y}Z`;
    }
    case "circle":
    case "ellipse": {
      const cx = numberAttr(a, "cx", loc, 0);
      const cy = numberAttr(a, "cy", loc, 0);
      const rx = name === "circle" ? numberAttr(a, "r", loc, 0) : numberAttr(a, "rx", loc, 0);
      const ry = name === "circle" ? rx : numberAttr(a, "ry", loc, 0);
      if (rx < 0 || ry < 0)
        throw new PolargraphError("INVALID_SVG", `negative radius on ${at(loc)}`, {
          location: loc,
        });
      if (rx === 0 || ry === 0) return null;
      return `M${cx + rx} ${cy}A${rx} ${ry} 0 0 1 ${cx - rx} ${cy}A${rx} ${ry} 0 0 1 ${cx + rx} ${cy}Z`;
    }
    default:
      return null;
  }
}

/** Flattens a cubic Bézier into `out` (excluding its start) to within `tol` by subdivision. */
function flattenCubic(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  x3: number,
  y3: number,
  tol: number,
  out: Point[],
  depth = 0,
): void {
  const dx = x3 - x0;
  const dy = y3 - y0;
  const len = Math.hypot(dx, dy);
  let d1: number;
  let d2: number;
  if (len < 1e-12) {
    d1 = Math.hypot(x1 - x0, y1 - y0);
    d2 = Math.hypot(x2 - x0, y2 - y0);
  } else {
    d1 = Math.abs((x1 - x0) * dy - (y1 - y0) * dx) / len;
    d2 = Math.abs((x2 - x0) * dy - (y2 - y0) * dx) / len;
  }
  // the curve lies within 3/4 of the control points' distance from the chord
  if (0.75 * Math.max(d1, d2) <= tol || depth > 16) {
    out.push({ x: x3, y: y3 });
    return;
  }
  const x01 = (x0 + x1) / 2,
    y01 = (y0 + y1) / 2;
  const x12 = (x1 + x2) / 2,
    y12 = (y1 + y2) / 2;
  const x23 = (x2 + x3) / 2,
    y23 = (y2 + y3) / 2;
  const xa = (x01 + x12) / 2,
    ya = (y01 + y12) / 2;
  const xb = (x12 + x23) / 2,
    yb = (y12 + y23) / 2;
  const xm = (xa + xb) / 2,
    ym = (ya + yb) / 2;
  flattenCubic(x0, y0, x01, y01, xa, ya, xm, ym, tol, out, depth + 1);
  flattenCubic(xm, ym, xb, yb, x23, y23, x3, y3, tol, out, depth + 1);
}

function pathToStrokes(
  d: string,
  transform: string,
  tol: number,
  loc: Loc,
  strokes: Polyline[],
): void {
  const p = svgpath(d) as ReturnType<typeof svgpath> & { err?: string };
  if (p.err)
    throw new PolargraphError(
      "INVALID_SVG",
      `bad path data on ${at(loc)}: ${p.err.replace(/^SvgPath: /, "")}`,
      { location: loc },
    );
  let current: Polyline = [];
  let start: Point = { x: 0, y: 0 };
  const flush = () => {
    if (current.length > 1) strokes.push(current);
    current = [];
  };
  p.transform(transform)
    .abs()
    .unarc()
    .unshort()
    .iterate((seg, _i, x, y) => {
      const cmd = seg[0];
      switch (cmd) {
        case "M":
          flush();
          start = { x: seg[1], y: seg[2] };
          current = [start];
          break;
        case "L":
          current.push({ x: seg[1], y: seg[2] });
          break;
        case "H":
          current.push({ x: seg[1], y });
          break;
        case "V":
          current.push({ x, y: seg[1] });
          break;
        case "C":
          flattenCubic(x, y, seg[1], seg[2], seg[3], seg[4], seg[5], seg[6], tol, current);
          break;
        case "Q":
          flattenCubic(
            x,
            y,
            x + (2 / 3) * (seg[1] - x),
            y + (2 / 3) * (seg[2] - y),
            seg[3] + (2 / 3) * (seg[1] - seg[3]),
            seg[4] + (2 / 3) * (seg[2] - seg[4]),
            seg[3],
            seg[4],
            tol,
            current,
          );
          break;
        case "Z":
        case "z":
          current.push(start);
          flush();
          current = [start];
          break;
        default:
          break;
      }
    });
  flush();
}

/**
 * Reads an SVG document into polylines in millimetres: every path command (arcs and smooth
 * curves included), nested transforms, and the basic shapes (line, polyline, polygon, rect with
 * rounded corners, circle, ellipse), with curves flattened to `tolerance`. Elements that are not
 * rendered (defs, clipPath…) and those hidden with display="none" are left out; text and images
 * are counted in `skipped`. Malformed XML or path data throws `INVALID_SVG` with its location.
 */
export function parseSvg(text: string, options: SvgInputOptions = {}): SvgDrawing {
  const tolerance = options.tolerance ?? 0.05;
  if (!(tolerance > 0))
    throw new PolargraphError("INVALID_ARGUMENT", `tolerance must be positive, got ${tolerance}`);
  const parser = new SaxesParser({ position: true });
  const strokes: Polyline[] = [];
  const skipped: Record<string, number> = {};
  // each open element: its transform list and whether its content is drawn
  const stack: Array<{ transform: string; drawn: boolean; name: string }> = [];
  let width = 0;
  let height = 0;
  let sawRoot = false;
  let failure: PolargraphError | undefined;
  parser.on("opentag", (tag: SaxesTag) => {
    if (failure) return;
    try {
      const name = tag.name.replace(/^svg:/, "");
      const a = tag.attributes as Record<string, string>;
      const loc: Loc = { line: parser.line, column: parser.column, element: name };
      const parent = stack[stack.length - 1];
      if (!parent) {
        if (name !== "svg")
          throw new PolargraphError("INVALID_SVG", `the root element is <${name}>, not <svg>`, {
            location: loc,
          });
        sawRoot = true;
        const vb = a.viewBox
          ?.trim()
          .split(/[\s,]+/)
          .map(Number);
        if (
          vb &&
          (vb.length !== 4 ||
            vb.some((n) => !Number.isFinite(n)) ||
            (vb[2] as number) <= 0 ||
            (vb[3] as number) <= 0)
        )
          throw new PolargraphError(
            "INVALID_SVG",
            `viewBox="${a.viewBox}" is not four numbers with a positive size`,
            { location: loc },
          );
        const unit = options.mmPerUserUnit ?? 25.4 / 96;
        const w = length(a.width, "width", loc);
        const h = length(a.height, "height", loc);
        let sx = unit;
        let sy = unit;
        let tx = 0;
        let ty = 0;
        if (vb) {
          const [vx, vy, vw, vh] = vb as [number, number, number, number];
          width = w ?? (h !== undefined ? (h * vw) / vh : vw * unit);
          height = h ?? (w !== undefined ? (w * vh) / vw : vh * unit);
          // preserveAspectRatio xMidYMid meet
          const s = Math.min(width / vw, height / vh);
          sx = s;
          sy = s;
          tx = (width - vw * s) / 2 - vx * s;
          ty = (height - vh * s) / 2 - vy * s;
        } else {
          width = w ?? 0;
          height = h ?? 0;
        }
        stack.push({
          transform: `translate(${tx} ${ty}) scale(${sx} ${sy})${a.transform ? ` ${a.transform}` : ""}`,
          drawn: true,
          name,
        });
        return;
      }
      const hidden =
        a.display?.trim() === "none" || /(^|;)\s*display\s*:\s*none/.test(a.style ?? "");
      const drawn = parent.drawn && !hidden && !NOT_RENDERED.has(name);
      const transform = a.transform ? `${parent.transform} ${a.transform}` : parent.transform;
      stack.push({ transform, drawn, name });
      if (!drawn) return;
      if (SKIPPED.has(name)) skipped[name] = (skipped[name] ?? 0) + 1;
      if (!SHAPES.has(name)) return;
      const d = shapeToPath(name, a, loc);
      if (d) {
        // transform must parse too; svgpath ignores what it cannot read, so check the syntax
        if (
          a.transform &&
          !/^[\s,]*((matrix|translate|scale|rotate|skewX|skewY)\s*\([^)]*\)[\s,]*)*$/.test(
            a.transform,
          )
        )
          throw new PolargraphError(
            "INVALID_SVG",
            `transform="${a.transform}" is not a transform list on ${at(loc)}`,
            { location: loc },
          );
        pathToStrokes(d, transform, tolerance, loc, strokes);
      }
    } catch (error) {
      failure = error as PolargraphError;
    }
  });
  parser.on("closetag", () => {
    stack.pop();
  });
  parser.on("error", (error: Error) => {
    if (!failure)
      failure = new PolargraphError("INVALID_SVG", `malformed SVG: ${error.message}`, {
        cause: error,
        location: { line: parser.line, column: parser.column },
      });
  });
  try {
    parser.write(text).close();
  } catch (error) {
    if (!failure)
      failure = new PolargraphError("INVALID_SVG", `malformed SVG: ${(error as Error).message}`, {
        cause: error,
        location: { line: parser.line, column: parser.column },
      });
  }
  if (failure) throw failure;
  if (!sawRoot)
    throw new PolargraphError("INVALID_SVG", "no <svg> element found", {
      location: { line: 1, column: 0 },
    });
  return { strokes, width, height, skipped };
}
