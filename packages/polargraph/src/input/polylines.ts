import type { Point, Polyline } from "../core/geometry.js";
import { PolargraphError } from "../errors.js";

/**
 * Reads the JSON polyline format: either an array of polylines or `{ "polylines": [...] }`
 * (other keys, such as `"units": "mm"`, are allowed and ignored; only millimetres are read).
 * A polyline is an array of points, each `[x, y]` or `{ "x": x, "y": y }`, in page millimetres.
 * Throws `INVALID_POLYLINES` with the JSON path of the first bad value.
 */
export function parsePolylines(input: string | unknown): Polyline[] {
  let value: unknown = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new PolargraphError(
        "INVALID_POLYLINES",
        `not valid JSON: ${(cause as Error).message}`,
        { cause, path: "" },
      );
    }
  }
  let root = "";
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (o.units !== undefined && o.units !== "mm")
      throw new PolargraphError(
        "INVALID_POLYLINES",
        `units must be "mm", got ${JSON.stringify(o.units)}`,
        { path: "units" },
      );
    value = o.polylines;
    root = "polylines";
  }
  if (!Array.isArray(value))
    throw new PolargraphError(
      "INVALID_POLYLINES",
      "expected an array of polylines or { polylines: [...] }",
      { path: root },
    );
  return value.map((line, i) => {
    const path = `${root}[${i}]`;
    if (!Array.isArray(line))
      throw new PolargraphError("INVALID_POLYLINES", `${path} is not an array of points`, { path });
    return line.map((p, j): Point => {
      const at = `${path}[${j}]`;
      let x: unknown;
      let y: unknown;
      if (Array.isArray(p) && p.length === 2) [x, y] = p;
      else if (p && typeof p === "object" && !Array.isArray(p))
        ({ x, y } = p as { x: unknown; y: unknown });
      if (
        typeof x !== "number" ||
        typeof y !== "number" ||
        !Number.isFinite(x) ||
        !Number.isFinite(y)
      )
        throw new PolargraphError(
          "INVALID_POLYLINES",
          `${at} is not a point [x, y] with finite numbers: ${JSON.stringify(p)}`,
          { path: at },
        );
      return { x, y };
    });
  });
}

/** Writes polylines in the JSON polyline format. */
export function formatPolylines(strokes: readonly Polyline[]): string {
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return `${JSON.stringify({ units: "mm", polylines: strokes.map((l) => l.map((p) => [round(p.x), round(p.y)])) })}\n`;
}
