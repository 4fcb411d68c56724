import { type Emulator, type EmulatorOptions, startEmulator } from "../src/emulator/index.js";
import { readRawZip } from "./raw-zip.js";

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

/** Reads every file of a zip buffer with the hand-written reader (not the package's yauzl/yazl). */
export async function unzipToMap(buffer: Buffer): Promise<Record<string, string>> {
  return Object.fromEntries(
    Object.entries(readRawZip(buffer)).map(([name, data]) => [name, data.toString("utf8")]),
  );
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
