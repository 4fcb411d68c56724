import { setTimeout as delay } from "node:timers/promises";
import { LivyHttp, type LivyHttpOptions, type LivyLogger } from "./adapters/http.js";
import type { RetryOptions } from "./core/retry.js";
import { isEndedSessionState, isTerminalBatchState } from "./core/states.js";
import type {
  Batch,
  CompletionRequest,
  CompletionResponse,
  CreateBatchRequest,
  CreateSessionRequest,
  LogResponse,
  MessageResponse,
  PageOptions,
  Session,
  SessionList,
  Statement,
  StatementKind,
  StatementList,
  StateResponse,
  VersionResponse,
} from "./core/types.js";
import {
  pageQuery,
  validateBatchRequest,
  validateCompletionRequest,
  validateId,
  validateSessionRequest,
  validateStatementRequest,
} from "./core/validate.js";
import { LivyError } from "./errors.js";
import {
  type WaitForBatchOptions,
  type WatchBatchesOptions,
  type WatchBatchesResult,
  waitForBatch,
  watchBatches,
} from "./wait.js";

export type { AuthProvider, AuthRequest, LivyLogger } from "./adapters/http.js";

/** Options of {@link LivyClient}. */
export interface LivyClientOptions extends LivyHttpOptions {}

/** Cancellation for a single call. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Options of {@link LivyClient.submitBatch}. */
export interface SubmitBatchOptions extends CallOptions {
  /**
   * Before creating, look for a live batch (not finished) with the same `name` and return it
   * instead of starting a duplicate. Requires `name`. Use it when an orchestrator may retry a
   * submission whose response was lost. @defaultValue false
   */
  reattach?: boolean;
}

/** Options of {@link LivySession.run}. */
export interface RunOptions extends CallOptions {
  /** Statement kind (required by `shared` sessions). */
  kind?: StatementKind;
  /** Delay between statement polls. @defaultValue 250 */
  pollIntervalMs?: number;
  /** Give up (and cancel the statement) after this long. @defaultValue no limit */
  timeoutMs?: number;
}

/** Options of {@link LivySession.waitUntilIdle} and {@link LivyClient.startSession}. */
export interface WaitIdleOptions extends CallOptions {
  /** Delay between state polls. @defaultValue 500 */
  pollIntervalMs?: number;
  /** Give up after this long. @defaultValue no limit */
  timeoutMs?: number;
  /** Called when the session state changes. */
  onState?: (state: string) => void;
}

/** The output of a statement that finished with `status: "ok"`. */
export interface StatementResult {
  /** The statement as the server last returned it. */
  statement: Statement;
  /** All MIME bundles of the output. */
  data: Record<string, unknown>;
  /** `text/plain` output, if any. */
  text?: string;
  /** `application/json` output, if any. */
  json?: unknown;
}

/**
 * A typed client for the Apache Livy REST API (0.7–0.8): batches, interactive sessions,
 * statements, completion and version, with retries for idempotent calls, request validation,
 * and waiting helpers.
 *
 * @example
 * ```ts
 * const livy = new LivyClient({ url: "http://localhost:8998" });
 * const batch = await livy.submitBatch({ file: "s3://bucket/etl.py", name: "nightly-etl" }, { reattach: true });
 * const done = await livy.waitForBatch(batch.id, { onLog: (lines) => lines.forEach((l) => console.log(l)) });
 * ```
 */
export class LivyClient {
  /** The base URL, without a trailing slash. */
  readonly url: string;
  readonly #http: LivyHttp;
  /** @internal */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** @internal */
  readonly now: () => number;
  /** @internal */
  readonly logger: LivyLogger | undefined;

  constructor(options: LivyClientOptions) {
    if (typeof options !== "object" || options === null) {
      throw new LivyError("INVALID_ARGUMENT", "LivyClient needs an options object with a url", {
        field: "options",
      });
    }
    this.#http = new LivyHttp(options);
    this.url = this.#http.baseUrl;
    this.sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
  }

  async #get<T>(
    path: string,
    options?: CallOptions & { query?: Record<string, string> },
  ): Promise<T> {
    const { data } = await this.#http.request<T>({
      method: "GET",
      path,
      ...(options?.query ? { query: options.query } : {}),
      signal: options?.signal,
    });
    return data;
  }

  async #post<T>(path: string, body: unknown, options?: CallOptions): Promise<T> {
    const { data } = await this.#http.request<T>({
      method: "POST",
      path,
      body,
      signal: options?.signal,
    });
    return data;
  }

  async #delete(path: string, options?: CallOptions): Promise<MessageResponse> {
    try {
      const { data } = await this.#http.request<MessageResponse>({
        method: "DELETE",
        path,
        signal: options?.signal,
      });
      return data ?? { msg: "deleted" };
    } catch (error) {
      // A retried DELETE whose first attempt went through finds nothing left to delete.
      if (error instanceof LivyError && error.code === "NOT_FOUND" && (error.attempts ?? 1) > 1) {
        return { msg: "deleted" };
      }
      throw error;
    }
  }

  // ── batches ────────────────────────────────────────────────────────────────────────────────

  /**
   * Submits a batch (`POST /batches`). Never retried blindly: with `reattach` it first returns a
   * live batch of the same `name`, so a retried submission does not start the job twice.
   */
  async submitBatch(request: CreateBatchRequest, options: SubmitBatchOptions = {}): Promise<Batch> {
    const body = validateBatchRequest(request);
    if (options.reattach) {
      if (typeof body.name !== "string") {
        throw new LivyError(
          "INVALID_ARGUMENT",
          "Invalid name: reattach needs the batch to have a name",
          {
            field: "name",
          },
        );
      }
      const existing = await this.findBatchByName(body.name, { ...options, live: true });
      if (existing) {
        this.logger?.info?.(`livy: reattached to live batch ${existing.id} named ${body.name}`);
        return existing;
      }
    }
    return expectBatch(await this.#post<Batch>("/batches", body, options), "POST /batches");
  }

  /**
   * Finds the newest batch with this name (optionally only one that is still live), scanning
   * every page of `GET /batches`.
   */
  async findBatchByName(
    name: string,
    options: CallOptions & { live?: boolean } = {},
  ): Promise<Batch | undefined> {
    const all = await this.listAllBatches(options);
    const matches = all
      .filter((batch) => batch.name === name)
      .filter((batch) => !options.live || !isTerminalBatchState(batch.state))
      .sort((a, b) => b.id - a.id);
    return matches[0];
  }

  /** `GET /batches?from=&size=`. */
  async listBatches(options: PageOptions & CallOptions = {}): Promise<SessionList<Batch>> {
    const list = await this.#get<SessionList<Batch>>("/batches", {
      ...options,
      query: pageQuery(options),
    });
    return expectList(list, "GET /batches");
  }

  /** Every batch the server holds, following `from`/`size` pages. */
  async listAllBatches(options: CallOptions & { pageSize?: number } = {}): Promise<Batch[]> {
    const size = options.pageSize ?? 1000;
    const all: Batch[] = [];
    for (let from = 0; ; ) {
      const page = await this.listBatches({
        from,
        size,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      all.push(...page.sessions);
      from += page.sessions.length;
      if (page.sessions.length === 0 || from >= page.total) return all;
    }
  }

  /** `GET /batches/{id}`. */
  async getBatch(id: number, options?: CallOptions): Promise<Batch> {
    validateId("batchId", id);
    return expectBatch(await this.#get<Batch>(`/batches/${id}`, options), `GET /batches/${id}`);
  }

  /** `GET /batches/{id}/state`. */
  async getBatchState(id: number, options?: CallOptions): Promise<StateResponse> {
    validateId("batchId", id);
    return expectState(
      await this.#get<StateResponse>(`/batches/${id}/state`, options),
      `GET /batches/${id}/state`,
    );
  }

  /** `GET /batches/{id}/log?from=&size=` (without `from`: the last `size` lines). */
  async getBatchLog(id: number, options: PageOptions & CallOptions = {}): Promise<LogResponse> {
    validateId("batchId", id);
    const log = await this.#get<LogResponse>(`/batches/${id}/log`, {
      ...options,
      query: pageQuery(options),
    });
    return expectLog(log, `GET /batches/${id}/log`);
  }

  /** `DELETE /batches/{id}`: kills the batch and makes the server forget it. */
  async deleteBatch(id: number, options?: CallOptions): Promise<MessageResponse> {
    validateId("batchId", id);
    return this.#delete(`/batches/${id}`, options);
  }

  /** Waits for a batch to finish, streaming its log; see {@link waitForBatch}. */
  waitForBatch(id: number, options?: WaitForBatchOptions): Promise<Batch> {
    return waitForBatch(this, id, options);
  }

  /** Waits for many batches with one list call per interval; see {@link watchBatches}. */
  watchBatches(ids: readonly number[], options?: WatchBatchesOptions): Promise<WatchBatchesResult> {
    return watchBatches(this, ids, options);
  }

  // ── interactive sessions ───────────────────────────────────────────────────────────────────

  /** `POST /sessions`. Never retried. */
  async createSession(request: CreateSessionRequest = {}, options?: CallOptions): Promise<Session> {
    const body = validateSessionRequest(request);
    return expectSession(await this.#post<Session>("/sessions", body, options), "POST /sessions");
  }

  /** Creates a session and waits until it is idle; returns a handle to run code in it. */
  async startSession(
    request: CreateSessionRequest = {},
    options: WaitIdleOptions = {},
  ): Promise<LivySession> {
    const created = await this.createSession(request, options);
    const session = new LivySession(this, created.id);
    await session.waitUntilIdle(options);
    return session;
  }

  /** A handle on an existing session. */
  session(id: number): LivySession {
    return new LivySession(this, validateId("sessionId", id));
  }

  /** `GET /sessions?from=&size=`. */
  async listSessions(options: PageOptions & CallOptions = {}): Promise<SessionList<Session>> {
    const list = await this.#get<SessionList<Session>>("/sessions", {
      ...options,
      query: pageQuery(options),
    });
    return expectList(list, "GET /sessions");
  }

  /** `GET /sessions/{id}`. */
  async getSession(id: number, options?: CallOptions): Promise<Session> {
    validateId("sessionId", id);
    return expectSession(
      await this.#get<Session>(`/sessions/${id}`, options),
      `GET /sessions/${id}`,
    );
  }

  /** `GET /sessions/{id}/state`. */
  async getSessionState(id: number, options?: CallOptions): Promise<StateResponse> {
    validateId("sessionId", id);
    return expectState(
      await this.#get<StateResponse>(`/sessions/${id}/state`, options),
      `GET /sessions/${id}/state`,
    );
  }

  /** `GET /sessions/{id}/log?from=&size=`. */
  async getSessionLog(id: number, options: PageOptions & CallOptions = {}): Promise<LogResponse> {
    validateId("sessionId", id);
    const log = await this.#get<LogResponse>(`/sessions/${id}/log`, {
      ...options,
      query: pageQuery(options),
    });
    return expectLog(log, `GET /sessions/${id}/log`);
  }

  /** `DELETE /sessions/{id}`. */
  async deleteSession(id: number, options?: CallOptions): Promise<MessageResponse> {
    validateId("sessionId", id);
    return this.#delete(`/sessions/${id}`, options);
  }

  /** `POST /sessions/{id}/statements`: queues code and returns at once (see {@link LivySession.run}). */
  async runStatement(
    sessionId: number,
    request: { code: string; kind?: StatementKind },
    options?: CallOptions,
  ): Promise<Statement> {
    validateId("sessionId", sessionId);
    const body = validateStatementRequest(request);
    const path = `/sessions/${sessionId}/statements`;
    return expectStatement(await this.#post<Statement>(path, body, options), `POST ${path}`);
  }

  /** `GET /sessions/{id}/statements`. */
  async listStatements(
    sessionId: number,
    options: PageOptions & CallOptions = {},
  ): Promise<StatementList> {
    validateId("sessionId", sessionId);
    const path = `/sessions/${sessionId}/statements`;
    const list = await this.#get<StatementList>(path, { ...options, query: pageQuery(options) });
    if (!list || !Array.isArray(list.statements))
      throw shapeError(`GET ${path}`, "statements", list);
    return list;
  }

  /** `GET /sessions/{id}/statements/{statementId}`. */
  async getStatement(
    sessionId: number,
    statementId: number,
    options?: CallOptions,
  ): Promise<Statement> {
    validateId("sessionId", sessionId);
    validateId("statementId", statementId);
    const path = `/sessions/${sessionId}/statements/${statementId}`;
    return expectStatement(await this.#get<Statement>(path, options), `GET ${path}`);
  }

  /** `POST /sessions/{id}/statements/{statementId}/cancel`. */
  async cancelStatement(
    sessionId: number,
    statementId: number,
    options?: CallOptions,
  ): Promise<MessageResponse> {
    validateId("sessionId", sessionId);
    validateId("statementId", statementId);
    const path = `/sessions/${sessionId}/statements/${statementId}/cancel`;
    return (await this.#post<MessageResponse>(path, undefined, options)) ?? { msg: "canceled" };
  }

  /** `POST /sessions/{id}/completion`: code completion candidates at `cursor`. */
  async completion(
    sessionId: number,
    request: CompletionRequest,
    options?: CallOptions,
  ): Promise<CompletionResponse> {
    validateId("sessionId", sessionId);
    const body = validateCompletionRequest(request);
    const path = `/sessions/${sessionId}/completion`;
    const response = await this.#post<CompletionResponse>(path, body, options);
    if (!response || !Array.isArray(response.candidates))
      throw shapeError(`POST ${path}`, "candidates", response);
    return response;
  }

  /** `GET /version`. */
  async version(options?: CallOptions): Promise<VersionResponse> {
    const version = await this.#get<VersionResponse>("/version", options);
    if (!version || typeof version.version !== "string")
      throw shapeError("GET /version", "version", version);
    return version;
  }
}

/** A handle on one interactive session. */
export class LivySession {
  constructor(
    readonly client: LivyClient,
    readonly id: number,
  ) {}

  /** The session as the server sees it now. */
  info(options?: CallOptions): Promise<Session> {
    return this.client.getSession(this.id, options);
  }

  /** Waits until the session is `idle`; throws `SESSION_FAILED` if it ends first. */
  async waitUntilIdle(options: WaitIdleOptions = {}): Promise<Session> {
    const started = this.client.now();
    const interval = options.pollIntervalMs ?? 500;
    let last = "";
    for (;;) {
      const session = await this.client.getSession(this.id, options);
      if (session.state !== last) {
        last = session.state;
        options.onState?.(session.state);
      }
      if (session.state === "idle") return session;
      if (isEndedSessionState(session.state)) {
        throw new LivyError(
          "SESSION_FAILED",
          `Livy session ${this.id} is ${session.state} and cannot run code; last log lines:\n${session.log.join("\n")}`,
          { sessionId: this.id },
        );
      }
      if (options.timeoutMs !== undefined && this.client.now() - started >= options.timeoutMs) {
        throw new LivyError(
          "TIMEOUT",
          `Livy session ${this.id} was not idle within ${options.timeoutMs} ms (state ${session.state})`,
          {
            sessionId: this.id,
          },
        );
      }
      await sleepOrAbort(this.client, interval, options.signal);
    }
  }

  /**
   * Runs code and returns its output. An output with `status: "error"` throws `STATEMENT_FAILED`
   * with `ename`, `evalue` and `traceback`; a cancelled statement throws `STATEMENT_CANCELLED`.
   */
  async run(code: string, options: RunOptions = {}): Promise<StatementResult> {
    const statement = await this.client.runStatement(
      this.id,
      { code, ...(options.kind ? { kind: options.kind } : {}) },
      options,
    );
    const started = this.client.now();
    let current = statement;
    for (;;) {
      if (["available", "error", "cancelled"].includes(current.state)) break;
      if (options.timeoutMs !== undefined && this.client.now() - started >= options.timeoutMs) {
        await this.client.cancelStatement(this.id, current.id).catch(() => undefined);
        throw new LivyError(
          "TIMEOUT",
          `Livy statement ${current.id} in session ${this.id} did not finish within ${options.timeoutMs} ms; it was cancelled`,
          { sessionId: this.id, statementId: current.id },
        );
      }
      await sleepOrAbort(this.client, options.pollIntervalMs ?? 250, options.signal);
      current = await this.client.getStatement(this.id, statement.id, options);
    }
    return statementResult(this.id, current);
  }

  /** Cancels a statement. */
  cancel(statementId: number, options?: CallOptions): Promise<MessageResponse> {
    return this.client.cancelStatement(this.id, statementId, options);
  }

  /** Completion candidates. */
  complete(request: CompletionRequest, options?: CallOptions): Promise<CompletionResponse> {
    return this.client.completion(this.id, request, options);
  }

  /** Deletes the session. */
  close(options?: CallOptions): Promise<MessageResponse> {
    return this.client.deleteSession(this.id, options);
  }
}

/** Turns a finished statement into its result or the matching {@link LivyError}. */
export function statementResult(sessionId: number, statement: Statement): StatementResult {
  const output = statement.output;
  if (statement.state === "cancelled" || statement.state === "cancelling") {
    throw new LivyError(
      "STATEMENT_CANCELLED",
      `Livy statement ${statement.id} in session ${sessionId} was cancelled`,
      {
        sessionId,
        statementId: statement.id,
      },
    );
  }
  if (output?.status === "error") {
    const traceback = Array.isArray(output.traceback) ? output.traceback.map(String) : [];
    throw new LivyError(
      "STATEMENT_FAILED",
      `Livy statement ${statement.id} in session ${sessionId} failed: ${output.ename}: ${output.evalue}`,
      {
        sessionId,
        statementId: statement.id,
        ename: String(output.ename),
        evalue: String(output.evalue),
        traceback,
      },
    );
  }
  if (output?.status !== "ok" || typeof output.data !== "object" || output.data === null) {
    throw new LivyError(
      "INVALID_RESPONSE",
      `Livy statement ${statement.id} in session ${sessionId} ended in state ${statement.state} without a readable output`,
      { sessionId, statementId: statement.id },
    );
  }
  const data = output.data;
  const result: StatementResult = { statement, data };
  const text = data["text/plain"];
  if (typeof text === "string") result.text = text;
  if ("application/json" in data) result.json = data["application/json"];
  return result;
}

async function sleepOrAbort(
  client: LivyClient,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  try {
    await client.sleep(ms, signal);
  } catch (cause) {
    throw new LivyError("ABORTED", "Waiting for Livy was aborted", { cause });
  }
}

function shapeError(where: string, field: string, value: unknown): LivyError {
  const got = JSON.stringify(value)?.slice(0, 200) ?? String(value);
  return new LivyError(
    "INVALID_RESPONSE",
    `Livy ${where} returned an unexpected body (no valid "${field}"): ${got}`,
    {
      body: got,
    },
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function expectBatch(value: Batch, where: string): Batch {
  if (!isObject(value) || typeof value.id !== "number") throw shapeError(where, "id", value);
  if (typeof value.state !== "string") throw shapeError(where, "state", value);
  if (!Array.isArray(value.log)) value.log = [];
  if (!isObject(value.appInfo)) value.appInfo = {};
  if (value.appId === undefined) value.appId = null;
  return value;
}

function expectSession(value: Session, where: string): Session {
  expectBatch(value as unknown as Batch, where);
  return value;
}

function expectState(value: StateResponse, where: string): StateResponse {
  if (!isObject(value) || typeof value.state !== "string") throw shapeError(where, "state", value);
  return value;
}

function expectList<T>(value: SessionList<T>, where: string): SessionList<T> {
  if (!isObject(value) || !Array.isArray(value.sessions))
    throw shapeError(where, "sessions", value);
  if (typeof value.total !== "number") value.total = value.sessions.length;
  if (typeof value.from !== "number") value.from = 0;
  return value;
}

function expectLog(value: LogResponse, where: string): LogResponse {
  if (!isObject(value) || !Array.isArray(value.log)) throw shapeError(where, "log", value);
  if (typeof value.from !== "number") throw shapeError(where, "from", value);
  if (typeof value.total !== "number") throw shapeError(where, "total", value);
  return value;
}

function expectStatement(value: Statement, where: string): Statement {
  if (!isObject(value) || typeof value.id !== "number") throw shapeError(where, "id", value);
  if (typeof value.state !== "string") throw shapeError(where, "state", value);
  if (value.output === undefined) value.output = null;
  return value;
}

export type { RetryOptions };
