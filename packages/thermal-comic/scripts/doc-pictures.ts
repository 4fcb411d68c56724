// Draws the pictures of docs/thermal-comic.md and the example's sketched grid template.
// Run: npx tsx packages/thermal-comic/scripts/doc-pictures.ts   (from the repository root)
// Everything is seeded: running it again writes the same bytes.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import { handDrawnLine } from "../src/core/look.js";
import { createRandom } from "../src/core/random.js";
import {
  composeComic,
  encodeGreyPng,
  examplePoolDir,
  loadPool,
  loadTemplate,
  type Polygon,
  randomLayout,
} from "../src/index.js";

const here = import.meta.dirname;
const images = join(here, "..", "docs", "images");
const example = join(here, "..", "..", "..", "examples", "comic-compose");
mkdirSync(images, { recursive: true });

function trace(
  ctx: { moveTo(x: number, y: number): void; lineTo(x: number, y: number): void },
  polygon: Polygon,
): void {
  polygon.forEach(([x, y], i) => {
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
}

// 1. A grid "drawn by hand" with a felt pen on off-white paper, as an artist would scan it.
function sketchGrid(): Buffer {
  const width = 800;
  const height = 1200;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#f3efe4";
  ctx.fillRect(0, 0, width, height);
  const paper = createRandom("paper");
  for (let i = 0; i < 2500; i++) {
    ctx.fillStyle = `rgba(120, 110, 90, ${paper.range(0.03, 0.12)})`;
    ctx.fillRect(paper.range(0, width), paper.range(0, height), 1.5, 1.5);
  }
  const pen = createRandom("pen");
  const style = { width: 6, wobble: 4, widthVariation: 0.5, overshoot: 10 };
  const lines: Array<[[number, number], [number, number]]> = [
    // Outer frames of five panels: a wide opener, two with a slanted cut, a tall one and two stacked.
    [
      [40, 40],
      [760, 40],
    ],
    [
      [760, 40],
      [760, 380],
    ],
    [
      [760, 380],
      [40, 380],
    ],
    [
      [40, 380],
      [40, 40],
    ],
    [
      [40, 420],
      [460, 420],
    ],
    [
      [460, 420],
      [380, 760],
    ],
    [
      [380, 760],
      [40, 760],
    ],
    [
      [40, 760],
      [40, 420],
    ],
    [
      [500, 420],
      [760, 420],
    ],
    [
      [760, 420],
      [760, 760],
    ],
    [
      [760, 760],
      [420, 760],
    ],
    [
      [420, 760],
      [500, 420],
    ],
    [
      [40, 800],
      [380, 800],
    ],
    [
      [380, 800],
      [380, 1160],
    ],
    [
      [380, 1160],
      [40, 1160],
    ],
    [
      [40, 1160],
      [40, 800],
    ],
    [
      [420, 800],
      [760, 800],
    ],
    [
      [760, 800],
      [760, 1160],
    ],
    [
      [760, 1160],
      [420, 1160],
    ],
    [
      [420, 1160],
      [420, 800],
    ],
  ];
  ctx.fillStyle = "#1d1b19";
  for (const [a, b] of lines) {
    const outline = handDrawnLine(a, b, style, pen);
    ctx.beginPath();
    trace(ctx, outline);
    ctx.closePath();
    ctx.fill();
  }
  // The artist's note in the margin: small enough to be ignored as a panel.
  ctx.font = "22px sans-serif";
  ctx.fillText("p.1", 700, 1190);
  const pixels = ctx.getImageData(0, 0, width, height).data;
  const grey = new Uint8Array(width * height);
  for (let i = 0; i < grey.length; i++) grey[i] = pixels[i * 4 + 1] as number;
  return encodeGreyPng({ width, height, data: grey });
}

const grid = sketchGrid();
writeFileSync(join(example, "grid.png"), grid);

// 2. Random layouts: four seeds, panels outlined on white, as small thumbnails side by side.
{
  const thumbs = [1, 2, 3, 4].map((seed) => randomLayout({ seed, width: 384, height: 900 }));
  const canvas = createCanvas(4 * 384 + 3 * 24, 900);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  thumbs.forEach((layout, i) => {
    ctx.save();
    ctx.translate(i * (384 + 24), 0);
    ctx.fillStyle = "#eee";
    ctx.fillRect(0, 0, 384, 900);
    for (const panel of layout.panels) {
      ctx.beginPath();
      trace(ctx, panel.polygon);
      ctx.closePath();
      ctx.fillStyle = "#fff";
      ctx.fill();
      ctx.lineWidth = 3;
      ctx.strokeStyle = "#000";
      ctx.stroke();
      ctx.fillStyle = "#000";
      ctx.font = "28px sans-serif";
      ctx.fillText(String(panel.id), panel.bbox.x + 12, panel.bbox.y + 36);
    }
    ctx.restore();
  });
  const half = createCanvas(canvas.width / 2, canvas.height / 2);
  half.getContext("2d").drawImage(canvas, 0, 0, half.width, half.height);
  writeFileSync(join(images, "layouts.png"), await half.encode("png"));
}

// 3. A composed comic (the example's seed and script), at printer resolution.
const pool = await loadPool(examplePoolDir());
const script = [
  { caption: "Meanwhile, in the lab…" },
  { balloons: ["Beep boop! Coffee time?"] },
  { balloons: [{ text: "Hmm.", tail: "none" as const }] },
];
const comic = await composeComic({ seed: 2026, width: 384, height: 1100, pool, script, scale: 1 });
writeFileSync(join(images, "comic-384.png"), encodeGreyPng(comic.bitmap));

// 4. The sketched grid with the panels found in it, and a comic composed on it.
const template = await loadTemplate(join(example, "grid.png"));
{
  const canvas = createCanvas(template.width, template.height);
  const ctx = canvas.getContext("2d");
  const { loadImage } = await import("@napi-rs/canvas");
  ctx.drawImage(await loadImage(grid), 0, 0);
  ctx.lineWidth = 5;
  ctx.setLineDash([14, 10]);
  ctx.strokeStyle = "#777";
  template.panels.forEach((polygon: Polygon, i) => {
    ctx.beginPath();
    trace(ctx, polygon);
    ctx.closePath();
    ctx.stroke();
    ctx.fillStyle = "#555";
    ctx.font = "40px sans-serif";
    const xs = polygon.map((p) => p[0]);
    const ys = polygon.map((p) => p[1]);
    ctx.fillText(`#${i}`, Math.min(...xs) + 24, Math.min(...ys) + 56);
  });
  const small = createCanvas(400, 600);
  small.getContext("2d").drawImage(canvas, 0, 0, 400, 600);
  writeFileSync(join(images, "template-detected.png"), await small.encode("png"));
}
const onTemplate = await composeComic({ seed: 7, width: 384, layout: template, pool, scale: 1 });
writeFileSync(join(images, "template-comic-384.png"), encodeGreyPng(onTemplate.bitmap));
console.log("wrote", images, "and", join(example, "grid.png"));

// 5. Dithering: the same crop of the comic with four methods, side by side, at printer dots.
{
  const { dither, isBlack } = await import("../src/index.js");
  const crop = { x: 0, y: 220, width: 190, height: 240 };
  const grey = new Uint8Array(crop.width * crop.height);
  for (let y = 0; y < crop.height; y++)
    for (let x = 0; x < crop.width; x++)
      grey[y * crop.width + x] = comic.bitmap.data[
        (crop.y + y) * comic.bitmap.width + crop.x + x
      ] as number;
  const methods = ["threshold", "bayer4", "floyd-steinberg", "atkinson"] as const;
  const gap = 8;
  const sheet = new Uint8Array((methods.length * (crop.width + gap) - gap) * crop.height).fill(255);
  const sheetWidth = methods.length * (crop.width + gap) - gap;
  methods.forEach((method, i) => {
    const mono = dither({ width: crop.width, height: crop.height, data: grey }, { method });
    for (let y = 0; y < crop.height; y++)
      for (let x = 0; x < crop.width; x++)
        sheet[y * sheetWidth + i * (crop.width + gap) + x] = isBlack(mono, x, y) ? 0 : 255;
  });
  writeFileSync(
    join(images, "dither.png"),
    encodeGreyPng({ width: sheetWidth, height: crop.height, data: sheet }),
  );
}

// 6. The virtual printer: the comic dithered, encoded for a 58 mm printer with a caption, decoded
// again and rendered as the paper would come out (top part).
{
  const { decodeEscPos, dither, encodeEscPos, renderPaper } = await import("../src/index.js");
  const bytes = encodeEscPos(dither(comic.bitmap, { method: "atkinson" }), {
    profile: "58mm",
    caption: "tinkerbox comic #2026",
    feedLines: 2,
  });
  const paper = decodeEscPos(bytes, { width: 384 });
  const { loadImage } = await import("@napi-rs/canvas");
  const full = await loadImage(renderPaper(paper));
  const shown = createCanvas(384, 420);
  const ctx = shown.getContext("2d");
  ctx.drawImage(full, 0, full.height - 420, 384, 420, 0, 0, 384, 420);
  writeFileSync(join(images, "virtual-printer.png"), await shown.encode("png"));
}
