// Encoding a dithered 576×4000 picture to ESC/POS (GS v 0 raster bands of the 80mm profile, and
// GS ( L graphics, ESC * columns), against receipt-printer-encoder 4.0.1 encoding the same
// picture with its cheapest path (threshold) in the same run. Goal (issue #20): under 50 ms for
// raster on an idle machine; the verdict printed is the ratio, as the machine is shared.
import { loadavg } from "node:os";
import ReceiptPrinterEncoder from "@point-of-sale/receipt-printer-encoder";
import { composeComic, decodeEscPos, dither, encodeEscPos } from "../src/index.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const width = 576;
const height = 4000;
const page = await composeComic({ seed: 3, width, height, panels: 8, scale: 1 });
const mono = dither(page.bitmap);
const rgba = new Uint8ClampedArray(width * height * 4);
for (let i = 0; i < width * height; i++) {
  const black =
    (mono.data[Math.floor(i / width) * mono.bytesPerRow + ((i % width) >> 3)] as number) &
    (0x80 >> ((i % width) & 7));
  const v = black ? 0 : 255;
  rgba.set([v, v, v, 255], i * 4);
}
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const time = (fn: () => unknown) => {
  const start = performance.now();
  fn();
  return performance.now() - start;
};

console.log(`576×4000 dots, median of ${RUNS} runs (machine load ${loadavg()[0]?.toFixed(1)})`);
const peer: number[] = [];
for (let i = 0; i < RUNS; i++)
  peer.push(
    time(() =>
      new ReceiptPrinterEncoder({ language: "esc-pos", imageMode: "raster" })
        .image({ width, height, data: rgba } as never, width, height, "threshold", 128)
        .encode(),
    ),
  );
const p = median(peer);
console.log(`  peer receipt-printer-encoder (threshold + raster) ${p.toFixed(1)} ms`);
for (const imageMode of ["raster", "graphics", "column"] as const) {
  const ours: number[] = [];
  let bytes: Uint8Array = new Uint8Array();
  for (let i = 0; i < RUNS; i++)
    ours.push(time(() => (bytes = encodeEscPos(mono, { profile: "80mm", imageMode }))));
  const o = median(ours);
  console.log(
    `  encodeEscPos ${imageMode.padEnd(8)} ${o.toFixed(1).padStart(6)} ms  ${(bytes.length / 1024).toFixed(0)} KiB  ${(p / o).toFixed(1)}× the peer${imageMode === "raster" ? (o < 50 ? "  (goal < 50 ms: met)" : "  (goal < 50 ms: not met in this run)") : ""}`,
  );
}
const d = median(
  Array.from({ length: 3 }, () =>
    time(() => decodeEscPos(encodeEscPos(mono, { profile: "80mm" }), { width })),
  ),
);
console.log(`  decodeEscPos (virtual printer) of the raster stream ${d.toFixed(1)} ms`);
