// Draws a license-clean portrait procedurally (no photo needed), saves it as PNG, then renders it
// for the A3 example polargraph in seven styles (square wave, squiggle, spiral, sine lines,
// stipples, one continuous TSP line through the stipples, flow-field lines), optimises each, and
// writes SVG and PNG previews, Marlin G-code and time estimates to out/, with a table of what
// optimisation saved.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  exampleMachine,
  loadImageGrid,
  optimizePaths,
  planDrawing,
  renderFlowField,
  renderSineLines,
  renderSpiral,
  renderSquareWave,
  renderSquiggle,
  renderStipples,
  stipplePoints,
  strokesToSvg,
  toMarlin,
  tspTour,
} from "@tinkerbox/polargraph";
import sharp from "sharp";

const out = process.env.TINKERBOX_DEMO_OUT ?? ".";
const machine = exampleMachine;

/** A face: a shaded oval head, hair, eyes, brows, nose shadow and mouth on a graded background. */
function portraitPixels(width: number, height: number): Buffer {
  const px = Buffer.alloc(width * height);
  const smooth = (e0: number, e1: number, x: number) => {
    const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
    return t * t * (3 - 2 * t);
  };
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const u = x / width - 0.5; // −0.5 … 0.5
      const v = y / height - 0.5;
      let b = 0.85 - 0.35 * (y / height) + 0.08 * Math.sin(u * 9); // background
      const head = (u / 0.27) ** 2 + ((v + 0.02) / 0.36) ** 2;
      if (head < 1) {
        // lit from the upper left
        b = 0.9 - 0.45 * smooth(-0.2, 0.3, u + 0.4 * v) - 0.25 * head ** 3;
        const eye = (cx: number) => ((u - cx) / 0.055) ** 2 + ((v + 0.07) / 0.028) ** 2;
        for (const cx of [-0.1, 0.1]) {
          if (eye(cx) < 1)
            b = 0.95 - 0.9 * (((u - cx) / 0.022) ** 2 + ((v + 0.07) / 0.022) ** 2 < 1 ? 1 : 0);
          const brow = Math.abs(v + 0.13 + 2 * (u - cx) ** 2) < 0.012 && Math.abs(u - cx) < 0.07;
          if (brow) b = 0.15;
        }
        if (Math.abs(u - 0.02) < 0.025 && v > -0.05 && v < 0.07) b -= 0.25 * smooth(-0.05, 0.07, v);
        if (Math.abs(v - 0.15 - 1.5 * u * u) < 0.012 && Math.abs(u) < 0.09) b = 0.2;
      } else if ((u / 0.31) ** 2 + ((v + 0.1) / 0.36) ** 2 < 1 && v < 0.05)
        b = 0.12; // hair
      else if (v > 0.3 && Math.abs(u) < 0.35 - 0.2 * (0.5 - v)) b = 0.35; // shoulders
      px[y * width + x] = Math.round(255 * Math.min(1, Math.max(0, b)));
    }
  return px;
}

const W = 240;
const H = 300;
const imagePath = join(out, "portrait.png");
await sharp(portraitPixels(W, H), { raw: { width: W, height: H, channels: 1 } })
  .png()
  .toFile(imagePath);

const grid = await loadImageGrid(imagePath, { columns: 48, gamma: 1.1, contrast: 1.2 });
const width = 200;
const styles = {
  "square-wave": renderSquareWave(machine, grid, { width, seed: 1 }),
  squiggle: renderSquiggle(machine, grid, { width, seed: 1 }),
  spiral: renderSpiral(machine, grid, { width, seed: 1, turnSpacing: 2.5 }),
  sine: renderSineLines(machine, grid, { width, seed: 1, lineSpacing: 3 }),
  stipple: renderStipples(machine, grid, {
    width,
    seed: 1,
    points: 3000,
    minDotRadius: 0.2,
    dotRadius: 0.7,
  }),
  "single-line": [] as { x: number; y: number }[][],
  "flow-field": renderFlowField(machine, grid, { width, seed: 1, minSpacing: 1, maxSpacing: 6 }),
};

// the single line, built from its parts to show what the tour search gained
const stipples = stipplePoints(machine, grid, { width, seed: 1, points: 5000 });
const tour = tspTour(stipples.points);
styles["single-line"] = [tour.order.map((i) => stipples.points[i] as { x: number; y: number })];
const tourLine = `single line through ${stipples.points.length} stipples: nearest-neighbour tour ${(tour.initialClosedMm / 1000).toFixed(2)} m → ${(tour.closedMm / 1000).toFixed(2)} m after ${tour.twoOptMoves} 2-opt and ${tour.orOptMoves} Or-opt moves`;

const rows: string[][] = [];
const estimates: Record<string, unknown> = {};
for (const [style, lines] of Object.entries(styles)) {
  const r = optimizePaths(lines, { machine });
  const before = planDrawing(machine, lines);
  const plan = planDrawing(machine, r.strokes);
  const svg = strokesToSvg(r.strokes, { width: machine.page.width, height: machine.page.height });
  writeFileSync(join(out, `${style}.svg`), svg);
  await sharp(Buffer.from(svg), { density: 150 })
    .flatten({ background: "#ffffff" })
    .png()
    .toFile(join(out, `${style}.png`));
  writeFileSync(join(out, `${style}.gcode`), `${toMarlin(plan).join("\n")}\n`);
  estimates[style] = {
    lines: r.after.lines,
    penDownMm: r.after.penDownMm,
    penUpMmBefore: r.before.penUpMm,
    penUpMmAfter: r.after.penUpMm,
    durationMsBefore: before.durationMs,
    durationMs: plan.durationMs,
  };
  rows.push([
    style,
    String(r.after.lines),
    `${(r.after.penDownMm / 1000).toFixed(2)} m`,
    `${(r.before.penUpMm / 1000).toFixed(2)} m`,
    `${(r.after.penUpMm / 1000).toFixed(2)} m`,
    `${(before.durationMs / 60000).toFixed(1)} → ${(plan.durationMs / 60000).toFixed(1)} min`,
  ]);
}
writeFileSync(join(out, "estimates.json"), `${JSON.stringify(estimates, null, 2)}\n`);

const head = ["style", "lines", "pen down", "pen up before", "pen up after", "estimated time"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] as number)).join("  ");
console.log(`portrait ${W} × ${H} px → ${grid.columns} × ${grid.rows} cells, ${width} mm wide`);
console.log(fmt(head));
for (const r of rows) console.log(fmt(r));
console.log(tourLine);
console.log(`wrote portrait.png, <style>.svg/.png/.gcode and estimates.json to ${out}`);
writeFileSync(
  join(out, "result.json"),
  JSON.stringify({
    showed: `a procedural portrait in ${rows.length} styles (${rows.map((r) => r[0]).join(", ")}), optimised, with SVG/PNG previews, G-code and time estimates`,
  }),
);
