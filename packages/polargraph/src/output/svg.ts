import type { Plan } from "../core/planner.js";

/** Options of {@link planToSvg}. */
export interface SvgPreviewOptions {
  /** Draw pen-up travel as thin dashed lines. @defaultValue true */
  showTravel?: boolean;
  /** Pen stroke width, mm. @defaultValue 0.4 */
  penWidth?: number;
}

function f(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

/**
 * An SVG preview of a plan on its page, in page millimetres: what the pen draws (after
 * segmentation, as the cords will move it), pen-up travel dashed, the page and its margins, and a
 * caption with the time estimate.
 */
export function planToSvg(plan: Plan, options: SvgPreviewOptions = {}): string {
  const { machine } = plan;
  const { page, margins } = machine;
  const showTravel = options.showTravel ?? true;
  const penWidth = options.penWidth ?? 0.4;
  const draw: string[] = [];
  const travel: string[] = [];
  let current: string[] | null = null;
  let currentPen: "up" | "down" | null = null;
  for (const step of plan.steps) {
    if (step.type !== "move") {
      currentPen = null;
      continue;
    }
    const to = `${f(step.to.x - page.x)},${f(step.to.y - page.y)}`;
    if (currentPen !== step.pen || !current) {
      current = [`M${f(step.from.x - page.x)},${f(step.from.y - page.y)}`];
      (step.pen === "down" ? draw : travel).push("");
      currentPen = step.pen;
      const list = step.pen === "down" ? draw : travel;
      list[list.length - 1] = current.join("");
    }
    const list = step.pen === "down" ? draw : travel;
    list[list.length - 1] += `L${to}`;
  }
  const h = page.height + 12;
  const minutes = plan.durationMs / 60000;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f(page.width)} ${f(h)}" width="${f(page.width)}mm" height="${f(h)}mm">`,
    `<rect x="0" y="0" width="${f(page.width)}" height="${f(page.height)}" fill="#fff" stroke="#888" stroke-width="0.3"/>`,
    `<rect x="${f(margins.left)}" y="${f(margins.top)}" width="${f(page.width - margins.left - margins.right)}" height="${f(page.height - margins.top - margins.bottom)}" fill="none" stroke="#ccc" stroke-width="0.2" stroke-dasharray="2 2"/>`,
  ];
  if (showTravel && travel.length)
    out.push(
      `<path d="${travel.join("")}" fill="none" stroke="#e66" stroke-width="0.2" stroke-dasharray="1 1"/>`,
    );
  if (draw.length)
    out.push(
      `<path d="${draw.join("")}" fill="none" stroke="#000" stroke-width="${penWidth}" stroke-linecap="round" stroke-linejoin="round"/>`,
    );
  out.push(
    `<text x="1" y="${f(page.height + 8)}" font-family="sans-serif" font-size="5">${plan.strokes.length} strokes · ${f(plan.drawLength / 1000)} m drawn · ${f(plan.travelLength / 1000)} m travel · ~${minutes.toFixed(1)} min</text>`,
  );
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

/** Polylines (page mm) as a plain SVG document of the given size in mm, one `<path>` per line. */
export function strokesToSvg(
  strokes: readonly Plan["strokes"][number][],
  size: { width: number; height: number },
): string {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f(size.width)} ${f(size.height)}" width="${f(size.width)}mm" height="${f(size.height)}mm">`,
    `<g fill="none" stroke="#000" stroke-width="0.3" stroke-linecap="round" stroke-linejoin="round">`,
  ];
  for (const line of strokes) {
    if (line.length < 2) continue;
    out.push(`<path d="M${line.map((p) => `${f(p.x)},${f(p.y)}`).join("L")}"/>`);
  }
  out.push("</g>", "</svg>");
  return `${out.join("\n")}\n`;
}
