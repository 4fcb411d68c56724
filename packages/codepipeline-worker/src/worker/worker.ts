import { tmpdir } from "node:os";
import {
  AcknowledgeJobCommand,
  type CodePipelineClient,
  type Job,
  type JobData,
  PollForJobsCommand,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from "@aws-sdk/client-codepipeline";
import type { ArtifactS3Config } from "../adapters/s3.js";
import type { ZipLimits } from "../adapters/zip.js";
import type { ActionDefinition } from "../core/action.js";
import { backoffDelay } from "../core/backoff.js";
import { secretValues } from "../core/config.js";
import type { Logger } from "../core/context.js";
import { redact, redactingLogger, silentLogger } from "../core/redact.js";
import { type FailureDetails, type SuccessResult, toFailureDetails } from "../core/results.js";
import { CodepipelineWorkerError } from "../errors.js";
import { type JobProgressEvent, type RunJobState, runJob } from "./run-job.js";

/** Options of {@link createWorker}. */
export interface WorkerOptions {
  /** The CodePipeline client (region and credentials of the worker's role). */
  client: CodePipelineClient;
  /** Jobs processed at the same time. @defaultValue 1 */
  concurrency?: number;
  /** First wait after an empty poll; doubles (with jitter) up to `maxPollIntervalMs` while idle. @defaultValue 1000 */
  pollIntervalMs?: number;
  /** Longest wait between polls when idle, throttled or failing. @defaultValue 30 000 */
  maxPollIntervalMs?: number;
  /** Most jobs asked for in one PollForJobs (never more than free slots). @defaultValue `concurrency` */
  maxBatchSize?: number;
  /** Only jobs whose queryable property has this value (PollForJobs `queryParam`); required when the action has a queryable property. @defaultValue none */
  queryParam?: Record<string, string>;
  /** Where the worker writes what it does; secret values are redacted in job messages. @defaultValue silent (no output) */
  logger?: Logger;
  /** Aborting it shuts the worker down gracefully, like {@link Worker.stop}. @defaultValue none */
  signal?: AbortSignal;
  /** A handler running longer is aborted and its job failed. @defaultValue 50 minutes */
  jobTimeoutMs?: number;
  /** On shutdown, how long running jobs may still finish before they are failed with `SystemUnavailable`. @defaultValue 30 000 */
  shutdownTimeoutMs?: number;
  /** Process signals that trigger a graceful shutdown, e.g. `["SIGTERM", "SIGINT"]`. @defaultValue none */
  shutdownSignals?: NodeJS.Signals[];
  /** Artifact credentials older than this are fetched again through GetJobDetails. @defaultValue 10 minutes */
  credentialsRefreshMs?: number;
  /** S3 client settings for artifacts (endpoint, region, …); the region defaults to the CodePipeline client's. @defaultValue AWS S3 in the client's region */
  s3?: ArtifactS3Config;
  /** Unzip limits for input artifacts (zip bombs). @defaultValue see {@link ZipLimits} */
  zipLimits?: ZipLimits;
  /** Parent of each job's private temp folder. @defaultValue `os.tmpdir()` */
  workRoot?: string;
  /** Called as jobs move through their life cycle. @defaultValue none */
  onJob?: (event: JobEvent) => void;
  /** Called on every `ctx.progress`. @defaultValue none */
  onProgress?: (event: JobProgressEvent) => void;
  /** Clock for artifact-credential ages, in epoch milliseconds. @defaultValue `Date.now` */
  now?: () => number;
  /** Jitter source for backoff. @defaultValue `Math.random` */
  random?: () => number;
}

/** How a job ended for this worker. */
export type JobOutcome =
  | { status: "succeeded"; jobId: string; result: SuccessResult }
  | { status: "continued"; jobId: string; result: SuccessResult }
  | { status: "failed"; jobId: string; failure: FailureDetails; error: unknown }
  | { status: "skipped"; jobId: string; reason: string }
  | { status: "unreported"; jobId: string; error: unknown };

/** A life-cycle event of one job. */
export type JobEvent = { phase: "acknowledged"; jobId: string } | ({ phase: "done" } & JobOutcome);

/** Counters of a worker's run. */
export interface WorkerStats {
  polls: number;
  pollErrors: number;
  succeeded: number;
  continued: number;
  failed: number;
  skipped: number;
  /** Jobs whose result CodePipeline refused both as success and as failure (logged as errors). */
  unreported: number;
  /** Jobs failed because CodePipeline refused their success report (counted in `failed` too). */
  successRefused: number;
}

/** A running (or runnable) job worker. */
export interface Worker {
  /**
   * Polls and processes jobs until stopped; resolves with the counters once every job has its
   * result. Rejects with `POLL_REFUSED` (after running jobs finished) when CodePipeline refuses
   * the poll in a way waiting cannot fix: unknown action type, invalid query, access denied.
   */
  run(): Promise<WorkerStats>;
  /** Stops polling, lets running jobs finish within `timeoutMs`, fails the rest with `SystemUnavailable`. */
  stop(options?: { timeoutMs?: number }): Promise<WorkerStats>;
  /** Acknowledges and processes one job obtained elsewhere (e.g. your own PollForJobs). */
  processJob(job: Job): Promise<JobOutcome>;
  /** Jobs in progress now. */
  readonly active: number;
  readonly stats: Readonly<WorkerStats>;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((res) => {
    if (signal.aborted) return res();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      res();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/** Poll errors that retrying cannot fix, with what to do about each. */
const PERMANENT_POLL_ERRORS: Record<string, string> = {
  ActionTypeNotFoundException:
    "register the action type first (codepipeline-worker register <module>, or registerActionType), or check the region, account and version",
  ValidationException:
    "fix the query: queryParam (--query) must name the action's queryable property with a value of 1–50 characters of A-Z a-z 0-9 _ -",
  AccessDeniedException:
    "give the worker's identity codepipeline:PollForJobs, AcknowledgeJob, GetJobDetails, PutJobSuccessResult and PutJobFailureResult (the managed policy AWSCodePipelineCustomActionAccess)",
  UnrecognizedClientException: "give the worker valid AWS credentials for this account",
  InvalidClientTokenId: "give the worker valid AWS credentials for this account",
  InvalidSignatureException: "check the worker's secret key and that its clock is right",
  MissingAuthenticationTokenException: "give the worker AWS credentials",
};

/** Refusals of PutJobSuccessResult that a failure report can still answer. */
const SUCCESS_REFUSALS = new Set([
  "ValidationException",
  "OutputVariablesSizeExceededException",
  "InvalidJobStateException",
]);

const SKIP_ON_ACK = new Set([
  "InvalidNonceException",
  "JobNotFoundException",
  "InvalidJobStateException",
]);

/**
 * Creates a worker for `action`: it polls CodePipeline for the action's jobs, acknowledges each
 * with its nonce, downloads and unzips the input artifacts with the job's credentials, runs the
 * handler, zips and uploads the output artifacts and only then reports success; failures are
 * reported with the matching failure type.
 */
export function createWorker<Config>(
  action: ActionDefinition<Config>,
  options: WorkerOptions,
): Worker {
  const client = options.client;
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new CodepipelineWorkerError(
      "INVALID_ARGUMENT",
      `concurrency must be a whole number ≥ 1 (got ${concurrency})`,
    );
  }
  const maxBatchSize = options.maxBatchSize ?? concurrency;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new CodepipelineWorkerError(
      "INVALID_ARGUMENT",
      `maxBatchSize must be a whole number ≥ 1 (got ${maxBatchSize})`,
    );
  }
  const queryable = action.configurationProperties.filter((p) => p.queryable).map((p) => p.name);
  for (const key of Object.keys(options.queryParam ?? {})) {
    if (!queryable.includes(key)) {
      throw new CodepipelineWorkerError(
        "INVALID_ARGUMENT",
        `queryParam ${key} is not a queryable property of the action (queryable: ${queryable.join(", ") || "none"})`,
      );
    }
  }
  for (const name of queryable) {
    if (options.queryParam?.[name] === undefined) {
      throw new CodepipelineWorkerError(
        "INVALID_ARGUMENT",
        `The action has queryable property ${name}, and CodePipeline only hands out its jobs to workers that poll with it: pass queryParam { ${name}: "<value>" } (CLI: --query ${name}=<value>).`,
      );
    }
  }
  const duration = (name: keyof WorkerOptions, value: number, min: number) => {
    if (!Number.isFinite(value) || value < min) {
      throw new CodepipelineWorkerError(
        "INVALID_ARGUMENT",
        `${name} must be a number of milliseconds ≥ ${min} (got ${value})`,
      );
    }
    return value;
  };
  const pollIntervalMs = duration("pollIntervalMs", options.pollIntervalMs ?? 1000, 1);
  const maxPollIntervalMs = Math.max(
    pollIntervalMs,
    duration("maxPollIntervalMs", options.maxPollIntervalMs ?? 30_000, 1),
  );
  const jobTimeoutMs = duration("jobTimeoutMs", options.jobTimeoutMs ?? 50 * 60_000, 1);
  const shutdownTimeoutMs = duration("shutdownTimeoutMs", options.shutdownTimeoutMs ?? 30_000, 0);
  const credentialsRefreshMs = duration(
    "credentialsRefreshMs",
    options.credentialsRefreshMs ?? 10 * 60_000,
    0,
  );
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const workRoot = options.workRoot ?? tmpdir();
  const stats: WorkerStats = {
    polls: 0,
    pollErrors: 0,
    succeeded: 0,
    continued: 0,
    failed: 0,
    skipped: 0,
    unreported: 0,
    successRefused: 0,
  };
  const active = new Map<string, { abort: AbortController; done: Promise<JobOutcome> }>();
  const stopController = new AbortController();
  let slotFreed: (() => void) | undefined;
  let running: Promise<WorkerStats> | undefined;
  let shutdownTimeout = shutdownTimeoutMs;

  const actionTypeId = { ...action.actionTypeId };

  async function reportWithRetry(
    what: string,
    jobId: string,
    send: () => Promise<unknown>,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await send();
        return;
      } catch (error) {
        const name = (error as Error).name;
        if (
          name === "InvalidJobStateException" ||
          name === "JobNotFoundException" ||
          name === "ValidationException" ||
          name === "OutputVariablesSizeExceededException" ||
          attempt >= 4
        ) {
          throw error;
        }
        logger.warn(`[job ${jobId}] ${what} failed (${name}); retrying`);
        await new Promise((r) =>
          setTimeout(r, backoffDelay(attempt, { baseMs: 200, maxMs: 5000, random })),
        );
      }
    }
  }

  /** Calls `onJob`; a throwing callback is logged, never allowed to break the job's reporting. */
  function emit(event: JobEvent) {
    try {
      options.onJob?.(event);
    } catch (error) {
      logger.error(`onJob callback threw ${(error as Error)?.name ?? typeof error}`);
    }
  }

  function skipped(jobId: string, reason: string): JobOutcome {
    const outcome: JobOutcome = { status: "skipped", jobId, reason };
    stats.skipped++;
    emit({ phase: "done", ...outcome });
    return outcome;
  }

  async function processJob(job: Job, shutdown?: AbortSignal): Promise<JobOutcome> {
    if (!job.id || !job.data) {
      throw new CodepipelineWorkerError(
        "INVALID_ARGUMENT",
        "processJob needs a job with id and data (as PollForJobs returns it)",
      );
    }
    const jobId = job.id;
    try {
      const ack = await client.send(new AcknowledgeJobCommand({ jobId, nonce: job.nonce }));
      if (ack.status !== "InProgress") {
        return skipped(jobId, `job status is ${ack.status}`);
      }
    } catch (error) {
      const name = (error as Error).name;
      if (SKIP_ON_ACK.has(name))
        logger.info(`[job ${jobId}] not acknowledged (${name}): another worker has it; skipping`);
      else
        logger.warn(
          `[job ${jobId}] AcknowledgeJob failed (${name}); leaving the job to be delivered again`,
        );
      return skipped(jobId, name);
    }
    emit({ phase: "acknowledged", jobId });
    const credentials = job.data.artifactCredentials;
    const secrets = [
      ...secretValues(action.configurationProperties, job.data.actionConfiguration?.configuration),
      ...[credentials?.secretAccessKey, credentials?.sessionToken].filter(
        (v): v is string => typeof v === "string" && v.length > 0,
      ),
    ];
    const log = redactingLogger(logger, secrets, `[job ${jobId}]`);
    const state: RunJobState = { phase: "starting" };
    const abort = new AbortController();
    const timer = setTimeout(() => {
      const during =
        state.phase === "uploading"
          ? ` while uploading output artifact ${state.artifact}; the upload was aborted (AbortMultipartUpload) and nothing was stored`
          : state.phase === "downloading"
            ? ` while downloading input artifact ${state.artifact}`
            : "";
      abort.abort(
        new CodepipelineWorkerError(
          "HANDLER_TIMEOUT",
          `The job ran longer than ${jobTimeoutMs} ms${during}, so it was stopped.`,
          { jobId, ...(state.artifact !== undefined ? { artifact: state.artifact } : {}) },
        ),
      );
    }, jobTimeoutMs);
    const onShutdown = () =>
      abort.abort(
        new CodepipelineWorkerError(
          "WORKER_SHUTDOWN",
          "The worker shut down before the job finished; CodePipeline may retry it.",
          { jobId },
        ),
      );
    shutdown?.addEventListener("abort", onShutdown, { once: true });
    const aborted = new Promise<never>((_, reject) => {
      abort.signal.addEventListener("abort", () => reject(abort.signal.reason), { once: true });
    });
    aborted.catch(() => {});

    /** Reports a failure; a refused report is logged as an error and leaves the job unreported. */
    async function reportFailure(failure: FailureDetails, error: unknown): Promise<JobOutcome> {
      try {
        await reportWithRetry("PutJobFailureResult", jobId, () =>
          client.send(new PutJobFailureResultCommand({ jobId, failureDetails: failure })),
        );
        return { status: "failed", jobId, failure, error };
      } catch (reportError) {
        log.error(
          `PutJobFailureResult was refused too (${(reportError as Error).name}: ${(reportError as Error).message}); the job stays in progress until CodePipeline times it out`,
        );
        return { status: "unreported", jobId, error: reportError };
      }
    }

    /** Whether the job already has a final status (then a failure report would only be refused). */
    async function alreadyFinal(): Promise<boolean> {
      try {
        const ack = await client.send(new AcknowledgeJobCommand({ jobId, nonce: job.nonce }));
        return ack.status !== undefined && ack.status !== "InProgress";
      } catch {
        return false;
      }
    }

    let outcome: JobOutcome;
    try {
      const work = runJob({
        action,
        job: job as Job & { id: string; data: JobData },
        client,
        credentialsRefreshMs,
        now,
        workRoot,
        s3: options.s3,
        zipLimits: options.zipLimits,
        onProgress: options.onProgress,
        signal: abort.signal,
        logger: log,
        secrets,
        state,
      });
      work.catch(() => {});
      const result = await Promise.race([work, aborted]);
      try {
        await reportWithRetry("PutJobSuccessResult", jobId, () =>
          client.send(new PutJobSuccessResultCommand({ jobId, ...result })),
        );
        outcome =
          result.continuationToken !== undefined
            ? { status: "continued", jobId, result }
            : { status: "succeeded", jobId, result };
      } catch (error) {
        const name = (error as Error).name;
        const message = redact((error as Error).message ?? "", secrets);
        log.error(`PutJobSuccessResult was refused: ${name}: ${message}`);
        if (
          !SUCCESS_REFUSALS.has(name) ||
          (name === "InvalidJobStateException" && (await alreadyFinal()))
        ) {
          outcome = { status: "unreported", jobId, error };
        } else {
          // Never leave an acknowledged job without a result: report the refusal as a failure.
          stats.successRefused++;
          const failure = toFailureDetails(
            new CodepipelineWorkerError(
              "JOB_FAILED",
              `The action finished, but CodePipeline refused its success report (${name}: ${message}); fix the handler's result (summary, output variables, revision) and run the pipeline again.`,
              { jobId },
            ),
            secrets,
          );
          outcome = await reportFailure(failure, error);
        }
      }
    } catch (error) {
      const failure = toFailureDetails(error, secrets);
      if (error instanceof CodepipelineWorkerError)
        log.warn(`failed (${failure.type}): ${failure.message}`);
      else log.error(`handler threw ${(error as Error)?.name ?? typeof error}:`, error);
      outcome = await reportFailure(failure, error);
    } finally {
      clearTimeout(timer);
      shutdown?.removeEventListener("abort", onShutdown);
      // An abandoned handler (timed out, ignoring its signal) keeps its folder until it settles;
      // runJob removes it then.
    }
    stats[outcome.status]++;
    emit({ phase: "done", ...outcome });
    return outcome;
  }

  function startJob(job: Job) {
    const jobId = job.id ?? "";
    const abort = new AbortController();
    const done = processJob(job, abort.signal)
      .catch((error: unknown): JobOutcome => {
        logger.error(`[job ${jobId}] could not be processed: ${(error as Error)?.message}`);
        return { status: "unreported", jobId, error };
      })
      .finally(() => {
        active.delete(jobId);
        slotFreed?.();
      });
    active.set(jobId, { abort, done });
  }

  async function loop(): Promise<WorkerStats> {
    const stop = stopController.signal;
    const onSignal = () => void worker.stop();
    for (const sig of options.shutdownSignals ?? []) process.once(sig, onSignal);
    const onOuterAbort = () => void worker.stop();
    options.signal?.addEventListener("abort", onOuterAbort, { once: true });
    if (options.signal?.aborted) stopController.abort();
    let idle = 0;
    let failures = 0;
    let fatal: CodepipelineWorkerError | undefined;
    try {
      while (!stop.aborted) {
        if (active.size >= concurrency) {
          await new Promise<void>((res) => {
            const wake = () => {
              stop.removeEventListener("abort", wake);
              res();
            };
            slotFreed = wake;
            stop.addEventListener("abort", wake, { once: true });
          });
          slotFreed = undefined;
          continue;
        }
        let jobs: Job[];
        try {
          stats.polls++;
          const out = await client.send(
            new PollForJobsCommand({
              actionTypeId,
              maxBatchSize: Math.min(maxBatchSize, concurrency - active.size),
              ...(options.queryParam ? { queryParam: options.queryParam } : {}),
            }),
            { abortSignal: stop },
          );
          jobs = out.jobs ?? [];
          failures = 0;
        } catch (error) {
          if (stop.aborted) break;
          stats.pollErrors++;
          const name = (error as Error).name;
          const fix = PERMANENT_POLL_ERRORS[name];
          if (fix !== undefined) {
            const { category, provider, version } = action.actionTypeId;
            fatal = new CodepipelineWorkerError(
              "POLL_REFUSED",
              `CodePipeline refused to hand out jobs of ${category}/Custom/${provider}/${version} (${name}: ${(error as Error).message}); waiting will not fix this: ${fix}.`,
              { cause: error, awsErrorName: name },
            );
            logger.error(fatal.message);
            break;
          }
          failures++;
          const delay = backoffDelay(failures, {
            baseMs: pollIntervalMs,
            maxMs: maxPollIntervalMs,
            random,
          });
          logger.warn(`PollForJobs failed (${(error as Error).name}); next poll in ${delay} ms`);
          await sleep(delay, stop);
          continue;
        }
        if (jobs.length === 0) {
          const delay = backoffDelay(idle, {
            baseMs: pollIntervalMs,
            maxMs: maxPollIntervalMs,
            random,
          });
          idle++;
          await sleep(delay, stop);
          continue;
        }
        idle = 0;
        for (const job of jobs) startJob(job);
      }
      await drain();
    } finally {
      for (const sig of options.shutdownSignals ?? []) process.removeListener(sig, onSignal);
      options.signal?.removeEventListener("abort", onOuterAbort);
    }
    if (fatal) throw fatal;
    return { ...stats };
  }

  /** Waits for running jobs until the shutdown deadline, then fails the rest with SystemUnavailable. */
  async function drain() {
    if (active.size === 0) return;
    logger.info(
      `shutting down: waiting up to ${shutdownTimeout} ms for ${active.size} running job(s)`,
    );
    const all = Promise.allSettled([...active.values()].map((a) => a.done));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"deadline">((res) => {
      timer = setTimeout(() => res("deadline"), shutdownTimeout);
    });
    const first = await Promise.race([all, deadline]);
    clearTimeout(timer);
    if (first === "deadline") {
      for (const [jobId, entry] of active) {
        logger.warn(
          `[job ${jobId}] still running at the shutdown deadline; failing it with SystemUnavailable so the pipeline can retry`,
        );
        entry.abort.abort();
      }
      await all;
    }
  }

  const worker: Worker = {
    run() {
      running ??= loop();
      return running;
    },
    async stop(stopOptions) {
      if (stopOptions?.timeoutMs !== undefined) shutdownTimeout = stopOptions.timeoutMs;
      stopController.abort();
      if (running) return running;
      await drain();
      return { ...stats };
    },
    processJob: (job) => processJob(job),
    get active() {
      return active.size;
    },
    get stats() {
      return { ...stats };
    },
  };
  return worker;
}
