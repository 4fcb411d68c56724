/**
 * Child of bench/native.bench.ts: the addon alone, without the scan loop. Hands every probe of
 * `10.78.0.0/16` × `port` to the sender thread in one call (unpaced), waits until every probe was
 * answered or 2 s passed, and prints one JSON line: probes, answers, and the sender thread's
 * own seconds and rate. This is the ceiling of the wire path the scan loop runs on.
 */
import { randomBytes } from "node:crypto";
import { loadNative } from "../src/index.js";

const port = Number(process.argv[2] ?? 80);
const { addon, reason } = loadNative();
if (!addon) throw new Error(`native addon: ${reason}`);
const total = 65_536;
const probes = Buffer.alloc(total * 8);
for (let i = 0; i < total; i++) {
  probes.writeUInt32BE((0x0a4e0000 + i) >>> 0, i * 8);
  probes.writeUInt16BE(port, i * 8 + 4);
}
const handle = addon.open(randomBytes(16), 40000, 41023, 32 * 1024 * 1024, 0);
const t0 = performance.now();
addon.send(handle, probes);
let answered = 0;
while (performance.now() - t0 < 2000) {
  await new Promise((r) => setTimeout(r, 5));
  const results = addon.poll(handle);
  if (results) answered += results.length / 12;
  if (answered >= total) break;
}
const stats = addon.close(handle);
console.log(
  JSON.stringify({
    probes: total,
    answered,
    sendSeconds: stats.sendSpanMs / 1000,
    rate: stats.sent / (stats.sendSpanMs / 1000),
  }),
);
