// Sending a 576×4000 job (about 282 KiB of GS v 0 bands) over loopback TCP, unpaced, three ways
// in the same run: a bare net.Socket writing the bytes and closing (the floor), sendToPrinter
// with plain bytes and no status check, and sendToPrinter with the status check and a DLE EOT 1
// confirmation after each of the 32 bands (what makes resuming possible). The receiver is a
// minimal sink that answers DLE EOT with 0x12 (the virtual printer would add its decoding and
// PNG rendering to every time). Each time ends when the receiver saw the connection close. The
// ratios show what the confirmations cost; the machine is shared, so only ratios mean anything.
import { connect, createServer } from "node:net";
import { loadavg } from "node:os";
import {
  dither,
  encodeEscPosJob,
  escPosJobBytes,
  type GreyBitmap,
  sendToPrinter,
} from "../src/index.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const width = 576;
const height = 4000;
let x = 7;
const grey: GreyBitmap = {
  width,
  height,
  data: new Uint8Array(width * height).map(() => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x >>> 24;
  }),
};
const job = encodeEscPosJob(dither(grey, { method: "threshold" }), { profile: "80mm" });
const bytes = escPosJobBytes(job);
let closed = 0;
const sink = createServer((socket) => {
  let state = 0;
  socket.on("data", (data: Buffer) => {
    let answers = 0;
    for (const b of data) {
      if (state === 2 && b >= 1 && b <= 4) {
        answers++;
        state = 0;
      } else if (state === 1 && b === 0x04) state = 2;
      else state = b === 0x10 ? 1 : 0;
    }
    if (answers) socket.write(Buffer.alloc(answers, 0x12));
  });
  socket.on("close", () => closed++);
});
await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
const port = (sink.address() as { port: number }).port;
const printer = { port, url: `tcp://127.0.0.1:${port}` };
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
async function timed(send: () => Promise<unknown>): Promise<number> {
  const before = closed;
  const start = performance.now();
  await send();
  while (closed === before) await new Promise((r) => setTimeout(r, 1));
  return performance.now() - start;
}
const bare = () =>
  new Promise<void>((resolve, reject) => {
    const socket = connect(printer.port, "127.0.0.1", () => socket.end(Buffer.from(bytes)));
    socket.resume(); // read the printer's answers, or the close never comes
    socket.on("close", () => resolve());
    socket.on("error", reject);
  });

console.log(
  `576×4000 job, ${(bytes.length / 1024).toFixed(0)} KiB in ${job.blocks.length} bands, loopback, median of ${RUNS} runs (machine load ${loadavg()[0]?.toFixed(1)})`,
);
const results = { bare: [] as number[], plain: [] as number[], acknowledged: [] as number[] };
for (let i = 0; i < RUNS; i++) {
  results.bare.push(await timed(bare));
  results.plain.push(
    await timed(() =>
      sendToPrinter(bytes, { printer: printer.url, pacing: false, checkStatus: false }),
    ),
  );
  results.acknowledged.push(
    await timed(() => sendToPrinter(job, { printer: printer.url, pacing: false })),
  );
}
const b = median(results.bare);
console.log(`  peer: bare net.Socket write + close         ${b.toFixed(1).padStart(7)} ms`);
for (const [name, values] of [
  ["sendToPrinter, plain bytes, no status", results.plain],
  ["sendToPrinter, status + 32 confirmations", results.acknowledged],
] as const) {
  const m = median(values);
  console.log(
    `  ${name.padEnd(42)} ${m.toFixed(1).padStart(7)} ms  ${(m / b).toFixed(2)}× the peer`,
  );
}
await new Promise((r) => sink.close(r));
