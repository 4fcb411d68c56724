// Runs a pipeline against any Livy: independent jobs in parallel, per-job retries and time
// limits, running batches killed on cancel, resumable from a previous report.
import { randomBytes } from "node:crypto";
import { LivyClient, type LivyClientOptions } from "../client.js";
import type { Batch, CreateBatchRequest } from "../core/types.js";
import { isLivyError, LivyError } from "../errors.js";
import { type Pipeline, type PipelineJobSpec, renderBatch, resolveInput } from "./define.js";

/** How a job ended in a run. */
export type PipelineJobState = "succeeded" | "failed" | "cancelled" | "skipped";

/** One job of a {@link PipelineReport}. */
export interface PipelineJobReport {
  state: PipelineJobState;
  /** Attempts made in this run (0 when skipped or taken from `resumeFrom`). */
  attempts: number;
  /** The batch of the last attempt. */
  batchId?: number;
  /** Livy's last state of that batch (`success`, `dead`, `killed`, …). */
  batchState?: string;
  /** Wall time from the first submission to the end of the last attempt. */
  durationMs: number;
  /** The last log lines of the last attempt. */
  logTail: string[];
  /** Why the job failed, was cancelled or skipped. */
  reason?: string;
  /** True when the job succeeded in the run given as `resumeFrom` and was not run again. */
  resumed?: boolean;
}

/** What {@link runPipeline} returns. */
export interface PipelineReport {
  pipeline: string;
  /** Names every batch of this run (`<pipeline>-<job>-<execution>-<attempt>`). */
  execution: string;
  status: "succeeded" | "failed" | "cancelled";
  /** Epoch milliseconds. */
  startedAt: number;
  durationMs: number;
  /** Every job, in the pipeline's topological order. */
  jobs: Record<string, PipelineJobReport>;
}

/** A step of a run, for progress display. */
export type PipelineProgressEvent =
  | { type: "job-submitted"; job: string; attempt: number; batchId: number }
  | { type: "job-state"; job: string; attempt: number; batchId: number; state: string }
  | { type: "job-log"; job: string; attempt: number; lines: string[] }
  | { type: "job-retry"; job: string; attempt: number; reason: string }
  | { type: "job-finished"; job: string; report: PipelineJobReport }
  | { type: "pipeline-finished"; report: PipelineReport };

/** Options of {@link runPipeline}. */
export interface RunPipelineOptions {
  /** The Livy to run on: a client, or client options. @defaultValue `http://localhost:8998` (`livy serve`) */
  livy?: LivyClient | LivyClientOptions;
  /** The execution input the jobs reference (`{{name}}`). @defaultValue the pipeline's defaults */
  input?: Readonly<Record<string, unknown>>;
  /** Cancels the run: running batches are killed, the report says `cancelled`. @defaultValue none */
  signal?: AbortSignal;
  /** Called for every submission, state change, log chunk, retry and finished job. @defaultValue none */
  onProgress?: (event: PipelineProgressEvent) => void;
  /**
   * A previous report of the same pipeline: jobs that succeeded in it are not run again, the
   * others run (with fresh attempts). @defaultValue none
   */
  resumeFrom?: PipelineReport;
  /** Jobs that may run at once. @defaultValue Infinity */
  maxParallel?: number;
  /** Names this run's batches; give a stable one to make a retried run reattach. @defaultValue random */
  execution?: string;
  /** Delay between status checks. @defaultValue the pipeline's `pollSeconds` × 1000 */
  pollIntervalMs?: number;
  /** Log lines kept per job in the report. @defaultValue 20 */
  logTailLines?: number;
}

/**
 * Runs a pipeline on Livy. Jobs start as soon as their dependencies succeeded (all independent
 * jobs at once, up to `maxParallel`); a job whose batch ends `dead`, `error` or `killed`, or passes
 * `timeoutSeconds` (the batch is then killed), is retried up to `retries` times. When a job fails
 * for good, no new job starts, running jobs finish, and the rest are `skipped`. Job failures are
 * in the report, not thrown; invalid input throws `INVALID_ARGUMENT` before anything runs.
 */
export async function runPipeline(
  pipeline: Pipeline,
  options: RunPipelineOptions = {},
): Promise<PipelineReport> {
  const input = resolveInput(pipeline, options.input);
  const maxParallel = options.maxParallel ?? Number.POSITIVE_INFINITY;
  if (!(maxParallel >= 1)) {
    throw new LivyError("INVALID_ARGUMENT", `Invalid maxParallel: ${maxParallel}`, {
      field: "maxParallel",
    });
  }
  const execution = options.execution ?? randomBytes(4).toString("hex");
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(execution)) {
    throw new LivyError("INVALID_ARGUMENT", `Invalid execution: ${JSON.stringify(execution)}`, {
      field: "execution",
    });
  }
  if (options.resumeFrom && options.resumeFrom.pipeline !== pipeline.name) {
    throw new LivyError(
      "INVALID_ARGUMENT",
      `Invalid resumeFrom: it reports pipeline ${options.resumeFrom.pipeline}, not ${pipeline.name}`,
      { field: "resumeFrom" },
    );
  }
  const livy =
    options.livy instanceof LivyClient
      ? options.livy
      : new LivyClient(options.livy ?? { url: "http://localhost:8998" });
  const pollIntervalMs = options.pollIntervalMs ?? pipeline.pollSeconds * 1000;
  const keep = options.logTailLines ?? 20;
  const emit = (event: PipelineProgressEvent) => options.onProgress?.(event);
  const startedAt = Date.now();
  const reports = new Map<string, PipelineJobReport>();
  const cancel = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, cancel.signal]) : cancel.signal;
  let failed = false;

  for (const job of pipeline.jobs) {
    if (options.resumeFrom?.jobs[job.name]?.state === "succeeded") {
      const previous = options.resumeFrom.jobs[job.name]!;
      reports.set(job.name, { ...previous, attempts: 0, resumed: true });
    }
  }

  const runJob = async (job: PipelineJobSpec): Promise<PipelineJobReport> => {
    const started = Date.now();
    const request = renderBatch(job.batch, input) as CreateBatchRequest;
    let report: PipelineJobReport = { state: "failed", attempts: 0, durationMs: 0, logTail: [] };
    for (let attempt = 1; attempt <= job.retries + 1; attempt++) {
      const tail: string[] = [];
      let batch: Batch | undefined;
      try {
        batch = await livy.submitBatch(
          { ...request, name: `${pipeline.name}-${job.name}-${execution}-${attempt}` },
          { reattach: true, signal },
        );
        emit({ type: "job-submitted", job: job.name, attempt, batchId: batch.id });
        const id = batch.id;
        const done = await livy.waitForBatch(id, {
          pollIntervalMs,
          backoff: 1,
          signal,
          ...(job.timeoutSeconds
            ? { timeoutMs: job.timeoutSeconds * 1000, killOnTimeout: true }
            : {}),
          onState: (state) =>
            emit({ type: "job-state", job: job.name, attempt, batchId: id, state }),
          onLog: (lines) => {
            tail.push(...lines);
            if (tail.length > keep) tail.splice(0, tail.length - keep);
            emit({ type: "job-log", job: job.name, attempt, lines });
          },
        });
        return {
          state: "succeeded",
          attempts: attempt,
          batchId: id,
          batchState: done.state,
          durationMs: Date.now() - started,
          logTail: [...tail],
        };
      } catch (error) {
        if (signal.aborted) {
          if (batch) await livy.deleteBatch(batch.id).catch(() => undefined);
          return {
            state: "cancelled",
            attempts: attempt,
            ...(batch ? { batchId: batch.id, batchState: "killed" } : {}),
            durationMs: Date.now() - started,
            logTail: [...tail],
            reason: "the run was cancelled; the batch was killed",
          };
        }
        const retryable = isLivyError(error, "BATCH_FAILED", "TIMEOUT");
        const reason = (error as Error).message;
        report = {
          state: "failed",
          attempts: attempt,
          ...(batch ? { batchId: batch.id } : {}),
          ...(isLivyError(error) && error.batch ? { batchState: error.batch.state } : {}),
          durationMs: Date.now() - started,
          logTail: isLivyError(error) && error.logTail ? error.logTail.slice(-keep) : [...tail],
          reason,
        };
        if (!retryable || attempt > job.retries) return report;
        emit({ type: "job-retry", job: job.name, attempt: attempt + 1, reason });
      }
    }
    return report;
  };

  // The scheduler: start every job whose dependencies succeeded, as slots allow.
  const running = new Map<string, Promise<void>>();
  const pending = pipeline.jobs.filter((job) => !reports.has(job.name));
  for (;;) {
    if (!failed && !signal.aborted) {
      for (const job of [...pending]) {
        if (running.size >= maxParallel) break;
        if (!job.dependsOn.every((d) => reports.get(d)?.state === "succeeded")) continue;
        pending.splice(pending.indexOf(job), 1);
        running.set(
          job.name,
          runJob(job).then((report) => {
            reports.set(job.name, report);
            running.delete(job.name);
            if (report.state === "failed") failed = true;
            emit({ type: "job-finished", job: job.name, report });
          }),
        );
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  const cancelled = options.signal?.aborted ?? false;
  for (const job of pending) {
    const blocker = job.dependsOn.find((d) => reports.get(d)?.state !== "succeeded");
    const report: PipelineJobReport = {
      state: "skipped",
      attempts: 0,
      durationMs: 0,
      logTail: [],
      reason: cancelled
        ? "the run was cancelled before it started"
        : blocker
          ? `dependency ${blocker} did not succeed`
          : "another job failed first",
    };
    reports.set(job.name, report);
  }
  const jobs: Record<string, PipelineJobReport> = {};
  for (const job of pipeline.jobs) jobs[job.name] = reports.get(job.name)!;
  const states = Object.values(jobs).map((j) => j.state);
  const report: PipelineReport = {
    pipeline: pipeline.name,
    execution,
    status: cancelled
      ? "cancelled"
      : states.every((s) => s === "succeeded")
        ? "succeeded"
        : "failed",
    startedAt,
    durationMs: Date.now() - startedAt,
    jobs,
  };
  emit({ type: "pipeline-finished", report });
  return report;
}
