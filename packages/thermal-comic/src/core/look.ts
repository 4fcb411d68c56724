import {
  boundingBox,
  halfPlanes,
  nearestFeasiblePoint,
  type Point,
  type Polygon,
  type Rect,
} from "./geometry.js";
import type { Random } from "./random.js";

/** Smooth 1-D value noise in [-1, 1] with a lattice every 1 unit, seeded. */
export function valueNoise(random: Random): (t: number) => number {
  const lattice: number[] = [];
  const at = (i: number) => {
    while (lattice.length <= i) lattice.push(random.range(-1, 1));
    return lattice[i] as number;
  };
  return (t: number) => {
    const x = Math.max(0, t);
    const i = Math.floor(x);
    const f = x - i;
    const s = f * f * (3 - 2 * f);
    return at(i) * (1 - s) + at(i + 1) * s;
  };
}

/** How a drawn line looks; lengths in printer dots. */
export interface StrokeStyle {
  /** Average line width. */
  width: number;
  /** Largest sideways wobble of the line. */
  wobble: number;
  /** How much the width varies: 0 is a constant width, 0.5 varies by ±50 %. */
  widthVariation: number;
  /** How far a line may run past its corner, as a pen does. */
  overshoot: number;
}

/**
 * One hand-drawn line from `a` to `b` as a filled outline: the centre line is displaced
 * sideways by smooth noise, the width swells and thins with a second noise and tapers at the
 * ends like a pen stroke, and the line runs a little past both ends.
 */
export function handDrawnLine(a: Point, b: Point, style: StrokeStyle, random: Random): Polygon {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const length = Math.hypot(dx, dy);
  if (length < 1e-6) return [];
  const ux = dx / length;
  const uy = dy / length;
  const nx = -uy;
  const ny = ux;
  const before = random.range(0, style.overshoot);
  const after = random.range(0, style.overshoot);
  const total = length + before + after;
  const start: Point = [a[0] - ux * before, a[1] - uy * before];
  const wander = valueNoise(random);
  const swell = valueNoise(random);
  const period = 40; // dots between noise lattice points: gentle, not jittery
  const steps = Math.max(4, Math.ceil(total / 5));
  const left: Point[] = [];
  const right: Point[] = [];
  const drift = random.range(-1, 1) * style.wobble * 0.5;
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const s = t * total;
    const side = wander(s / period) * style.wobble + drift * Math.sin(Math.PI * t);
    const taper = 0.55 + 0.45 * Math.sqrt(Math.sin(Math.PI * t));
    const w = Math.max(
      0.4,
      style.width * (1 + style.widthVariation * swell(s / period + 7)) * taper,
    );
    const cx = start[0] + ux * s + nx * side;
    const cy = start[1] + uy * s + ny * side;
    left.push([cx + (nx * w) / 2, cy + (ny * w) / 2]);
    right.push([cx - (nx * w) / 2, cy - (ny * w) / 2]);
  }
  return left.concat(right.reverse());
}

/** The border of a panel: one hand-drawn line per edge, each overshooting its corners a little. */
export function handDrawnBorder(polygon: Polygon, style: StrokeStyle, random: Random): Polygon[] {
  const lines: Polygon[] = [];
  for (let i = 0; i < polygon.length; i++) {
    const line = handDrawnLine(
      polygon[i] as Point,
      polygon[(i + 1) % polygon.length] as Point,
      style,
      random,
    );
    if (line.length) lines.push(line);
  }
  return lines;
}

/** A closed wobbly ellipse (a balloon's outline) as a polygon. */
export function wobblyEllipse(
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  wobble: number,
  random: Random,
): Polygon {
  const noise = valueNoise(random);
  const points: Polygon = [];
  const n = 64;
  const phase = random.range(0, 8);
  for (let i = 0; i < n; i++) {
    const angle = (i / n) * Math.PI * 2;
    // Wrap the noise so the outline closes smoothly: blend the start back in over the last eighth.
    const t = (i / n) * 8;
    const wrap = i > (n * 7) / 8 ? (i - (n * 7) / 8) / (n / 8) : 0;
    const r =
      1 + ((noise(phase + t) * (1 - wrap) + noise(phase) * wrap) * wobble) / Math.max(rx, ry);
    points.push([cx + Math.cos(angle) * rx * r, cy + Math.sin(angle) * ry * r]);
  }
  return points;
}

/** Greedy word wrap: lines no wider than `maxWidth` (a word wider than that is split). */
export function wrapText(text: string, maxWidth: number, measure: (s: string) => number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split(/\r?\n/)) {
    let line = "";
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      const candidate = line ? `${line} ${word}` : word;
      if (measure(candidate) <= maxWidth) {
        line = candidate;
        continue;
      }
      if (line) lines.push(line);
      line = "";
      let rest = word;
      while (measure(rest) > maxWidth && rest.length > 1) {
        let cut = rest.length - 1;
        while (cut > 1 && measure(rest.slice(0, cut)) > maxWidth) cut--;
        lines.push(rest.slice(0, cut));
        rest = rest.slice(cut);
      }
      line = rest;
    }
    lines.push(line);
  }
  while (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Where a speech balloon goes. */
export interface BalloonPlacement {
  /** Centre of the ellipse. */
  center: Point;
  /** Radii of the ellipse. */
  rx: number;
  ry: number;
  /** The tail: two base points on the ellipse and the tip, or null without a tail. */
  tail: [Point, Point, Point] | null;
}

/**
 * Places a balloon of text `textWidth`×`textHeight` inside a panel: the ellipse that holds the
 * text box, at the candidate spot (top corners first, as readers expect) that stays inside the
 * panel and overlaps least with `avoid` (the image's region of interest and earlier balloons).
 * The tail points at `target` (e.g. the speaker's mouth) and stops short of it.
 * Returns null when the balloon cannot fit the panel at all.
 */
export function placeBalloon(
  panel: Polygon,
  textWidth: number,
  textHeight: number,
  avoid: Rect[],
  target: Point | null,
  random: Random,
  margin: number,
): BalloonPlacement | null {
  // An ellipse through the corners of the text box, with a little air: rx = w/√2, ry = h/√2.
  const rx = (textWidth / 2) * Math.SQRT2 + margin * 0.6;
  const ry = (textHeight / 2) * Math.SQRT2 + margin * 0.6;
  const box = boundingBox(panel);
  if (2 * rx + 2 * margin > box.width || 2 * ry + 2 * margin > box.height) return null;
  // Keep the ellipse's bounding box (plus margin) inside the panel: constraints on its centre.
  const planes = halfPlanes(panel).map((p) => ({
    ...p,
    c: p.c + margin + Math.abs(p.a) * rx + Math.abs(p.b) * ry,
  }));
  const spots: Point[] = [
    [box.x + rx + margin, box.y + ry + margin],
    [box.x + box.width - rx - margin, box.y + ry + margin],
    [box.x + box.width / 2, box.y + ry + margin],
    [box.x + rx + margin, box.y + box.height - ry - margin],
    [box.x + box.width - rx - margin, box.y + box.height - ry - margin],
  ];
  let best: { center: Point; cost: number } | null = null;
  spots.forEach((spot, order) => {
    const center = nearestFeasiblePoint(spot, planes);
    if (!center) return;
    const rect: Rect = { x: center[0] - rx, y: center[1] - ry, width: 2 * rx, height: 2 * ry };
    const overlap = avoid.reduce((sum, r) => sum + overlapArea(rect, r), 0);
    // Overlap dominates; then reading order of the spots; a little noise breaks ties.
    const cost = overlap + order * 0.01 * rx * ry + random.range(0, 0.005 * rx * ry);
    if (!best || cost < best.cost) best = { center, cost };
  });
  const chosen = best as { center: Point; cost: number } | null;
  if (!chosen) return null;
  const [cx, cy] = chosen.center;
  const aim: Point = target ?? [cx + random.range(-0.5, 0.5) * rx, cy + ry * 3];
  const dx = aim[0] - cx;
  const dy = aim[1] - cy;
  const distance = Math.hypot(dx, dy);
  let tail: [Point, Point, Point] | null = null;
  if (distance > 1e-6) {
    const ux = dx / distance;
    const uy = dy / distance;
    // Where the direction leaves the ellipse, and how far the tip may go (inside the panel).
    const edge = 1 / Math.sqrt((ux / rx) ** 2 + (uy / ry) ** 2);
    const wanted = Math.min(
      Math.max(distance - margin * 0.8, edge + margin),
      edge + Math.max(rx, ry) * 1.2,
    );
    let length = wanted;
    const inside = (p: Point) => halfPlanes(panel).every((h) => h.a * p[0] + h.b * p[1] >= h.c + 2);
    while (length > edge + 2 && !inside([cx + ux * length, cy + uy * length])) length -= 2;
    if (length > edge + 4) {
      const baseHalf = Math.min(rx, ry) * 0.28;
      const angle = Math.atan2(uy, ux);
      const baseAt = (offset: number): Point => {
        const a = angle + offset;
        const r = 1 / Math.sqrt((Math.cos(a) / rx) ** 2 + (Math.sin(a) / ry) ** 2);
        return [cx + Math.cos(a) * r * 0.85, cy + Math.sin(a) * r * 0.85];
      };
      const spread = baseHalf / Math.max(rx, ry);
      // The tip leans a little, as a drawn tail does.
      const lean = random.range(-0.15, 0.15);
      tail = [
        baseAt(-spread),
        [cx + Math.cos(angle + lean * 0.3) * length, cy + Math.sin(angle + lean * 0.3) * length],
        baseAt(spread),
      ];
    }
  }
  return { center: [cx, cy], rx, ry, tail };
}

/** Where a caption box goes: the top-left of the panel, pushed inside slanted edges. */
export function placeCaption(
  panel: Polygon,
  width: number,
  height: number,
  inset: number,
): Rect | null {
  const box = boundingBox(panel);
  if (width + 2 * inset > box.width || height + 2 * inset > box.height) return null;
  const planes = halfPlanes(panel).map((p) => ({
    ...p,
    // The box's corner that is worst for this edge stays inside: shift by the box's extent.
    c: p.c + inset - Math.min(0, p.a) * width - Math.min(0, p.b) * height,
  }));
  const corner = nearestFeasiblePoint([box.x + inset, box.y + inset], planes);
  if (!corner) return null;
  return { x: corner[0], y: corner[1], width, height };
}

export function overlapArea(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}
