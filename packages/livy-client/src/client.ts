import { setTimeout as delay } from "node:timers/promises";
import { LivyHttp, type LivyHttpOptions } from "./adapters/http.js";
import type { RetryOptions } from "./core/retry.js";
import { isTerminalBatchState } from "./core/states.js";
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
import { isLivyError, LivyError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { BatchWaitPort, CallOptions, SessionPort } from "./ports.js";
import { LivySession, type WaitIdleOptions } from "./session.js";
import {
  type WaitForBatchOptions,
  type WatchBatchesOptions,
  type WatchBatchesResult,
  waitForBatch,
  watchBatches,
} from "./wait.js";

export type { CallOptions } from "./ports.js";

/** Options of {@link LivyClient}. */
export interface LivyClientOptions extends LivyHttpOptions {}

/** Options of {@link LivyClient.submitBatch}. */
export interface SubmitBatchOptions extends CallOptions {
  /**
   * Before creating, look for a batch with the same `name` (live or finished, as long as Livy
   * still holds it) and return it instead of starting the job again. Requires `name`. Use it when
   * an orchestrator may retry a submission whose response was lost. @defaultValue false
   */
  reattach?: boolean;
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
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #now: () => number;
  readonly #logger: Logger | undefined;
  /** This client as the port the batch waits depend on (see ports.ts). */
  readonly #waitPort: BatchWaitPort;
  /** This client as the port session handles depend on. */
  readonly #sessionPort: SessionPort;

  constructor(options: LivyClientOptions) {
    if (typeof options !== "object" || options === null) {
      throw new LivyError("INVALID_ARGUMENT", "LivyClient needs an options object with a url", {
        field: "options",
      });
    }
    this.#http = new LivyHttp(options);
    this.url = this.#http.baseUrl;
    this.#sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
    const clock = { now: () => this.#now(), sleep: this.#sleep };
    this.#waitPort = {
      ...clock,
      logger: this.#logger,
      getBatch: (id, o) => this.getBatch(id, o),
      getBatchLog: (id, o) => this.getBatchLog(id, o),
      deleteBatch: (id, o) => this.deleteBatch(id, o),
      listBatches: (o) => this.listBatches(o),
    };
    this.#sessionPort = {
      ...clock,
      getSession: (id, o) => this.getSession(id, o),
      runStatement: (id, request, o) => this.runStatement(id, request, o),
      getStatement: (id, statementId, o) => this.getStatement(id, statementId, o),
      cancelStatement: (id, statementId, o) => this.cancelStatement(id, statementId, o),
      completion: (id, request, o) => this.completion(id, request, o),
      deleteSession: (id, o) => this.deleteSession(id, o),
    };
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
   * batch of the same `name` that Livy still holds (running or finished), so a retried
   * orchestrator step neither starts the job twice nor fails with "Duplicate session name".
   */
  async submitBatch(request: CreateBatchRequest, options: SubmitBatchOptions = {}): Promise<Batch> {
    const body = validateBatchRequest(request);
    if (!options.reattach) {
      return expectBatch(await this.#post<Batch>("/batches", body, options), "POST /batches");
    }
    const name = body.name;
    if (typeof name !== "string") {
      throw new LivyError(
        "INVALID_ARGUMENT",
        "Invalid name: reattach needs the batch to have a name",
        {
          field: "name",
        },
      );
    }
    const existing = await this.findBatchByName(name, options);
    if (existing) {
      this.#logger?.info(
        `livy: reattached to batch ${existing.id} (${existing.state}) named ${name}`,
      );
      return existing;
    }
    try {
      return expectBatch(await this.#post<Batch>("/batches", body, options), "POST /batches");
    } catch (error) {
      // Another submitter created the name between the lookup and the POST: that batch is ours.
      if (isLivyError(error, "BAD_REQUEST") && /Duplicate session name/.test(error.body ?? "")) {
        const raced = await this.findBatchByName(name, options);
        if (raced) return raced;
      }
      throw error;
    }
  }

  /**
   * Finds the newest batch with this name (optionally only one that is still live). Asks
   * `GET /batches/{name}` first (Livy 0.7+ resolves names in paths); when the server cannot (an
   * all-digit name, an older Livy answering 400), scans every page of `GET /batches`.
   */
  async findBatchByName(
    name: string,
    options: CallOptions & { live?: boolean } = {},
  ): Promise<Batch | undefined> {
    const wanted = (batch: Batch | undefined) =>
      batch !== undefined &&
      batch.name === name &&
      (!options.live || !isTerminalBatchState(batch.state));
    if (!/^\d+$/.test(name)) {
      const path = `/batches/${encodeURIComponent(name)}`;
      try {
        const batch = expectBatch(await this.#get<Batch>(path, options), `GET ${path}`);
        if (batch.name === name) return wanted(batch) ? batch : undefined;
      } catch (error) {
        if (isLivyError(error, "NOT_FOUND")) return undefined;
        if (!isLivyError(error, "BAD_REQUEST")) throw error;
      }
    }
    const all = await this.listAllBatches(options);
    return all.filter(wanted).sort((a, b) => b.id - a.id)[0];
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
    return waitForBatch(this.#waitPort, id, options);
  }

  /** Waits for many batches with one list call per interval; see {@link watchBatches}. */
  watchBatches(ids: readonly number[], options?: WatchBatchesOptions): Promise<WatchBatchesResult> {
    return watchBatches(this.#waitPort, ids, options);
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
    const session = new LivySession(this.#sessionPort, created.id);
    await session.waitUntilIdle(options);
    return session;
  }

  /** A handle on an existing session. */
  session(id: number): LivySession {
    return new LivySession(this.#sessionPort, validateId("sessionId", id));
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
