import type { Worker } from "node:worker_threads";
import type { Session, SessionState, Statement, StatementOutput } from "../core/types.js";
import { canonicalKind } from "./fields.js";
import { HttpFailure } from "./http.js";
import { LineBuffer } from "./log-buffer.js";
import { durationMs, lookup, view } from "./records.js";
import type { WorkerReply } from "./session-worker.js";
import { startSessionWorker } from "./worker-launch.js";

/** What the session room needs from the server. */
export interface SessionRoomOptions {
  now: () => number;
  logLines: number;
  retainMs: number;
  /** Whether one more worker may start (`livy.server.session.max-creation`). */
  mayCreate: () => boolean;
}

interface StatementRecord {
  id: number;
  code: string;
  kind: string;
  state: Statement["state"];
  output: StatementOutput | null;
  progress: number;
  started: number;
  completed: number;
}

/** The fields of Livy 0.8's `SessionInfo` that come from the create request. */
interface SessionSettings {
  proxyUser: string | null;
  ttl: string | null;
  driverMemory: string | null;
  driverCores: number;
  executorMemory: string | null;
  executorCores: number;
  conf: Record<string, string>;
  archives: string[];
  files: string[];
  heartbeatTimeoutInSecond: number;
  jars: string[];
  numExecutors: number;
  pyFiles: string[];
  queue: string | null;
}

interface SessionRecord extends SessionSettings {
  id: number;
  name: string | null;
  kind: string;
  state: SessionState;
  appId: string | null;
  log: LineBuffer;
  worker?: Worker;
  statements: StatementRecord[];
  queue_: StatementRecord[];
  running?: StatementRecord;
  pending: Map<number, (candidates: string[]) => void>;
  nextRequest: number;
  forgetTimer?: NodeJS.Timeout;
  deleted: boolean;
  ttlMs: number | null;
  /** Deadline set by the first heartbeat; a session never heartbeated never expires (Livy). */
  heartbeatDeadline: number | null;
  lastActivity: number;
}

/** Statement kinds a statement may name (Livy's kinds and aliases, plus `javascript`). */
const STATEMENT_KINDS = new Set(["spark", "pyspark", "sparkr", "sql", "javascript"]);

/**
 * Interactive sessions and their statements. Statements run as JavaScript in a worker thread
 * (a dev-only extension: Spark kinds answer with an error output).
 */
export class SessionRoom {
  readonly #byId = new Map<number, SessionRecord>();
  readonly #byName = new Map<string, SessionRecord>();
  #nextId = 0;
  #closing = false;

  constructor(readonly options: SessionRoomOptions) {}

  /** Workers alive. */
  get liveWorkers(): number {
    let live = 0;
    for (const session of this.#byId.values()) if (session.worker) live++;
    return live;
  }

  list(from: number, size: number): { from: number; total: number; sessions: Session[] } {
    const all = [...this.#byId.values()];
    return { from, total: all.length, sessions: view(all, from, from + size).map(sessionView) };
  }

  /** Looks a session up by id or name; every access by id is a heartbeat, as in Livy. */
  get(segment: string): SessionRecord {
    const session = lookup(segment, this.#byId, this.#byName);
    if (session.heartbeatTimeoutInSecond > 0) {
      session.heartbeatDeadline = this.options.now() + session.heartbeatTimeoutInSecond * 1000;
    }
    return session;
  }

  view(session: SessionRecord): Session {
    return sessionView(session);
  }

  state(session: SessionRecord): { id: number; state: string } {
    return { id: session.id, state: session.state };
  }

  log(session: SessionRecord): readonly string[] {
    return session.log.lines;
  }

  /** `POST /sessions` with a parsed request. */
  create(request: Record<string, unknown>): Session {
    const kind = request.kind === undefined ? "shared" : canonicalKind(String(request.kind));
    const ttl = typeof request.ttl === "string" ? request.ttl : null;
    const ttlMs = ttl === null ? null : durationMs(ttl);
    if (ttl !== null && ttlMs === null) {
      throw new HttpFailure(400, `Invalid ttl: ${ttl}`);
    }
    if (!this.options.mayCreate()) {
      throw new HttpFailure(400, "Rejected, too many sessions are being created!");
    }
    const id = this.#nextId++;
    const name = typeof request.name === "string" ? request.name : null;
    if (name !== null && this.#byName.has(name)) {
      throw new HttpFailure(
        400,
        `Rejected, Reason: Duplicate session name: Some(${name}) for session ${id}`,
      );
    }
    const strings = (key: string) => (request[key] as string[] | undefined) ?? [];
    const text = (key: string) =>
      typeof request[key] === "string" ? (request[key] as string) : null;
    const int = (key: string) => (typeof request[key] === "number" ? (request[key] as number) : 0);
    const now = this.options.now();
    const session: SessionRecord = {
      id,
      name,
      kind,
      state: "starting",
      appId: null,
      log: new LineBuffer(this.options.logLines),
      statements: [],
      queue_: [],
      pending: new Map(),
      nextRequest: 0,
      deleted: false,
      ttlMs,
      heartbeatDeadline: null,
      lastActivity: now,
      proxyUser: text("proxyUser"),
      ttl,
      driverMemory: text("driverMemory"),
      driverCores: int("driverCores"),
      executorMemory: text("executorMemory"),
      executorCores: int("executorCores"),
      conf: (request.conf as Record<string, string> | undefined) ?? {},
      archives: strings("archives"),
      files: strings("files"),
      heartbeatTimeoutInSecond: int("heartbeatTimeoutInSecond"),
      jars: strings("jars"),
      numExecutors: int("numExecutors"),
      pyFiles: strings("pyFiles"),
      queue: text("queue"),
    };
    if (name !== null) this.#byName.set(name, session);
    this.#byId.set(id, session);
    session.log.push(`dev-server: starting ${kind} session ${id} (statements run as JavaScript)`);
    this.#startWorker(session);
    return sessionView(session);
  }

  /** `POST /sessions/{id}/statements`. */
  runStatement(session: SessionRecord, request: Record<string, unknown>): Statement {
    this.#ensureRunning(session);
    const code = request.code;
    if (typeof code !== "string") {
      throw new HttpFailure(400, "requirement failed: Code is required.");
    }
    let kind: string;
    if (typeof request.kind === "string") kind = canonicalKind(request.kind);
    else if (session.kind === "shared")
      throw new HttpFailure(
        400,
        "requirement failed: Statement kind is required for shared sessions.",
      );
    else kind = session.kind;
    if (!STATEMENT_KINDS.has(kind)) throw new HttpFailure(400, `Invalid kind: ${kind}`);
    const statement: StatementRecord = {
      id: session.statements.length,
      code,
      kind,
      state: "waiting",
      output: null,
      progress: 0,
      started: 0,
      completed: 0,
    };
    session.statements.push(statement);
    session.queue_.push(statement);
    session.lastActivity = this.options.now();
    const result = statementView(statement);
    this.#pump(session);
    return result;
  }

  /** `GET /sessions/{id}/statements` with Livy's `order`, `from` and `size`. */
  listStatements(
    session: SessionRecord,
    order: string | null,
    from: number,
    size: number | undefined,
  ): { total_statements: number; statements: Statement[] } {
    const ordered =
      order?.trim().toLowerCase() === "desc"
        ? [...session.statements].reverse()
        : session.statements;
    const count = size ?? ordered.length;
    return {
      total_statements: ordered.length,
      statements: view(ordered, from, from + count).map(statementView),
    };
  }

  statement(session: SessionRecord, id: number): Statement {
    const statement = session.statements[id];
    if (!statement) throw new HttpFailure(404, "Statement not found", "string");
    return statementView(statement);
  }

  /** `POST /sessions/{id}/statements/{statementId}/cancel`. */
  async cancelStatement(session: SessionRecord, id: number): Promise<void> {
    this.#ensureRunning(session);
    const statement = session.statements[id];
    if (!statement) return; // Livy's REPL ignores unknown statement ids here.
    const now = this.options.now;
    if (statement.state === "waiting") {
      session.queue_ = session.queue_.filter((s) => s !== statement);
      statement.state = "cancelled";
      statement.completed = now();
    } else if (statement.state === "running" && session.running === statement) {
      // A JavaScript statement cannot be interrupted in place: the worker is replaced, which
      // also resets the session's variables (logged so the user can tell).
      statement.state = "cancelling";
      const worker = session.worker;
      session.worker = undefined;
      session.running = undefined;
      await worker?.terminate();
      statement.state = "cancelled";
      statement.completed = now();
      session.log.push(
        `dev-server: statement ${statement.id} cancelled; worker restarted, variables reset`,
      );
      session.state = "starting";
      if (!session.deleted && !this.#closing) this.#startWorker(session);
    }
  }

  /** `POST /sessions/{id}/completion`. */
  completion(session: SessionRecord, request: Record<string, unknown>): Promise<string[]> {
    this.#ensureRunning(session);
    const code = typeof request.code === "string" ? request.code : "";
    const cursor = typeof request.cursor === "number" ? request.cursor : code.length;
    const kind = typeof request.kind === "string" ? canonicalKind(request.kind) : "";
    const worker = session.worker;
    if (!worker || kind !== "javascript") return Promise.resolve([]);
    const id = session.nextRequest++;
    return new Promise((resolve) => {
      session.pending.set(id, resolve);
      worker.postMessage({ type: "complete", id, code, cursor });
    });
  }

  /**
   * `POST /sessions/{id}/stop` (and `/interrupt`, which Livy 0.8 implements as stop): the
   * session ends `dead` and stays listed until its retention passes.
   */
  async stop(session: SessionRecord): Promise<void> {
    if (session.state === "dead" || session.state === "shutting_down") return;
    session.state = "shutting_down";
    const worker = session.worker;
    session.worker = undefined;
    await worker?.terminate();
    this.#end(session, "dev-server: session stopped");
  }

  /** `POST /sessions/{id}/connect`: records activity and returns the view. */
  connect(session: SessionRecord): Session {
    session.lastActivity = this.options.now();
    return sessionView(session);
  }

  /** `DELETE /sessions/{id}`. */
  async delete(session: SessionRecord): Promise<void> {
    this.#forget(session);
    const worker = session.worker;
    session.worker = undefined;
    await worker?.terminate();
  }

  /**
   * Sessions Livy's garbage collector would delete at `now`: heartbeat overdue (only once a
   * heartbeat set a deadline) or idle for longer than the session's `ttl`.
   */
  expired(now: number): SessionRecord[] {
    return [...this.#byId.values()].filter(
      (session) =>
        (session.heartbeatDeadline !== null && now > session.heartbeatDeadline) ||
        (session.ttlMs !== null &&
          session.state === "idle" &&
          now - session.lastActivity > session.ttlMs),
    );
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(
      [...this.#byId.values()].map(async (session) => {
        clearTimeout(session.forgetTimer);
        session.deleted = true;
        const worker = session.worker;
        session.worker = undefined;
        await worker?.terminate();
      }),
    );
    this.#byId.clear();
    this.#byName.clear();
  }

  // Livy's InteractiveSession: a starting session answers 500 (ensureRunning's
  // IllegalStateException through JsonServlet's error handler), an ended one 400 (ensureActive).
  #ensureRunning(session: SessionRecord): void {
    if (["dead", "error", "killed", "success", "shutting_down"].includes(session.state)) {
      throw new HttpFailure(400, "requirement failed: Session isn't active.");
    }
    if (session.state !== "idle" && session.state !== "busy") {
      throw new HttpFailure(
        500,
        `java.lang.IllegalStateException: Session is in state ${session.state}`,
        "string",
      );
    }
  }

  #forget(session: SessionRecord): void {
    session.deleted = true;
    clearTimeout(session.forgetTimer);
    this.#byId.delete(session.id);
    if (session.name !== null && this.#byName.get(session.name) === session)
      this.#byName.delete(session.name);
  }

  #end(session: SessionRecord, line: string): void {
    const now = this.options.now();
    session.state = "dead";
    session.log.push(line);
    for (const statement of [session.running, ...session.queue_]) {
      if (!statement) continue;
      statement.state = "error";
      statement.output = {
        status: "error",
        execution_count: statement.id,
        ename: "SessionDied",
        evalue:
          "The session's JavaScript worker exited (process.exit, a crash or a stop) before the statement finished.",
        traceback: [],
      };
      statement.completed = now;
    }
    session.running = undefined;
    session.queue_ = [];
    session.forgetTimer = setTimeout(() => this.#forget(session), this.options.retainMs);
    session.forgetTimer.unref();
  }

  #startWorker(session: SessionRecord): void {
    const now = this.options.now;
    const worker = startSessionWorker();
    session.worker = worker;
    worker.stdout
      .setEncoding("utf8")
      .on("data", (chunk: string) => session.log.write("stdout", chunk));
    worker.stderr
      .setEncoding("utf8")
      .on("data", (chunk: string) => session.log.write("stderr", chunk));
    worker.on("online", () => {
      if (session.state === "starting") {
        session.state = "idle";
        session.appId ??= `local-${now()}`;
        session.log.push("dev-server: JavaScript worker ready");
      }
      this.#pump(session);
    });
    worker.on("message", (message: WorkerReply) => {
      if (message.type === "completion") {
        session.pending.get(message.id)?.(message.candidates);
        session.pending.delete(message.id);
        return;
      }
      const statement = session.running;
      if (!statement || statement.id !== message.id) return;
      statement.output = message.output as StatementOutput;
      statement.state = "available";
      statement.progress = 1;
      statement.completed = now();
      session.running = undefined;
      session.state = "idle";
      session.lastActivity = now();
      this.#pump(session);
    });
    worker.on("error", (error) => {
      session.log.push(`dev-server: worker failed: ${error.message}`);
    });
    worker.on("exit", () => {
      if (session.worker !== worker) return;
      session.worker = undefined;
      if (session.deleted) return;
      this.#end(session, "dev-server: worker exited");
    });
  }

  #pump(session: SessionRecord): void {
    if (session.running || session.state !== "idle" || !session.worker) return;
    const statement = session.queue_.shift();
    if (!statement) return;
    const now = this.options.now;
    if (statement.kind !== "javascript") {
      statement.state = "available";
      statement.output = {
        status: "error",
        execution_count: statement.id,
        ename: "NotSupported",
        evalue: `The Livy dev server runs no Spark; it only runs statements of kind "javascript" (this one is "${statement.kind}").`,
        traceback: [],
      };
      statement.started = statement.completed = now();
      statement.progress = 1;
      this.#pump(session);
      return;
    }
    session.running = statement;
    session.state = "busy";
    statement.state = "running";
    statement.started = now();
    session.worker.postMessage({ type: "run", id: statement.id, code: statement.code });
  }
}

function sessionView(session: SessionRecord): Session {
  return {
    id: session.id,
    name: session.name,
    appId: session.appId,
    owner: null,
    proxyUser: session.proxyUser,
    state: session.state,
    kind: session.kind,
    appInfo: { driverLogUrl: null, sparkUiUrl: null },
    log: session.log.lines.slice(-10),
    ttl: session.ttl,
    driverMemory: session.driverMemory,
    driverCores: session.driverCores,
    executorMemory: session.executorMemory,
    executorCores: session.executorCores,
    conf: session.conf,
    archives: session.archives,
    files: session.files,
    heartbeatTimeoutInSecond: session.heartbeatTimeoutInSecond,
    jars: session.jars,
    numExecutors: session.numExecutors,
    pyFiles: session.pyFiles,
    queue: session.queue,
  };
}

function statementView(statement: StatementRecord): Statement {
  return {
    id: statement.id,
    code: statement.code,
    state: statement.state,
    output: statement.output,
    progress: statement.progress,
    started: statement.started,
    completed: statement.completed,
  };
}
