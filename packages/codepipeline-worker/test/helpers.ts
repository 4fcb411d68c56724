import yauzl from "yauzl";
import { type Emulator, type EmulatorOptions, startEmulator } from "../src/emulator/index.js";

/** Starts an emulator and a CodePipeline client for it; `close()` stops both. */
export async function setup(options: EmulatorOptions = {}) {
  const emulator = await startEmulator({ seed: 7, ...options });
  const client = emulator.createClient({ maxAttempts: 2 });
  return {
    emulator,
    client,
    async close() {
      client.destroy();
      await emulator.close();
    },
  };
}

export type Setup = Awaited<ReturnType<typeof setup>> & { emulator: Emulator };

/** Reads every file of a zip buffer (independent of the package's own unzip code). */
export function unzipToMap(buffer: Buffer): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const out: Record<string, string> = {};
      zip.on("entry", (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith("/")) return zip.readEntry();
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("end", () => {
            out[entry.fileName] = Buffer.concat(chunks).toString("utf8");
            zip.readEntry();
          });
        });
      });
      zip.on("end", () => resolve(out));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}

/** Resolves when `predicate` holds, polling every 20 ms; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

import type { ActionDefinition } from "../src/core/action.js";
import type { EnqueueJobInput } from "../src/emulator/index.js";
import { createWorker, type JobOutcome, type WorkerOptions } from "../src/index.js";

/** Queues one job, runs a worker until the action execution ends, stops the worker. */
export async function runOne<C>(
  s: Setup,
  action: ActionDefinition<C>,
  job: Omit<EnqueueJobInput, "actionTypeId">,
  options: Partial<WorkerOptions> = {},
) {
  const { jobId, actionExecutionId } = await s.emulator.enqueueJob({
    actionTypeId: action.actionTypeId,
    ...job,
  });
  const outcomes: JobOutcome[] = [];
  const worker = createWorker(action, {
    client: s.client,
    s3: s.emulator.workerS3Config,
    pollIntervalMs: 20,
    maxPollIntervalMs: 200,
    onJob: (e) => {
      if (e.phase === "done") {
        const { phase: _p, ...outcome } = e;
        outcomes.push(outcome as JobOutcome);
      }
    },
    ...options,
  });
  const run = worker.run();
  try {
    const execution = await s.emulator.waitForExecution(actionExecutionId, { timeoutMs: 30_000 });
    return { execution, jobId, actionExecutionId, outcomes, worker };
  } finally {
    await worker.stop({ timeoutMs: 5000 });
    await run;
  }
}
