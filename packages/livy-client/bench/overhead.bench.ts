// Client overhead per request on loopback: LivyClient.getBatch vs a bare fetch + JSON parse to the
// same server, in the same run. Target: ratio ≤ 1.5.
//
// The machine is shared, so a single long run mostly measures the neighbours. Instead both
// contenders run in many short alternating rounds (A B, then B A, …) and each keeps its best
// round: the least-disturbed measurement of each, taken under the same conditions.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Bench } from "tinybench";
import { LivyClient } from "../src/index.js";

const body = JSON.stringify({
  id: 7,
  name: "nightly-etl",
  owner: null,
  proxyUser: null,
  state: "running",
  appId: "application_1700000000000_0007",
  appInfo: { driverLogUrl: null, sparkUiUrl: null },
  log: ["stdout: ", "24/01/01 00:00:00 INFO SparkContext: Running Spark version 3.5.0"],
});
const server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json" }).end(body);
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const client = new LivyClient({ url });

const A = "bare fetch + json()";
const B = "LivyClient.getBatch";
const tasks: Record<string, () => Promise<unknown>> = {
  [A]: async () => {
    const response = await fetch(`${url}/batches/7`, { headers: { accept: "application/json" } });
    await response.json();
  },
  [B]: () => client.getBatch(7),
};
const ROUNDS = 12;
const best: Record<string, { mean: number; p99: number; samples: number }> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const name of round % 2 === 0 ? [A, B] : [B, A]) {
    const bench = new Bench({ time: 250, warmup: true, warmupTime: 50 });
    bench.add(name, tasks[name]!);
    await bench.run();
    const result = bench.tasks[0]?.result;
    if (!result || !("latency" in result)) throw new Error(`no result for ${name}`);
    const { mean, p99, samples } = result.latency;
    if (mean < (best[name]?.mean ?? Number.POSITIVE_INFINITY)) {
      best[name] = { mean, p99: p99 ?? mean, samples: samples.length };
    }
  }
}
server.close();

console.table(
  Object.entries(best).map(([task, r]) => ({
    task,
    "best-round mean µs": (r.mean * 1000).toFixed(1),
    "p99 µs": (r.p99 * 1000).toFixed(1),
    samples: r.samples,
  })),
);
const ratio = best[B]!.mean / best[A]!.mean;
console.log(
  `client overhead: ${ratio.toFixed(2)}× bare fetch (target ≤ 1.5) ${ratio <= 1.5 ? "PASS" : "FAIL"}`,
);
if (ratio > 1.5) process.exitCode = 1;
