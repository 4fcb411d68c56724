// Composing a 576×2000-dot comic with 6 panels (hi-res PNG at 2×, printer bitmap, layout JSON),
// against a peer measured in the same run: the bare @napi-rs/canvas path for the same page —
// the same six pictures drawn into six rectangles of a 1152×4000 canvas and encoded with Skia's
// PNG encoder, with no layout, fitting, clipping, borders, text or bitmap.
// Goal (issue #19): under 300 ms on an idle machine. Because the machine is shared, the verdict
// is the ratio: composeComic must take no longer than the bare peer path (exit 1 otherwise).
import { createCanvas } from "@napi-rs/canvas";
import { type ComposePhase, composeComic, examplePoolDir, loadPool } from "../src/index.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const pool = await loadPool(examplePoolDir());
const script = [
  { caption: "Meanwhile, in the lab…" },
  { balloons: ["Beep boop! Is it coffee time yet?"] },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function ours(seed: number, options: { scale?: number; color?: boolean } = {}) {
  const phases: Partial<Record<ComposePhase, number>> = {};
  let last = performance.now();
  let current: ComposePhase | null = null;
  const start = last;
  const result = await composeComic({
    seed,
    width: 576,
    height: 2000,
    panels: 6,
    pool,
    script,
    ...options,
    onProgress: (event) => {
      const now = performance.now();
      if (current) phases[current] = now - last;
      current = event.phase;
      last = now;
    },
  });
  const end = performance.now();
  // TypeScript cannot see the callback assign `current`: read it through a widened alias.
  const lastPhase = current as ComposePhase | null;
  if (lastPhase) phases[lastPhase] = end - last;
  if (result.layout.panels.length !== 6) throw new Error("expected 6 panels");
  return { ms: end - start, phases };
}

async function peer(seed: number) {
  const start = performance.now();
  const canvas = createCanvas(1152, 4000);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, 1152, 4000);
  const images = pool.images.slice(seed % 4, (seed % 4) + 6);
  images.forEach((image, i) => {
    const x = (i % 2) * 576;
    const y = Math.floor(i / 2) * 1333;
    ctx.drawImage(image.image, x + 12, y + 12, 552, 1309);
  });
  await canvas.encode("png");
  return performance.now() - start;
}

// Warm up both paths (font registration, SVG parsing caches, JIT).
await ours(0);
await peer(0);

const oursMs: number[] = [];
const peerMs: number[] = [];
const phaseMs: Record<string, number[]> = {};
for (let i = 1; i <= RUNS; i++) {
  // Interleave, so load from other work on the machine hits both alike.
  const o = await ours(i);
  oursMs.push(o.ms);
  for (const [phase, ms] of Object.entries(o.phases)) {
    const list = phaseMs[phase] ?? [];
    list.push(ms);
    phaseMs[phase] = list;
  }
  peerMs.push(await peer(i));
}
const scale1: number[] = [];
const colour: number[] = [];
for (let i = 1; i <= Math.max(3, Math.floor(RUNS / 3)); i++) {
  scale1.push((await ours(i, { scale: 1 })).ms);
  colour.push((await ours(i, { color: true })).ms);
}

const o = median(oursMs);
const p = median(peerMs);
console.log(
  `576×2000 dots, 6 panels, caption + balloon, median of ${RUNS} runs (machine load: ${(await import("node:os")).loadavg()[0]?.toFixed(1)})`,
);
console.log(`  composeComic (PNG 1152×4000 grey + bitmap + layout) ${o.toFixed(0)} ms`);
console.log(
  `    ${Object.entries(phaseMs)
    .map(([phase, ms]) => `${phase} ${median(ms).toFixed(0)}`)
    .join(", ")} ms`,
);
console.log(`  peer: bare canvas, 6 drawImage + Skia PNG encode    ${p.toFixed(0)} ms`);
console.log(`  ratio composeComic / peer                           ${(o / p).toFixed(2)}×`);
console.log(
  `  composeComic at scale 1 (576×2000 PNG)              ${median(scale1).toFixed(0)} ms`,
);
console.log(
  `  composeComic with color: true (Skia RGBA PNG)       ${median(colour).toFixed(0)} ms`,
);
console.log(
  `  goal < 300 ms: ${o < 300 ? "met" : "not met in this run"} (absolute figures depend on machine load)`,
);
if (o > p) {
  console.error("composeComic is slower than the bare canvas path: goal missed");
  process.exit(1);
}
