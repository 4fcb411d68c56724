// Dithering a 576×4000 greyscale page (two composed comics stacked) to 1 bit, against the image
// path of @point-of-sale/receipt-printer-encoder 4.0.1 (the npm peer) on the same picture, both
// measured in this run. The peer's `image()` takes RGBA, converts to grey, dithers and packs
// raster bytes; ours dithers the greyscale bitmap `composeComic` already gives and packs the same
// 1-bit rows (the ESC/POS raster bit order). Goal (issue #20): at least 3× the peer's throughput
// with Floyd–Steinberg, Atkinson and Bayer. Exits 1 when a goal is missed.
import { loadavg } from "node:os";
import ReceiptPrinterEncoder from "@point-of-sale/receipt-printer-encoder";
import { composeComic, type DitherMethod, dither } from "../src/index.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const width = 576;
const height = 4000;
const top = await composeComic({ seed: 1, width, height: 2000, panels: 6, scale: 1 });
const bottom = await composeComic({ seed: 2, width, height: 2000, panels: 6, scale: 1 });
const grey = new Uint8Array(width * height);
grey.set(top.bitmap.data, 0);
grey.set(bottom.bitmap.data, width * 2000);
const rgba = new Uint8ClampedArray(width * height * 4);
for (let i = 0; i < grey.length; i++) {
  const v = grey[i] as number;
  rgba[i * 4] = v;
  rgba[i * 4 + 1] = v;
  rgba[i * 4 + 2] = v;
  rgba[i * 4 + 3] = 255;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}
function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

const pairs: Array<[DitherMethod, "floydsteinberg" | "atkinson" | "bayer" | "threshold"]> = [
  ["floyd-steinberg", "floydsteinberg"],
  ["atkinson", "atkinson"],
  ["bayer4", "bayer"],
  ["threshold", "threshold"],
];
console.log(`576×4000 dots, median of ${RUNS} runs (machine load ${loadavg()[0]?.toFixed(1)})`);
let missed = 0;
for (const [ours, theirs] of pairs) {
  const oursMs: number[] = [];
  const peerMs: number[] = [];
  dither({ width, height, data: grey }, { method: ours });
  for (let i = 0; i < RUNS; i++) {
    oursMs.push(time(() => dither({ width, height, data: grey }, { method: ours })));
    peerMs.push(
      time(() => {
        new ReceiptPrinterEncoder({ language: "esc-pos", imageMode: "raster" })
          .image({ width, height, data: rgba } as never, width, height, theirs, 128)
          .encode();
      }),
    );
  }
  const o = median(oursMs);
  const p = median(peerMs);
  const ratio = p / o;
  const goal = ours === "threshold" ? 0 : 3;
  if (ratio < goal) missed++;
  console.log(
    `  ${ours.padEnd(16)} ours ${o.toFixed(1).padStart(7)} ms   peer ${p.toFixed(1).padStart(7)} ms   ${ratio.toFixed(1)}× faster${goal ? (ratio >= goal ? "  (goal ≥ 3×: met)" : "  (goal ≥ 3×: MISSED)") : ""}`,
  );
}
if (missed) process.exit(1);
