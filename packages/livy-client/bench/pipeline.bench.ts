// Local pipeline runner: wall time of 10 independent 1-second jobs run in parallel vs one such
// job alone, on the dev server, in the same run. Target: ratio < 2 (the runner overlaps the jobs
// instead of running them one after another, which would be ~10×).
import { join } from "node:path";
import { createLivyDevServer } from "../src/dev-server/index.js";
import { LivyClient } from "../src/index.js";
import { definePipeline, runPipeline } from "../src/pipeline/index.js";

const jobs = join(import.meta.dirname, "..", "test", "fixtures", "jobs");
const server = await createLivyDevServer({ cwd: jobs }).start({ port: 0 });
const livy = new LivyClient({ url: server.url });
// A shell job: ten Node processes starting at once would measure Node start-up on a busy
// machine, not the runner.
const oneSecond = { batch: { file: "one-second.sh" } };

const single = definePipeline({ name: "single", jobs: { only: oneSecond } });
const wide = definePipeline({
  name: "wide",
  jobs: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`job${i}`, oneSecond])),
});

async function wall(pipeline: typeof single): Promise<number> {
  const started = performance.now();
  const report = await runPipeline(pipeline, { livy, pollIntervalMs: 200 });
  if (report.status !== "succeeded") throw new Error(`${pipeline.name} ${report.status}`);
  return performance.now() - started;
}

// Best of three alternating rounds each: the least-disturbed run on a shared machine.
let bestSingle = Number.POSITIVE_INFINITY;
let bestWide = Number.POSITIVE_INFINITY;
for (let round = 0; round < 3; round++) {
  bestSingle = Math.min(bestSingle, await wall(single));
  bestWide = Math.min(bestWide, await wall(wide));
}
await server.close();

const ratio = bestWide / bestSingle;
console.log(`one 1-second job            ${bestSingle.toFixed(0)} ms`);
console.log(`ten independent 1-second jobs ${bestWide.toFixed(0)} ms`);
console.log(
  `parallel runner: ${ratio.toFixed(2)}× a single job (target < 2) ${ratio < 2 ? "PASS" : "FAIL"}`,
);
if (ratio >= 2) process.exitCode = 1;
