// Watching 500 running batches on the dev server: requests per poll interval with watchBatches
// (one list call for all) vs per-batch polling (one waitForBatch per batch), same interval.
import { setMaxListeners } from "node:events";
import { createLivyDevServer } from "../src/dev-server/index.js";
import { LivyClient, LivyError } from "../src/index.js";

const BATCHES = 500;
const INTERVAL_MS = 2000;
const POLLS = 3;

let requests = 0;
const server = await createLivyDevServer({
  maxSessions: BATCHES + 10,
  onRequest: () => {
    requests++;
  },
}).start({ port: 0 });
const client = new LivyClient({ url: server.url });

console.log(`starting ${BATCHES} batches (each a /bin/sleep process) …`);
const ids: number[] = [];
for (let i = 0; i < BATCHES; i++)
  ids.push((await client.submitBatch({ file: "/bin/sleep", args: ["300"] })).id);
while ((await client.listAllBatches()).some((b) => b.state !== "running")) {
  await new Promise((resolve) => setTimeout(resolve, 100));
}

async function measure(label: string, watch: (signal: AbortSignal) => Promise<unknown>) {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // one signal shared by 500 waits
  requests = 0;
  const started = performance.now();
  const watching = watch(controller.signal).catch((error: unknown) => {
    if (!(error instanceof LivyError && error.code === "ABORTED")) throw error;
  });
  await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * POLLS - INTERVAL_MS / 2));
  controller.abort();
  await watching;
  const seconds = (performance.now() - started) / 1000;
  const perInterval = requests / POLLS;
  console.log(
    `${label.padEnd(26)} ${String(requests).padStart(6)} requests in ${seconds.toFixed(1)} s → ${perInterval.toFixed(1)} per ${INTERVAL_MS} ms interval`,
  );
  return perInterval;
}

const watched = await measure("watchBatches", (signal) =>
  client.watchBatches(ids, { pollIntervalMs: INTERVAL_MS, signal }),
);
const polled = await measure("per-batch waitForBatch", (signal) =>
  Promise.all(
    ids.map((id) => client.waitForBatch(id, { pollIntervalMs: INTERVAL_MS, backoff: 1, signal })),
  ),
);
console.log(
  `requests per interval: watchBatches ${watched.toFixed(1)} vs per-batch ${polled.toFixed(1)} → ${(polled / watched).toFixed(0)}× fewer`,
);
if (polled < BATCHES * 0.95) {
  console.log(
    `(per-batch polling wants ${BATCHES} requests per interval; the loopback server and client saturated at ${polled.toFixed(0)}, so its batches are polled late)`,
  );
}
await server.close();
if (watched > 1) process.exitCode = 1;
