import type { LivyClient } from "./client.js";
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
import { isFailedBatchState, isTerminalBatchState } from "./core/states.js";
import type { Batch, SessionState } from "./core/types.js";
import { LivyError } from "./errors.js";

/** Options of {@link waitForBatch}. */
export interface WaitForBatchOptions {
  /** First delay between polls. @defaultValue 1000 */
  pollIntervalMs?: number;
  /** Factor the delay grows by after each poll without a state change (1 = fixed). @defaultValue 1.5 */
  backoff?: number;
  /** Upper bound of the delay between polls. @defaultValue 10000 */
  maxPollIntervalMs?: number;
  /** Give up after this long with `TIMEOUT`. @defaultValue no limit */
  timeoutMs?: number;
  /** Stops waiting with `ABORTED` (the batch keeps running). */
  signal?: AbortSignal;
  /** On timeout, delete (kill) the batch before throwing. @defaultValue false */
  killOnTimeout?: boolean;
  /** Called with each new state (including the first one seen). */
  onState?: (state: SessionState, batch: Batch, previous: SessionState | undefined) => void;
  /** Called with log lines as they appear, each line once, in order. Enables log polling. */
  onLog?: (lines: string[]) => void;
  /** Called when the server's bounded log buffer dropped lines between two polls. */
  onLogGap?: () => void;
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
    private readonly client: LivyClient,
    readonly batchId: number,
    private readonly options: {
      pageSize?: number;
      keep?: number;
      signal?: AbortSignal | undefined;
      onGap?: (() => void) | undefined;
    } = {},
  ) {}

  /** The last lines seen (up to `keep`). */
  get tail(): string[] {
    return [...this.#tail];
  }

  /** Fetches what was appended since the last call. */
  async poll(): Promise<string[]> {
    const pageSize = this.options.pageSize ?? 500;
    const signal = this.options.signal ? { signal: this.options.signal } : {};
    const out: string[] = [];
    if (this.#sections) {
      out.push(...(await this.#pollSections(signal)));
      this.#remember(out);
      return out;
    }
    for (;;) {
      const request = nextLogRequest(this.#state, pageSize);
      const page = await this.client.getBatchLog(this.batchId, { ...request, ...signal });
      if (request.from === 0 && page.from === 0 && splitLogSections(page.log)) {
        this.#sections = {};
        out.push(
          ...(await this.#pollSections(
            signal,
            page.total <= page.log.length ? page.log : undefined,
          )),
        );
        break;
      }
      const applied = applyLogPage(this.#state, page);
      if (applied) {
        this.#state = applied.state;
        out.push(...applied.lines);
        if (!applied.more) break;
        continue;
      }
      const latest = await this.client.getBatchLog(this.batchId, { size: pageSize, ...signal });
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
    signal: { signal?: AbortSignal },
    whole?: readonly string[],
  ): Promise<string[]> {
    const lines =
      whole ??
      (await this.client.getBatchLog(this.batchId, { from: 0, size: 1_000_000, ...signal })).log;
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

function forgotten(id: number, cause: unknown): LivyError {
  return new LivyError(
    "NOT_FOUND",
    `Livy batch ${id} is unknown to the server: it never existed, was deleted, or finished and was ` +
      "forgotten after livy.server.batch.state-retain-sec (default 600 s). Poll more often than that " +
      "retention, or raise it on the server.",
    { batchId: id, cause, status: 404 },
  );
}

function elapsed(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/**
 * Waits until a batch reaches a terminal state and returns it if it succeeded.
 *
 * - The state is checked before the first wait, so an already finished batch returns at once.
 * - With `onLog`, new log lines are delivered after each poll, each exactly once and in order,
 *   including the lines written just before the batch finished.
 * - `dead`, `error` or `killed` throw `BATCH_FAILED` with the final batch and its last log lines.
 * - A timeout throws `TIMEOUT` (after deleting the batch if `killOnTimeout`).
 * - A 404 throws `NOT_FOUND` explaining Livy's batch retention.
 */
export async function waitForBatch(
  client: LivyClient,
  id: number,
  options: WaitForBatchOptions = {},
): Promise<Batch> {
  const started = client.now();
  const baseInterval = options.pollIntervalMs ?? 1000;
  const maxInterval = Math.max(baseInterval, options.maxPollIntervalMs ?? 10_000);
  const factor = options.backoff ?? 1.5;
  for (const [field, value] of [
    ["pollIntervalMs", baseInterval],
    ["backoff", factor],
  ] as const) {
    if (!(Number.isFinite(value) && value > 0) || (field === "backoff" && value < 1)) {
      throw new LivyError("INVALID_ARGUMENT", `Invalid ${field}: ${value}`, { field });
    }
  }
  const keep = options.logTailLines ?? 20;
  const follower = new BatchLogFollower(client, id, {
    pageSize: options.logPageSize ?? 500,
    keep,
    signal: options.signal,
    onGap: options.onLogGap,
  });
  const callSignal = options.signal ? { signal: options.signal } : {};
  let interval = baseInterval;
  let previous: SessionState | undefined;

  const fetchBatch = async () => {
    try {
      return await client.getBatch(id, callSignal);
    } catch (error) {
      if (error instanceof LivyError && error.code === "NOT_FOUND") throw forgotten(id, error);
      throw error;
    }
  };
  const logTail = async (batch: Batch): Promise<string[]> => {
    if (options.onLog) return follower.tail;
    try {
      return (await client.getBatchLog(id, { size: keep, ...callSignal })).log;
    } catch {
      return batch.log.slice(-keep);
    }
  };

  for (;;) {
    const batch = await fetchBatch();
    // Log lines written before this state was observed are delivered before the state change.
    if (options.onLog) {
      try {
        const lines = await follower.poll();
        if (lines.length > 0) options.onLog(lines);
      } catch (error) {
        if (error instanceof LivyError && error.code === "NOT_FOUND") throw forgotten(id, error);
        throw error;
      }
    }
    if (batch.state !== previous) {
      options.onState?.(batch.state, batch, previous);
      if (previous !== undefined) interval = baseInterval;
      previous = batch.state;
    }
    if (isTerminalBatchState(batch.state)) {
      if (!isFailedBatchState(batch.state)) return batch;
      const tail = await logTail(batch);
      throw new LivyError(
        "BATCH_FAILED",
        `Livy batch ${id}${batch.name ? ` (${batch.name})` : ""} ended in state ${batch.state} after ${elapsed(client.now() - started)}; last log lines:\n${tail.join("\n")}`,
        { batchId: id, batch, logTail: tail },
      );
    }
    const spent = client.now() - started;
    if (options.timeoutMs !== undefined && spent >= options.timeoutMs) {
      const tail = await logTail(batch);
      let killed = "";
      if (options.killOnTimeout) {
        await client.deleteBatch(id, callSignal).catch((error: unknown) => {
          if (!(error instanceof LivyError && error.code === "NOT_FOUND")) throw error;
        });
        killed = "; it was killed";
      }
      throw new LivyError(
        "TIMEOUT",
        `Livy batch ${id} was still ${batch.state} after ${elapsed(spent)} (timeout ${options.timeoutMs} ms)${killed}`,
        { batchId: id, batch, logTail: tail },
      );
    }
    const remaining =
      options.timeoutMs === undefined ? interval : Math.min(interval, options.timeoutMs - spent);
    try {
      await client.sleep(Math.max(0, remaining), options.signal);
    } catch (cause) {
      throw new LivyError(
        "ABORTED",
        `Waiting for Livy batch ${id} was aborted (the batch keeps running)`,
        {
          batchId: id,
          cause,
        },
      );
    }
    interval = Math.min(maxInterval, interval * factor);
  }
}

/** Options of {@link watchBatches}. */
export interface WatchBatchesOptions {
  /** Delay between list calls. @defaultValue 1000 */
  pollIntervalMs?: number;
  /** Give up after this long with `TIMEOUT`. @defaultValue no limit */
  timeoutMs?: number;
  /** Stops watching with `ABORTED`. */
  signal?: AbortSignal;
  /** Called for each state change of a watched batch. */
  onState?: (batch: Batch, previous: SessionState | undefined) => void;
  /** Page size of `GET /batches`. @defaultValue 1000 */
  pageSize?: number;
}

/** Outcome of {@link watchBatches}. */
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

/**
 * Watches many batches until each is finished, with one `GET /batches` per interval for all of
 * them instead of one call per batch. Failed batches do not throw: they are listed in `failed`.
 * Ids the server does not know at the first poll throw `NOT_FOUND`.
 */
export async function watchBatches(
  client: LivyClient,
  ids: readonly number[],
  options: WatchBatchesOptions = {},
): Promise<WatchBatchesResult> {
  const started = client.now();
  const interval = options.pollIntervalMs ?? 1000;
  if (!(interval > 0)) {
    throw new LivyError("INVALID_ARGUMENT", `Invalid pollIntervalMs: ${interval}`, {
      field: "pollIntervalMs",
    });
  }
  const pending = new Set(ids);
  const result: WatchBatchesResult = {
    batches: new Map(),
    succeeded: [],
    failed: [],
    forgotten: [],
  };
  const listOptions = {
    pageSize: options.pageSize ?? 1000,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  for (let poll = 0; ; poll++) {
    const seen = new Map<number, Batch>();
    for (const batch of await client.listAllBatches(listOptions)) seen.set(batch.id, batch);
    if (poll === 0) {
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
    const spent = client.now() - started;
    if (options.timeoutMs !== undefined && spent >= options.timeoutMs) {
      throw new LivyError(
        "TIMEOUT",
        `${pending.size} Livy batch(es) still running after ${elapsed(spent)}: ${[...pending].slice(0, 20).join(", ")}`,
      );
    }
    const wait =
      options.timeoutMs === undefined ? interval : Math.min(interval, options.timeoutMs - spent);
    try {
      await client.sleep(Math.max(0, wait), options.signal);
    } catch (cause) {
      throw new LivyError(
        "ABORTED",
        "Watching Livy batches was aborted (the batches keep running)",
        { cause },
      );
    }
  }
}
