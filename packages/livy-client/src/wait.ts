import {
  applyLogPage,
  applySectionedLog,
  initialLogCursor,
  type LogCursorState,
  nextLogRequest,
  realignLog,
  type SectionedLogCursorState,
  splitLogSections,
} from "./core/log-cursor.js";
import { isFailedBatchState, isKnownSessionState, isTerminalBatchState } from "./core/states.js";
import type { Batch, SessionState } from "./core/types.js";
import { isLivyError, LivyError } from "./errors.js";
import type { BatchWaitPort } from "./ports.js";

/** The default deadline of a wait: 24 hours. Pass `timeoutMs: Infinity` to wait without one. */
export const DEFAULT_WAIT_TIMEOUT_MS = 86_400_000;

/** A transient failure a wait rode out (a 5xx, a reset, a timed-out request, a 429). */
export interface TransientErrorEvent {
  /** The failure, after the client's own retries of that request. */
  error: LivyError;
  /** Consecutive failed polls so far, 1 for the first. */
  attempt: number;
  /** How long the wait pauses before polling again. */
  retryInMs: number;
}

/** Options of {@link LivyClient.waitForBatch}. */
export interface WaitForBatchOptions {
  /** First delay between polls. @defaultValue 1000 */
  pollIntervalMs?: number;
  /** Factor the delay grows by after each poll without a state change (1 = fixed). @defaultValue 1.5 */
  backoff?: number;
  /** Upper bound of the delay between polls. @defaultValue 10000 */
  maxPollIntervalMs?: number;
  /**
   * Deadline of the whole wait: every request inside it is bounded by the time left, and the wait
   * throws `TIMEOUT` within one poll interval of it. `Infinity` waits without a deadline.
   * @defaultValue 86400000 (24 h)
   */
  timeoutMs?: number;
  /** Stops waiting with `ABORTED` (the batch keeps running). @defaultValue none */
  signal?: AbortSignal;
  /**
   * On timeout, delete (kill) the batch before throwing. The DELETE is always attempted; the
   * `TIMEOUT` error says `killed: true|false` and carries the DELETE's error as `cause`.
   * @defaultValue false
   */
  killOnTimeout?: boolean;
  /** Called with each new state (including the first one seen). @defaultValue none */
  onState?: (state: SessionState, batch: Batch, previous: SessionState | undefined) => void;
  /** Called with log lines as they appear, each line once, in order. Enables log polling. @defaultValue none */
  onLog?: (lines: string[]) => void;
  /** Called when lines may have been dropped by the server's bounded log buffer between two polls. @defaultValue none */
  onLogGap?: () => void;
  /**
   * Called for each poll that failed transiently (5xx, 429, reset, request timeout, a body that is
   * not JSON). The wait rides such failures out, with backoff, until its deadline.
   * @defaultValue none
   */
  onTransientError?: (event: TransientErrorEvent) => void;
  /** Lines asked for per log request. @defaultValue 500 */
  logPageSize?: number;
  /** How many last log lines a `BATCH_FAILED`/`TIMEOUT` error carries. @defaultValue 20 */
  logTailLines?: number;
}

/** Follows a batch log across polls: each line once, in order (see core/log-cursor). */
export class BatchLogFollower {
  #state: LogCursorState = initialLogCursor;
  /** Set once the log turns out to be in Livy's `stdout:`/`stderr:` section layout. */
  #sections: SectionedLogCursorState | undefined;
  readonly #tail: string[] = [];

  constructor(
    private readonly port: Pick<BatchWaitPort, "getBatchLog">,
    readonly batchId: number,
    private readonly options: {
      pageSize?: number;
      keep?: number;
      onGap?: (() => void) | undefined;
    } = {},
  ) {}

  /** The last lines seen (up to `keep`). */
  get tail(): string[] {
    return [...this.#tail];
  }

  /** Fetches what was appended since the last call. */
  async poll(signal?: AbortSignal): Promise<string[]> {
    const pageSize = this.options.pageSize ?? 500;
    const call = signal ? { signal } : {};
    const out: string[] = [];
    if (this.#sections) {
      out.push(...(await this.#pollSections(call)));
      this.#remember(out);
      return out;
    }
    for (;;) {
      const request = nextLogRequest(this.#state, pageSize);
      const page = await this.port.getBatchLog(this.batchId, { ...request, ...call });
      if (request.from === 0 && page.from === 0 && splitLogSections(page.log)) {
        this.#sections = {};
        out.push(
          ...(await this.#pollSections(call, page.total <= page.log.length ? page.log : undefined)),
        );
        break;
      }
      const applied = applyLogPage(this.#state, page);
      if (applied) {
        this.#state = applied.state;
        if (applied.gap) this.options.onGap?.();
        out.push(...applied.lines);
        if (!applied.more) break;
        continue;
      }
      const latest = await this.port.getBatchLog(this.batchId, { size: pageSize, ...call });
      const realigned = realignLog(this.#state, latest);
      this.#state = realigned.state;
      if (realigned.gap) this.options.onGap?.();
      out.push(...realigned.lines);
      break;
    }
    this.#remember(out);
    return out;
  }

  // A sectioned log is bounded (livy.cache-log.size lines per stream), so it is read whole.
  async #pollSections(
    call: { signal?: AbortSignal },
    whole?: readonly string[],
  ): Promise<string[]> {
    const lines =
      whole ??
      (await this.port.getBatchLog(this.batchId, { from: 0, size: 1_000_000, ...call })).log;
    const sections = splitLogSections(lines) ?? [{ name: "log", lines: [...lines] }];
    const applied = applySectionedLog(this.#sections ?? {}, sections);
    this.#sections = applied.state;
    if (applied.gap) this.options.onGap?.();
    return applied.lines;
  }

  #remember(lines: string[]): void {
    const keep = this.options.keep ?? 20;
    this.#tail.push(...lines);
    if (this.#tail.length > keep) this.#tail.splice(0, this.#tail.length - keep);
  }
}

function elapsed(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** Thrown inside a wait when its deadline cut a request short. */
class DeadlinePassed extends Error {}

/**
 * Runs `call` with a signal that aborts at `deadline` (epoch ms on the port's clock) or when the
 * caller's signal aborts. A request cut by the deadline throws {@link DeadlinePassed}.
 */
async function withinDeadline<T>(
  port: BatchWaitPort,
  deadline: number,
  signal: AbortSignal | undefined,
  call: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  if (!Number.isFinite(deadline)) return call(signal);
  const left = deadline - port.now();
  if (left <= 0) throw new DeadlinePassed();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DeadlinePassed()), left);
  try {
    return await call(signal ? AbortSignal.any([signal, controller.signal]) : controller.signal);
  } catch (error) {
    if (controller.signal.aborted && !signal?.aborted) throw new DeadlinePassed();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Who a batch id belongs to, as first observed. */
interface Identity {
  name: string | null | undefined;
  appId: string | null;
  state: SessionState;
}

/** The reason an id now names a different job, or undefined when it is still the same one. */
function identityChange(first: Identity, last: Identity, now: Batch): string | undefined {
  const name = now.name ?? null;
  if (first.name !== undefined && name !== (first.name ?? null)) {
    return `its name changed from ${JSON.stringify(first.name)} to ${JSON.stringify(name)}`;
  }
  if (last.appId !== null && now.appId !== last.appId) {
    return `its application id changed from ${last.appId} to ${now.appId ?? "none"}`;
  }
  const early = now.state === "not_started" || now.state === "starting";
  const wasPast = ["running", "success", "dead", "killed", "error"].includes(last.state);
  if (early && wasPast) return `its state went back from ${last.state} to ${now.state}`;
  return undefined;
}

/**
 * Waits until a batch reaches a terminal state and returns it if it succeeded.
 *
 * - The state is checked before the first wait, so an already finished batch returns at once.
 * - With `onLog`, new log lines are delivered after each poll, each exactly once and in order,
 *   including the lines written just before the batch finished.
 * - Transient failures (5xx, 429, resets, request timeouts) are ridden out with backoff until
 *   the deadline, and reported through `onTransientError`.
 * - `dead`, `error` or `killed` throw `BATCH_FAILED` with the final batch and its last log lines.
 * - The deadline (`timeoutMs`, 24 h by default) throws `TIMEOUT`, after trying to delete the batch
 *   if `killOnTimeout`.
 * - An id that now belongs to another job (Livy restarted without recovery and reused it)
 *   throws `BATCH_REPLACED`; a batch that vanished throws `NOT_FOUND` saying what can cause it.
 */
export async function waitForBatch(
  port: BatchWaitPort,
  id: number,
  options: WaitForBatchOptions = {},
): Promise<Batch> {
  const started = port.now();
  const baseInterval = options.pollIntervalMs ?? 1000;
  const maxInterval = Math.max(baseInterval, options.maxPollIntervalMs ?? 10_000);
  const factor = options.backoff ?? 1.5;
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  for (const [field, value, ok] of [
    ["pollIntervalMs", baseInterval, Number.isFinite(baseInterval) && baseInterval > 0],
    ["backoff", factor, Number.isFinite(factor) && factor >= 1],
    ["timeoutMs", timeoutMs, timeoutMs >= 0],
  ] as const) {
    if (!ok) throw new LivyError("INVALID_ARGUMENT", `Invalid ${field}: ${value}`, { field });
  }
  const deadline = started + timeoutMs;
  const keep = options.logTailLines ?? 20;
  const follower = new BatchLogFollower(port, id, {
    pageSize: options.logPageSize ?? 500,
    keep,
    onGap: options.onLogGap,
  });
  const signal = options.signal;
  let interval = baseInterval;
  let previous: SessionState | undefined;
  let first: Identity | undefined;
  let last: (Identity & { at: number; batch: Batch }) | undefined;
  let failures = 0;
  let lastFailure: LivyError | undefined;
  let warnedUnknown = false;

  const bounded = <T>(call: (signal: AbortSignal | undefined) => Promise<T>) =>
    withinDeadline(port, deadline, signal, call);
  const describe = (batch: Batch | undefined) =>
    `Livy batch ${id}${batch?.name ? ` (${batch.name})` : ""}`;

  const timedOut = async (cause: unknown): Promise<never> => {
    const batch = last?.batch;
    const tail = options.onLog ? follower.tail : (batch?.log.slice(-keep) ?? []);
    const spent = port.now() - started;
    let killed: boolean | undefined;
    let killError: unknown;
    if (options.killOnTimeout) {
      // The deadline has passed: the DELETE gets one poll interval of its own (at least 1 s).
      const budget = Math.max(1000, baseInterval);
      try {
        await withinDeadline(port, port.now() + budget, undefined, (s) =>
          port.deleteBatch(id, s ? { signal: s } : {}),
        );
        killed = true;
      } catch (error) {
        killed = isLivyError(error, "NOT_FOUND");
        killError =
          error instanceof DeadlinePassed
            ? new Error(`DELETE took longer than ${budget} ms`)
            : error;
      }
    }
    const what = batch ? `was still ${batch.state}` : "could not be read";
    const kill =
      killed === undefined
        ? ""
        : killed
          ? "; it was killed"
          : `; killing it failed (${(killError as Error)?.message ?? killError}), so it may still be running`;
    throw new LivyError(
      "TIMEOUT",
      `${describe(batch)} ${what} after ${elapsed(spent)} (timeout ${timeoutMs} ms)${kill}`,
      {
        batchId: id,
        ...(batch ? { batch } : {}),
        logTail: tail,
        ...(killed === undefined ? {} : { killed }),
        cause: killError ?? cause,
      },
    );
  };

  const vanished = async (cause: LivyError): Promise<never> => {
    const wasLive = last !== undefined && !isTerminalBatchState(last.state);
    let highest: number | undefined;
    try {
      const page = await bounded((s) =>
        port.listBatches({ from: 0, size: 1000, ...(s ? { signal: s } : {}) }),
      );
      highest = page.sessions.reduce((max, batch) => Math.max(max, batch.id), -1);
    } catch {
      // The diagnosis is best effort: the 404 stands on its own.
    }
    const restarted = highest !== undefined && highest < id;
    const newest = highest === undefined || highest < 0 ? "none" : String(highest);
    const message = wasLive
      ? `${describe(last?.batch)} vanished while ${last?.state}: ${
          restarted
            ? `the server's newest batch id is now ${newest}, below ${id}, so the Livy server restarted without session recovery (livy.server.recovery.mode) and lost it.`
            : "it was deleted by someone else, or the Livy server restarted without session recovery (livy.server.recovery.mode) and lost it."
        } The job's fate is unknown to Livy; check the cluster (YARN/EMR) before resubmitting.`
      : last
        ? `${describe(last.batch)} finished (${last.state}) and was then forgotten by the server after livy.server.batch.state-retain-sec (default 600 s), or deleted. Poll more often than that retention, or raise it on the server.`
        : `${describe(undefined)} is unknown to the server: it never existed, was deleted, or finished and was forgotten after livy.server.batch.state-retain-sec (default 600 s)${restarted ? "; the server's ids are all below it, so it may also have restarted" : ""}.`;
    throw new LivyError("NOT_FOUND", message, {
      batchId: id,
      status: 404,
      cause,
      ...(last ? { batch: last.batch } : {}),
    });
  };

  for (;;) {
    let batch: Batch;
    try {
      batch = await bounded((s) => port.getBatch(id, s ? { signal: s } : {}));
      if (!first) first = { name: batch.name, appId: batch.appId, state: batch.state };
      const change = last && first ? identityChange(first, last, batch) : undefined;
      if (change) {
        throw new LivyError(
          "BATCH_REPLACED",
          `${describe(last?.batch)} now belongs to another job (${change}): the Livy server restarted without session recovery and reused the id. The original job's fate is unknown to Livy; check the cluster (YARN/EMR) before resubmitting.`,
          { batchId: id, batch, ...(last ? { cause: { before: last.batch } } : {}) },
        );
      }
      last = {
        name: batch.name,
        appId: batch.appId ?? last?.appId ?? null,
        state: batch.state,
        at: port.now(),
        batch,
      };
      // Log lines written before this state was observed are delivered before the state change.
      if (options.onLog) {
        const lines = await bounded((s) => follower.poll(s));
        if (lines.length > 0) options.onLog(lines);
      }
      failures = 0;
    } catch (error) {
      if (error instanceof DeadlinePassed) return timedOut(lastFailure);
      if (isLivyError(error, "NOT_FOUND") && error.status === 404) return vanished(error);
      if (!(isLivyError(error) && error.retryable)) throw error;
      failures++;
      lastFailure = error;
      const left = deadline - port.now();
      const pause = Math.round(Math.max(0, Math.min(interval, left)));
      options.onTransientError?.({ error, attempt: failures, retryInMs: pause });
      if (left <= 0) return timedOut(error);
      await pauseOrAbort(port, pause, signal, id);
      interval = Math.min(maxInterval, interval * factor);
      continue;
    }
    if (batch.state !== previous) {
      options.onState?.(batch.state, batch, previous);
      if (previous !== undefined) interval = baseInterval;
      previous = batch.state;
    }
    if (!isKnownSessionState(batch.state) && options.timeoutMs === undefined && !warnedUnknown) {
      warnedUnknown = true;
      port.logger?.warn(
        `livy: batch ${id} is in state "${batch.state}", unknown to this client; waiting for a known terminal state until the default timeout (${DEFAULT_WAIT_TIMEOUT_MS} ms). Pass timeoutMs to choose the bound.`,
      );
    }
    if (isTerminalBatchState(batch.state)) {
      if (!isFailedBatchState(batch.state)) return batch;
      const tail = options.onLog ? follower.tail : await logTail(port, id, keep, batch, bounded);
      throw new LivyError(
        "BATCH_FAILED",
        `${describe(batch)} ended in state ${batch.state} after ${elapsed(port.now() - started)}; last log lines:\n${tail.join("\n")}`,
        { batchId: id, batch, logTail: tail },
      );
    }
    const left = deadline - port.now();
    if (left <= 0) return timedOut(undefined);
    await pauseOrAbort(port, Math.min(interval, left), signal, id);
    interval = Math.min(maxInterval, interval * factor);
  }
}

async function logTail(
  port: BatchWaitPort,
  id: number,
  keep: number,
  batch: Batch,
  bounded: <T>(call: (signal: AbortSignal | undefined) => Promise<T>) => Promise<T>,
): Promise<string[]> {
  try {
    return (await bounded((s) => port.getBatchLog(id, { size: keep, ...(s ? { signal: s } : {}) })))
      .log;
  } catch {
    return batch.log.slice(-keep);
  }
}

async function pauseOrAbort(
  port: BatchWaitPort,
  ms: number,
  signal: AbortSignal | undefined,
  id: number | undefined,
): Promise<void> {
  try {
    await port.sleep(Math.max(0, ms), signal);
  } catch (cause) {
    throw new LivyError(
      "ABORTED",
      id === undefined
        ? "Watching Livy batches was aborted (the batches keep running)"
        : `Waiting for Livy batch ${id} was aborted (the batch keeps running)`,
      { ...(id === undefined ? {} : { batchId: id }), cause },
    );
  }
}

/** Options of {@link LivyClient.watchBatches}. */
export interface WatchBatchesOptions {
  /** Delay between list calls. @defaultValue 1000 */
  pollIntervalMs?: number;
  /**
   * Deadline of the whole watch, with the same meaning as in {@link WaitForBatchOptions}.
   * @defaultValue 86400000 (24 h)
   */
  timeoutMs?: number;
  /** Stops watching with `ABORTED`. @defaultValue none */
  signal?: AbortSignal;
  /** Called for each state change of a watched batch. @defaultValue none */
  onState?: (batch: Batch, previous: SessionState | undefined) => void;
  /** Called for each list poll that failed transiently; the watch rides it out until its deadline. @defaultValue none */
  onTransientError?: (event: TransientErrorEvent) => void;
  /** Page size of `GET /batches`. @defaultValue 1000 */
  pageSize?: number;
}

/** Outcome of {@link LivyClient.watchBatches}. */
export interface WatchBatchesResult {
  /** The last seen state of every watched batch, by id. */
  batches: Map<number, Batch>;
  /** Ids that ended in `success`. */
  succeeded: number[];
  /** Ids that ended in `dead`, `error` or `killed`. */
  failed: number[];
  /**
   * Ids that disappeared from the server before a terminal state was seen: deleted, or
   * finished and forgotten after `livy.server.batch.state-retain-sec`.
   */
  forgotten: number[];
}

/** Every batch the server holds, following `from`/`size` pages. */
export async function listAllBatches(
  port: Pick<BatchWaitPort, "listBatches">,
  pageSize: number,
  signal: AbortSignal | undefined,
): Promise<Batch[]> {
  const all: Batch[] = [];
  for (let from = 0; ; ) {
    const page = await port.listBatches({ from, size: pageSize, ...(signal ? { signal } : {}) });
    all.push(...page.sessions);
    from += page.sessions.length;
    if (page.sessions.length === 0 || from >= page.total) return all;
  }
}

/**
 * Watches many batches until each is finished, with one `GET /batches` per interval for all of
 * them instead of one call per batch. Failed batches do not throw: they are listed in `failed`.
 * Ids the server does not know at the first poll throw `NOT_FOUND`.
 */
export async function watchBatches(
  port: BatchWaitPort,
  ids: readonly number[],
  options: WatchBatchesOptions = {},
): Promise<WatchBatchesResult> {
  const started = port.now();
  const interval = options.pollIntervalMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  if (!(interval > 0) || !Number.isFinite(interval)) {
    throw new LivyError("INVALID_ARGUMENT", `Invalid pollIntervalMs: ${interval}`, {
      field: "pollIntervalMs",
    });
  }
  const deadline = started + timeoutMs;
  const pending = new Set(ids);
  const result: WatchBatchesResult = {
    batches: new Map(),
    succeeded: [],
    failed: [],
    forgotten: [],
  };
  const timedOut = (cause: unknown) =>
    new LivyError(
      "TIMEOUT",
      `${pending.size} Livy batch(es) still running after ${elapsed(port.now() - started)}: ${[...pending].slice(0, 20).join(", ")}`,
      cause === undefined ? {} : { cause },
    );
  let failures = 0;
  let lastFailure: LivyError | undefined;
  for (let polled = false; ; ) {
    let list: Batch[];
    try {
      list = await withinDeadline(port, deadline, options.signal, (s) =>
        listAllBatches(port, options.pageSize ?? 1000, s),
      );
      failures = 0;
    } catch (error) {
      if (error instanceof DeadlinePassed) throw timedOut(lastFailure);
      if (!(isLivyError(error) && error.retryable)) throw error;
      failures++;
      lastFailure = error;
      const left = deadline - port.now();
      const pause = Math.round(Math.max(0, Math.min(interval, left)));
      options.onTransientError?.({ error, attempt: failures, retryInMs: pause });
      if (left <= 0) throw timedOut(error);
      await pauseOrAbort(port, pause, options.signal, undefined);
      continue;
    }
    const seen = new Map<number, Batch>();
    for (const batch of list) seen.set(batch.id, batch);
    if (!polled) {
      polled = true;
      const unknown = [...pending].filter((id) => !seen.has(id));
      if (unknown.length > 0) {
        throw new LivyError(
          "NOT_FOUND",
          `Livy does not know batch${unknown.length > 1 ? "es" : ""} ${unknown.join(", ")} (never created, deleted, or forgotten after livy.server.batch.state-retain-sec)`,
          { ...(unknown.length === 1 ? { batchId: unknown[0] } : {}), status: 404 },
        );
      }
    }
    for (const id of [...pending]) {
      const batch = seen.get(id);
      if (!batch) {
        pending.delete(id);
        result.forgotten.push(id);
        continue;
      }
      const previous = result.batches.get(id)?.state;
      result.batches.set(id, batch);
      if (batch.state !== previous) options.onState?.(batch, previous);
      if (isTerminalBatchState(batch.state)) {
        pending.delete(id);
        (isFailedBatchState(batch.state) ? result.failed : result.succeeded).push(id);
      }
    }
    if (pending.size === 0) return result;
    const left = deadline - port.now();
    if (left <= 0) throw timedOut(undefined);
    await pauseOrAbort(port, Math.min(interval, left), options.signal, undefined);
  }
}
