import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isAbsolute, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Batch, Session, SessionState, Statement, StatementOutput } from "../core/types.js";
import { LineBuffer, type LogLayout } from "./log-buffer.js";
import { WORKER_SOURCE } from "./worker-source.js";

/** Options of {@link createLivyDevServer}; each mirrors a Livy server setting. */
export interface LivyDevServerOptions {
  /** Require `X-Requested-By` on non-GET requests (`livy.server.csrf-protection.enabled`). @defaultValue false */
  csrf?: boolean;
  /** Reject creation once this many batch processes or session workers are live (`livy.server.session.max-creation`). @defaultValue 100 */
  maxSessions?: number;
  /** Forget a finished batch after this long (`livy.server.batch.state-retain-sec`). @defaultValue 600000 */
  batchStateRetainMs?: number;
  /** Forget a finished session after this long (`livy.server.session.state-retain.sec`). @defaultValue 600000 */
  sessionStateRetainMs?: number;
  /** Lines of output kept per batch or session (`livy.cache-log.size`). @defaultValue 200 */
  logBufferLines?: number;
  /** Directory relative batch `file`s are resolved against and processes run in. @defaultValue process.cwd() */
  cwd?: string;
  /** Extra environment for batch processes. */
  env?: Record<string, string>;
  /** Version reported by `GET /version`. @defaultValue "0.8.0-incubating" */
  version?: string;
  /** Clock for timestamps. @defaultValue Date.now */
  now?: () => number;
  /** Called for every request (method, path), e.g. to count requests in a benchmark. */
  onRequest?: (method: string, path: string) => void;
  /**
   * Batch log layout: `"interleaved"` (stdout and stderr in arrival order) or `"sections"` (Livy's
   * `stdout: ` … `\nstderr: ` … layout). @defaultValue "interleaved"
   */
  logLayout?: LogLayout;
  /** How often expired sessions (heartbeat timeout, ttl) are collected. @defaultValue 1000 */
  gcIntervalMs?: number;
}

/** Where to listen. */
export interface LivyDevServerListenOptions {
  /** Port; 0 picks a free one. @defaultValue 0 */
  port?: number;
  /** Interface; only loopback is sensible for a dev server. @defaultValue "127.0.0.1" */
  host?: string;
}

/** A running dev server. */
export interface RunningLivyDevServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Kills every batch process and session worker, then stops listening. */
  close(): Promise<void>;
}

/** The dev server before and after it listens. */
export interface LivyDevServer {
  /** Starts listening. */
  start(options?: LivyDevServerListenOptions): Promise<RunningLivyDevServer>;
  /** Same as the running server's `close()`. */
  close(): Promise<void>;
  /** Requests served so far. */
  readonly requestCount: number;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly html = false,
  ) {
    super(message);
  }
}

const BATCH_FIELDS: Record<string, "string" | "string[]" | "int" | "conf"> = {
  file: "string",
  proxyUser: "string",
  className: "string",
  args: "string[]",
  jars: "string[]",
  pyFiles: "string[]",
  files: "string[]",
  driverMemory: "string",
  driverCores: "int",
  executorMemory: "string",
  executorCores: "int",
  numExecutors: "int",
  archives: "string[]",
  queue: "string",
  name: "string",
  conf: "conf",
};

const SESSION_FIELDS: Record<string, "string" | "string[]" | "int" | "conf"> = {
  ...Object.fromEntries(
    Object.entries(BATCH_FIELDS).filter(([key]) => !["file", "className", "args"].includes(key)),
  ),
  kind: "string",
  heartbeatTimeoutInSecond: "int",
  ttl: "string",
};

const SESSION_KINDS = ["spark", "pyspark", "sparkr", "sql", "shared", "javascript"];
const STATEMENT_KINDS = ["spark", "pyspark", "sparkr", "sql", "javascript"];

interface BatchRecord {
  id: number;
  name: string | null;
  state: SessionState;
  appId: string | null;
  log: LineBuffer;
  child?: ChildProcess;
  forgetTimer?: NodeJS.Timeout;
  deleted: boolean;
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

interface SessionRecord {
  id: number;
  name: string | null;
  kind: string;
  proxyUser: string | null;
  state: SessionState;
  appId: string | null;
  log: LineBuffer;
  worker?: Worker;
  statements: StatementRecord[];
  queue: StatementRecord[];
  running?: StatementRecord;
  pending: Map<number, (value: unknown) => void>;
  nextRequest: number;
  forgetTimer?: NodeJS.Timeout;
  deleted: boolean;
  ttl: string | null;
  ttlMs: number | null;
  heartbeatTimeoutMs: number;
  lastHeartbeat: number;
  lastActivity: number;
}

/**
 * A Livy-compatible local server: the same paths, JSON shapes, status codes and state
 * transitions as Apache Livy 0.8, without Spark. A batch's `file` runs as a local process (a
 * Node script via the current `node` for `.js`/`.mjs`/`.cjs`, any other file as an executable)
 * and its output is the batch log; interactive sessions run JavaScript statements in a worker
 * thread (a dev-only extension: Spark kinds answer with an error output).
 *
 * @example
 * ```ts
 * const server = await createLivyDevServer({ csrf: true }).start({ port: 0 });
 * // … new LivyClient({ url: server.url }) …
 * await server.close();
 * ```
 */
export function createLivyDevServer(options: LivyDevServerOptions = {}): LivyDevServer {
  const now = options.now ?? Date.now;
  const maxSessions = options.maxSessions ?? 100;
  const batchRetain = options.batchStateRetainMs ?? 600_000;
  const sessionRetain = options.sessionStateRetainMs ?? 600_000;
  const logLines = options.logBufferLines ?? 200;
  const cwd = options.cwd ?? process.cwd();
  const batches = new Map<number, BatchRecord>();
  const sessions = new Map<number, SessionRecord>();
  const names = new Set<string>();
  let nextBatchId = 0;
  let nextSessionId = 0;
  let requestCount = 0;
  let closing = false;
  const exits = new Set<Promise<void>>();

  const liveChildren = () =>
    [...batches.values()].filter(
      (b) => b.child && b.child.exitCode === null && b.child.signalCode === null,
    ).length + [...sessions.values()].filter((s) => s.worker).length;

  // ── batches ──────────────────────────────────────────────────────────────────────────────

  const batchView = (batch: BatchRecord): Batch => ({
    id: batch.id,
    name: batch.name,
    owner: null,
    proxyUser: null,
    state: batch.state,
    appId: batch.appId,
    appInfo: { driverLogUrl: null, sparkUiUrl: null },
    log: batch.log.lines.slice(-10),
  });

  const finishBatch = (batch: BatchRecord, state: SessionState) => {
    if (batch.deleted) return;
    batch.state = state;
    batch.forgetTimer = setTimeout(() => forgetBatch(batch), batchRetain);
    batch.forgetTimer.unref();
  };

  const forgetBatch = (batch: BatchRecord) => {
    batch.deleted = true;
    clearTimeout(batch.forgetTimer);
    batches.delete(batch.id);
    if (batch.name) names.delete(batch.name);
  };

  const startBatch = (batch: BatchRecord, request: Record<string, unknown>) => {
    const raw = String(request.file);
    const file = raw.startsWith("file:") ? fileURLToPath(raw) : raw.replace(/^local:/, "");
    const path = isAbsolute(file) ? file : resolvePath(cwd, file);
    batch.log.push(`dev-server: launching ${path}`);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) && !raw.startsWith("file:")) {
      batch.log.push(`Error: the dev server runs local files only, not ${raw}`);
      finishBatch(batch, "dead");
      return;
    }
    if (!existsSync(path)) {
      batch.log.push(`Error: file not found: ${path}`);
      finishBatch(batch, "dead");
      return;
    }
    const args = (request.args as string[] | undefined) ?? [];
    const conf = (request.conf as Record<string, string> | undefined) ?? {};
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...options.env,
      LIVY_BATCH_ID: String(batch.id),
      LIVY_CONF: JSON.stringify(conf),
    };
    if (batch.name) env.LIVY_BATCH_NAME = batch.name;
    if (typeof request.className === "string") env.LIVY_CLASS_NAME = request.className;
    for (const [key, value] of Object.entries(conf)) {
      env[`SPARK_CONF_${key.replace(/[^A-Za-z0-9]/g, "_").toUpperCase()}`] = value;
    }
    const isNode = /\.(c|m)?js$/.test(path);
    const child = isNode
      ? spawn(process.execPath, [path, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
      : spawn(path, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    batch.child = child;
    child.stdout
      ?.setEncoding("utf8")
      .on("data", (chunk: string) => batch.log.write("stdout", chunk));
    child.stderr
      ?.setEncoding("utf8")
      .on("data", (chunk: string) => batch.log.write("stderr", chunk));
    child.on("spawn", () => {
      if (batch.state === "starting") {
        batch.state = "running";
        batch.appId = `local-${now()}-${child.pid}`;
      }
    });
    const exited = new Promise<void>((done) => {
      let settled = false;
      const settle = (state: SessionState, line: string) => {
        if (settled) return;
        settled = true;
        batch.log.flush();
        batch.log.push(line);
        finishBatch(batch, state);
        done();
      };
      child.on("error", (error) => settle("dead", `Error: cannot run ${path}: ${error.message}`));
      child.on("close", (code, signal) => {
        if (signal) settle("killed", `dev-server: process killed by ${signal}`);
        else
          settle(code === 0 ? "success" : "dead", `dev-server: process exited with code ${code}`);
      });
    });
    exits.add(exited);
    void exited.then(() => exits.delete(exited));
  };

  const createBatch = (body: unknown): Batch => {
    const request = checkBody(body, BATCH_FIELDS);
    if (typeof request.file !== "string")
      throw new HttpFailure(400, "requirement failed: File is required.");
    if (liveChildren() >= maxSessions) {
      throw new HttpFailure(400, "Rejected, too many sessions are being created!");
    }
    const name = typeof request.name === "string" ? request.name : null;
    if (name !== null && names.has(name))
      throw new HttpFailure(400, `Duplicate session name: ${name}`);
    const batch: BatchRecord = {
      id: nextBatchId++,
      name,
      state: "starting",
      appId: null,
      log: new LineBuffer(logLines, options.logLayout ?? "interleaved"),
      deleted: false,
    };
    if (name) names.add(name);
    batches.set(batch.id, batch);
    startBatch(batch, request);
    return batchView(batch);
  };

  const deleteBatch = async (batch: BatchRecord) => {
    forgetBatch(batch);
    const child = batch.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      await killProcess(child);
    }
  };

  // ── interactive sessions ──────────────────────────────────────────────────────────────────

  const sessionView = (session: SessionRecord): Session => ({
    id: session.id,
    name: session.name,
    appId: session.appId,
    owner: null,
    proxyUser: session.proxyUser,
    kind: session.kind,
    state: session.state,
    appInfo: { driverLogUrl: null, sparkUiUrl: null },
    log: session.log.lines.slice(-10),
    ...(session.ttl ? { ttl: session.ttl } : {}),
  });

  const statementView = (statement: StatementRecord): Statement => ({
    id: statement.id,
    code: statement.code,
    state: statement.state,
    output: statement.output,
    progress: statement.progress,
    started: statement.started,
    completed: statement.completed,
  });

  const startWorker = (session: SessionRecord) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, stdout: true, stderr: true });
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
      pump(session);
    });
    worker.on(
      "message",
      (message: { type: string; id: number; output?: StatementOutput; candidates?: string[] }) => {
        if (message.type === "completion") {
          session.pending.get(message.id)?.(message.candidates ?? []);
          session.pending.delete(message.id);
          return;
        }
        const statement = session.running;
        if (!statement || statement.id !== message.id || !message.output) return;
        statement.output = message.output;
        statement.state = "available";
        statement.progress = 1;
        statement.completed = now();
        session.running = undefined;
        session.state = "idle";
        session.lastActivity = now();
        pump(session);
      },
    );
    worker.on("error", (error) => {
      session.log.push(`dev-server: worker failed: ${error.message}`);
    });
    worker.on("exit", () => {
      if (session.worker !== worker) return;
      session.worker = undefined;
      if (session.deleted) return;
      session.state = "dead";
      session.log.push("dev-server: worker exited");
      for (const statement of [session.running, ...session.queue]) {
        if (!statement) continue;
        statement.state = "error";
        statement.output = {
          status: "error",
          execution_count: statement.id,
          ename: "SessionDied",
          evalue:
            "The session's JavaScript worker exited (process.exit or a crash) before the statement finished.",
          traceback: [],
        };
        statement.completed = now();
      }
      session.running = undefined;
      session.queue = [];
      session.forgetTimer = setTimeout(() => forgetSession(session), sessionRetain);
      session.forgetTimer.unref();
    });
  };

  const pump = (session: SessionRecord) => {
    if (session.running || session.state !== "idle" || !session.worker) return;
    const statement = session.queue.shift();
    if (!statement) return;
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
      pump(session);
      return;
    }
    session.running = statement;
    session.state = "busy";
    statement.state = "running";
    statement.started = now();
    session.worker.postMessage({ type: "run", id: statement.id, code: statement.code });
  };

  const forgetSession = (session: SessionRecord) => {
    session.deleted = true;
    clearTimeout(session.forgetTimer);
    sessions.delete(session.id);
    if (session.name) names.delete(session.name);
  };

  const createSession = (body: unknown): Session => {
    const request = checkBody(body ?? {}, SESSION_FIELDS);
    const kind = request.kind === undefined ? "shared" : String(request.kind);
    if (!SESSION_KINDS.includes(kind)) throw new HttpFailure(400, `Invalid kind: ${kind}`);
    if (liveChildren() >= maxSessions)
      throw new HttpFailure(400, "Rejected, too many sessions are being created!");
    const name = typeof request.name === "string" ? request.name : null;
    if (name !== null && names.has(name))
      throw new HttpFailure(400, `Duplicate session name: ${name}`);
    const session: SessionRecord = {
      id: nextSessionId++,
      name,
      kind,
      proxyUser: typeof request.proxyUser === "string" ? request.proxyUser : null,
      state: "starting",
      appId: null,
      log: new LineBuffer(logLines),
      statements: [],
      queue: [],
      pending: new Map(),
      nextRequest: 0,
      deleted: false,
      ttl: typeof request.ttl === "string" ? request.ttl : null,
      ttlMs: null,
      heartbeatTimeoutMs:
        typeof request.heartbeatTimeoutInSecond === "number"
          ? request.heartbeatTimeoutInSecond * 1000
          : 0,
      lastHeartbeat: now(),
      lastActivity: now(),
    };
    if (session.ttl !== null) {
      session.ttlMs = durationMs(session.ttl);
      if (session.ttlMs === null) throw new HttpFailure(400, `Invalid ttl: ${session.ttl}`);
    }
    if (name) names.add(name);
    sessions.set(session.id, session);
    session.log.push(
      `dev-server: starting ${kind} session ${session.id} (statements run as JavaScript)`,
    );
    startWorker(session);
    return sessionView(session);
  };

  const runStatement = (session: SessionRecord, body: unknown): Statement => {
    const request = checkBody(body, { code: "string", kind: "string" });
    if (typeof request.code !== "string")
      throw new HttpFailure(400, "requirement failed: Code is required.");
    const kind =
      typeof request.kind === "string"
        ? request.kind
        : session.kind === "shared"
          ? ""
          : session.kind;
    if (kind === "")
      throw new HttpFailure(
        400,
        "requirement failed: Statement kind is required for shared sessions.",
      );
    if (!STATEMENT_KINDS.includes(kind)) throw new HttpFailure(400, `Invalid kind: ${kind}`);
    if (!["idle", "busy", "starting"].includes(session.state)) {
      throw new HttpFailure(500, `Session is in state ${session.state}`);
    }
    const statement: StatementRecord = {
      id: session.statements.length,
      code: request.code,
      kind,
      state: "waiting",
      output: null,
      progress: 0,
      started: 0,
      completed: 0,
    };
    session.statements.push(statement);
    session.queue.push(statement);
    session.lastActivity = now();
    const view = statementView(statement);
    pump(session);
    return view;
  };

  const cancelStatement = async (session: SessionRecord, statement: StatementRecord) => {
    if (statement.state === "waiting") {
      session.queue = session.queue.filter((s) => s !== statement);
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
      if (!session.deleted && !closing) startWorker(session);
    }
  };

  const completion = (session: SessionRecord, body: unknown): Promise<string[]> => {
    const request = checkBody(body, { code: "string", kind: "string", cursor: "int" });
    const code = typeof request.code === "string" ? request.code : "";
    const cursor = typeof request.cursor === "number" ? request.cursor : code.length;
    if (!session.worker || request.kind !== "javascript") return Promise.resolve([]);
    const id = session.nextRequest++;
    const worker = session.worker;
    return new Promise((resolve) => {
      session.pending.set(id, resolve as (value: unknown) => void);
      worker.postMessage({ type: "complete", id, code, cursor });
    });
  };

  const deleteSession = async (session: SessionRecord) => {
    forgetSession(session);
    const worker = session.worker;
    session.worker = undefined;
    await worker?.terminate();
  };

  // ── HTTP ──────────────────────────────────────────────────────────────────────────────────

  const route = async (
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
  ): Promise<[number, unknown]> => {
    if (path === "/version" && method === "GET") {
      return [
        200,
        {
          version: options.version ?? "0.8.0-incubating",
          commit: "tinkerbox-dev-server",
          user: "tinkerbox",
          date: new Date(0).toISOString(),
          url: "https://github.com/apache/incubator-livy",
          branch: "dev-server",
        },
      ];
    }
    const match =
      /^\/(batches|sessions)(?:\/([^/]+))?(?:\/(state|log|statements|completion))?(?:\/([^/]+))?(?:\/(cancel))?\/?$/.exec(
        path,
      );
    if (!match)
      throw new HttpFailure(
        404,
        `Requesting "${method} ${path}" on servlet "" but only have: /batches, /sessions, /version`,
      );
    const [, collection, rawId, sub, rawStatementId, cancel] = match;
    const isBatch = collection === "batches";
    if (rawId === undefined) {
      if (method === "GET") {
        const from = intParam(query, "from", 0);
        const size = intParam(query, "size", 100);
        const all = isBatch
          ? [...batches.values()].map(batchView)
          : [...sessions.values()].map(sessionView);
        return [200, { from, total: all.length, sessions: all.slice(from, from + size) }];
      }
      if (method === "POST") return [201, isBatch ? createBatch(body) : createSession(body)];
      throw new HttpFailure(405, `Method ${method} not allowed`);
    }
    const id = toInt(rawId);
    const record = isBatch ? batches.get(id) : sessions.get(id);
    if (!record) throw new HttpFailure(404, `Session '${id}' not found.`);
    if (!isBatch) (record as SessionRecord).lastHeartbeat = now();
    const lines = record.log.lines;
    if (sub === undefined) {
      if (method === "GET")
        return [
          200,
          isBatch ? batchView(record as BatchRecord) : sessionView(record as SessionRecord),
        ];
      if (method === "DELETE") {
        await (isBatch
          ? deleteBatch(record as BatchRecord)
          : deleteSession(record as SessionRecord));
        return [200, { msg: "deleted" }];
      }
      throw new HttpFailure(405, `Method ${method} not allowed`);
    }
    if (sub === "state" && method === "GET") return [200, { id, state: record.state }];
    if (sub === "log" && method === "GET") {
      let size = intParam(query, "size", 100, true);
      let from = intParam(query, "from", -1, true);
      if (size < 0) size = lines.length;
      if (from < 0) from = Math.max(0, lines.length - size);
      return [200, { id, from, total: lines.length, log: lines.slice(from, from + size) }];
    }
    if (isBatch)
      throw new HttpFailure(
        404,
        `Requesting "${method} ${path}" on servlet "/batches" but only have: state, log`,
      );
    const session = record as SessionRecord;
    if (sub === "completion" && method === "POST")
      return [200, { candidates: await completion(session, body) }];
    if (sub !== "statements") throw new HttpFailure(405, `Method ${method} not allowed`);
    if (rawStatementId === undefined) {
      if (method === "GET") {
        const from = intParam(query, "from", 0);
        const size = intParam(query, "size", session.statements.length);
        return [
          200,
          {
            total_statements: session.statements.length,
            statements: session.statements.slice(from, from + size).map(statementView),
          },
        ];
      }
      if (method === "POST") return [201, runStatement(session, body)];
      throw new HttpFailure(405, `Method ${method} not allowed`);
    }
    const statement = session.statements[toInt(rawStatementId)];
    if (!statement) throw new HttpFailure(404, "Statement not found");
    if (cancel && method === "POST") {
      await cancelStatement(session, statement);
      return [200, { msg: "canceled" }];
    }
    if (!cancel && method === "GET") return [200, statementView(statement)];
    throw new HttpFailure(405, `Method ${method} not allowed`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    requestCount++;
    const url = new URL(req.url ?? "/", "http://dev-server");
    const method = req.method ?? "GET";
    options.onRequest?.(method, url.pathname);
    try {
      if (
        options.csrf &&
        !["GET", "HEAD", "OPTIONS"].includes(method) &&
        req.headers["x-requested-by"] === undefined
      ) {
        throw new HttpFailure(400, "Missing Required Header for CSRF protection.", true);
      }
      const text = await readBody(req);
      let body: unknown;
      if (text.trim() !== "") {
        try {
          body = JSON.parse(text);
        } catch (error) {
          throw new HttpFailure(400, `Invalid JSON body: ${(error as Error).message}`);
        }
      }
      const [status, payload] = await route(method, url.pathname, url.searchParams, body);
      send(
        res,
        status,
        payload,
        status === 201 && isObject(payload) && typeof payload.id === "number"
          ? `${url.pathname.replace(/\/$/, "")}/${payload.id}`
          : undefined,
      );
    } catch (error) {
      if (error instanceof HttpFailure) {
        if (error.html) {
          const page = `<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>\n<title>Error ${error.status} ${error.message}</title>\n</head>\n<body><h2>HTTP ERROR ${error.status}</h2>\n<p>Problem accessing ${url.pathname}. Reason:\n<pre>    ${error.message}</pre></p>\n</body>\n</html>\n`;
          res.writeHead(error.status, { "content-type": "text/html;charset=utf-8" }).end(page);
        } else {
          send(res, error.status, { msg: error.message });
        }
        return;
      }
      send(res, 500, { msg: (error as Error).message });
    }
  };

  // Livy's session garbage collection: a session whose client stopped sending heartbeats
  // (heartbeatTimeoutInSecond) or that stayed idle longer than its ttl is deleted.
  const collectGarbage = () => {
    const at = now();
    for (const session of [...sessions.values()]) {
      const silent =
        session.heartbeatTimeoutMs > 0 && at - session.lastHeartbeat > session.heartbeatTimeoutMs;
      const expired =
        session.ttlMs !== null &&
        session.state === "idle" &&
        at - session.lastActivity > session.ttlMs;
      if (silent || expired) void deleteSession(session);
    }
  };
  const gc = setInterval(collectGarbage, options.gcIntervalMs ?? 1000);
  gc.unref();

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  let started: RunningLivyDevServer | undefined;

  const close = async () => {
    if (closing) return;
    closing = true;
    clearInterval(gc);
    for (const batch of batches.values()) {
      clearTimeout(batch.forgetTimer);
      batch.deleted = true;
      if (batch.child && batch.child.exitCode === null && batch.child.signalCode === null) {
        batch.child.kill("SIGKILL");
      }
    }
    await Promise.all([...exits]);
    await Promise.all(
      [...sessions.values()].map(async (session) => {
        clearTimeout(session.forgetTimer);
        session.deleted = true;
        const worker = session.worker;
        session.worker = undefined;
        await worker?.terminate();
      }),
    );
    batches.clear();
    sessions.clear();
    if (server.listening) {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    }
  };

  return {
    get requestCount() {
      return requestCount;
    },
    async start(listen: LivyDevServerListenOptions = {}) {
      if (started) return started;
      const host = listen.host ?? "127.0.0.1";
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(listen.port ?? 0, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      const port = (server.address() as AddressInfo).port;
      const hostPart = host.includes(":") ? `[${host}]` : host;
      started = { url: `http://${hostPart}:${port}`, port, close };
      return started;
    },
    close,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkBody(body: unknown, fields: Record<string, string>): Record<string, unknown> {
  if (!isObject(body)) throw new HttpFailure(400, "Request body must be a JSON object.");
  for (const [key, value] of Object.entries(body)) {
    const type = fields[key];
    if (!type) throw new HttpFailure(400, `Unrecognized field "${key}"`);
    if (value === null) continue;
    const ok =
      type === "string"
        ? typeof value === "string"
        : type === "int"
          ? Number.isInteger(value)
          : type === "string[]"
            ? Array.isArray(value) && value.every((item) => typeof item === "string")
            : isObject(value) && Object.values(value).every((item) => typeof item === "string");
    if (!ok) throw new HttpFailure(400, `Cannot deserialize field "${key}": expected ${type}`);
  }
  return body;
}

/** Livy/Spark time strings: `500ms`, `30s`, `10m`/`10min`, `2h`, `1d`; a bare number is milliseconds. */
function durationMs(text: string): number | null {
  const match = /^(\d+)\s*(ms|s|m|min|h|d)?$/.exec(text.trim());
  if (!match) return null;
  const units: Record<string, number> = {
    ms: 1,
    s: 1000,
    m: 60_000,
    min: 60_000,
    h: 3_600_000,
    d: 86_400_000,
  };
  return Number(match[1]) * (units[match[2] ?? "ms"] ?? 1);
}

function toInt(text: string): number {
  if (!/^-?\d+$/.test(text)) throw new HttpFailure(400, `For input string: "${text}"`);
  return Number(text);
}

function intParam(
  query: URLSearchParams,
  name: string,
  fallback: number,
  allowNegative = false,
): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const value = toInt(raw);
  if (value < 0 && !allowNegative) throw new HttpFailure(400, `${name} must be non-negative`);
  return value;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, payload: unknown, location?: string): void {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = { "content-type": "application/json;charset=utf-8" };
  if (location) headers.location = location;
  res.writeHead(status, headers).end(body);
}

function killProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill("SIGKILL"), 2000);
    child.once("close", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
