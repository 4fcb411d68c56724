// Draws the picture-style previews of docs/polargraph.md: one procedural portrait (the same face
// as examples/polargraph-portrait, made by the project, license-clean) in every style, 80 mm wide,
// rasterised by sharp to small greyscale PNGs in packages/polargraph/docs/images.
// Run: npx tsx packages/polargraph/scripts/doc-pictures.ts   (from the repository root)
// Everything is seeded: running it again draws the same lines.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import {
  exampleMachine,
  type GreyGrid,
  greyGridFromPixels,
  type Polyline,
  renderCrosshatch,
  renderFlowField,
  renderSineLines,
  renderSingleLine,
  renderSpiral,
  renderSquareWave,
  renderSquiggle,
  renderStipples,
  strokesToSvg,
} from "../src/index.js";

const images = join(import.meta.dirname, "..", "docs", "images");
mkdirSync(images, { recursive: true });

/** A face: a shaded oval head, hair, eyes, brows, nose shadow and mouth on a graded background. */
function portraitPixels(width: number, height: number): Uint8Array {
  const px = new Uint8Array(width * height);
  const smooth = (e0: number, e1: number, x: number) => {
    const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
    return t * t * (3 - 2 * t);
  };
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const u = x / width - 0.5;
      const v = y / height - 0.5;
      let b = 0.85 - 0.35 * (y / height) + 0.08 * Math.sin(u * 9);
      const head = (u / 0.27) ** 2 + ((v + 0.02) / 0.36) ** 2;
      if (head < 1) {
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
      } else if ((u / 0.31) ** 2 + ((v + 0.1) / 0.36) ** 2 < 1 && v < 0.05) b = 0.12;
      else if (v > 0.3 && Math.abs(u) < 0.35 - 0.2 * (0.5 - v)) b = 0.35;
      px[y * width + x] = Math.round(255 * Math.min(1, Math.max(0, b)));
    }
  return px;
}

const W = 240;
const H = 300;
const pixels = portraitPixels(W, H);
const grid: GreyGrid = greyGridFromPixels(pixels, W, H, { columns: 48, gamma: 1.1, contrast: 1.2 });
const width = 80;
const origin = { x: 20, y: 20 };
const place = { width, origin, seed: 1 };
const height = (width * grid.rows) / grid.columns;

const styles: Record<string, () => Polyline[]> = {
  "square-wave": () => renderSquareWave(exampleMachine, grid, { ...place, penWidth: 0.2 }),
  squiggle: () => renderSquiggle(exampleMachine, grid, place),
  spiral: () => renderSpiral(exampleMachine, grid, { ...place, turnSpacing: 1.6 }),
  sine: () => renderSineLines(exampleMachine, grid, { ...place, lineSpacing: 1.6 }),
  crosshatch: () => renderCrosshatch(exampleMachine, grid, { ...place, spacing: 1.2 }),
  stipple: () =>
    renderStipples(exampleMachine, grid, {
      ...place,
      points: 2500,
      dotRadius: 0.45,
      minDotRadius: 0.15,
    }),
  "single-line": () => renderSingleLine(exampleMachine, grid, { ...place, points: 4000 }),
  "flow-field": () =>
    renderFlowField(exampleMachine, grid, {
      ...place,
      field: "contours",
      minSpacing: 0.5,
      maxSpacing: 4,
    }),
  "flow-field-noise": () =>
    renderFlowField(exampleMachine, grid, { ...place, minSpacing: 0.5, maxSpacing: 4 }),
};

const pad = 2;
const toPng = async (svg: string, file: string) =>
  sharp(Buffer.from(svg), { density: 115 })
    .flatten({ background: "#ffffff" })
    .greyscale()
    .png({ compressionLevel: 9, palette: true, colours: 16 })
    .toFile(join(images, file));

// the source picture at the same size, for comparison
await sharp(Buffer.from(pixels), { raw: { width: W, height: H, channels: 1 } })
  .resize(Math.round(((width + 2 * pad) / 25.4) * 115))
  .png({ compressionLevel: 9, palette: true, colours: 32 })
  .toFile(join(images, "portrait-source.png"));

for (const [name, render] of Object.entries(styles)) {
  const t = performance.now();
  const lines = render().map((l) =>
    l.map((p) => ({ x: p.x - origin.x + pad, y: p.y - origin.y + pad })),
  );
  const svg = strokesToSvg(lines, { width: width + 2 * pad, height: height + 2 * pad }).replace(
    'stroke-width="0.3"',
    'stroke-width="0.2"',
  );
  await toPng(svg, `style-${name}.png`);
  console.log(
    `${name.padEnd(12)} ${String(lines.length).padStart(5)} lines  ${(performance.now() - t).toFixed(0)} ms`,
  );
}
console.log(`wrote ${images}`);
