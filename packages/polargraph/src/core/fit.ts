import type { Point, Polyline } from "./geometry.js";
import type { Machine } from "./machine.js";

/** Bounding box of polylines, or null when empty. */
export function boundsOf(
  strokes: readonly Polyline[],
): { minX: number; minY: number; maxX: number; maxY: number } | null {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const line of strokes)
    for (const p of line) {
      if (p.x < minX) minX = p.x;
      if (p.y < minY) minY = p.y;
      if (p.x > maxX) maxX = p.x;
      if (p.y > maxY) maxY = p.y;
    }
  return minX <= maxX ? { minX, minY, maxX, maxY } : null;
}

/** Scales (uniformly) and centres strokes into the page less its margins, page mm. */
export function fitToPage(machine: Machine, strokes: readonly Polyline[]): Polyline[] {
  const b = boundsOf(strokes);
  if (!b) return [];
  const { page, margins } = machine;
  const w = page.width - margins.left - margins.right;
  const h = page.height - margins.top - margins.bottom;
  const bw = b.maxX - b.minX;
  const bh = b.maxY - b.minY;
  const s = Math.min(
    bw > 0 ? w / bw : Number.POSITIVE_INFINITY,
    bh > 0 ? h / bh : Number.POSITIVE_INFINITY,
    bw === 0 && bh === 0 ? 1 : Number.POSITIVE_INFINITY,
  );
  const ox = margins.left + (w - bw * s) / 2;
  const oy = margins.top + (h - bh * s) / 2;
  return strokes.map((l) =>
    l.map((p): Point => ({ x: ox + (p.x - b.minX) * s, y: oy + (p.y - b.minY) * s })),
  );
}
