import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../logger.js";
import { BatchRoom } from "./batches.js";
import { collectExpiredSessions } from "./expiry.js";
import { guardRequest, isLoopbackHost, type RequestGuardOptions } from "./guard.js";
import { HttpFailure, readBody, sendFailure, sendJson } from "./http.js";
import type { LogLayout } from "./log-buffer.js";
import { livyRoutes, Router } from "./routes.js";
import { SessionRoom } from "./sessions.js";

/**
 * Options of {@link createLivyDevServer}; each mirrors a Livy server setting or one of the
 * checks that keep web pages from driving the server ({@link RequestGuardOptions}).
 */
export interface LivyDevServerOptions extends RequestGuardOptions {
  /** Largest request body accepted; larger ones are answered 413. @defaultValue 1048576 (1 MiB) */
  maxBodyBytes?: number;
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
  /** Extra environment for batch processes. @defaultValue {} */
  env?: Record<string, string>;
  /** Version reported by `GET /version`. @defaultValue "0.8.0-incubating" */
  version?: string;
  /** Clock for timestamps and session expiry, epoch milliseconds. @defaultValue Date.now */
  now?: () => number;
  /** Called for every request (method, path), e.g. to count requests in a benchmark. @defaultValue none */
  onRequest?: (method: string, path: string) => void;
  /**
   * Batch log layout: `"interleaved"` (stdout and stderr in arrival order) or `"sections"` (Livy's
   * `stdout: ` … `\nstderr: ` … layout). @defaultValue "interleaved"
   */
  logLayout?: LogLayout;
  /** How often expired sessions (heartbeat timeout, ttl) are collected. @defaultValue 1000 */
  gcIntervalMs?: number;
  /**
   * Receives the warning printed when the server binds to a non-loopback address. Without a
   * logger the warning goes to `process.emitWarning` (stderr), since it is about safety.
   * @defaultValue none
   */
  logger?: Logger;
}

/** Where to listen. */
export interface LivyDevServerListenOptions {
  /** Port; 0 picks a free one. @defaultValue 0 */
  port?: number;
  /**
   * Interface. Anything but loopback exposes a server that runs arbitrary programs to the
   * network: it works, with a warning. @defaultValue "127.0.0.1"
   */
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

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * A Livy-compatible local server: the same paths, JSON shapes, status codes and state
 * transitions as Apache Livy 0.8, without Spark. A batch's `file` runs as a local process (a
 * Node script via the current `node` for `.js`/`.mjs`/`.cjs`, any other file as an executable)
 * and its output is the batch log; interactive sessions run JavaScript statements in a worker
 * thread (a dev-only extension: Spark kinds answer with an error output).
 *
 * It runs whatever program a request names, so by default it refuses what a web page could
 * forge: non-GET requests without `X-Requested-By`, bodies that are not `application/json`,
 * any `Origin`, and non-loopback `Host` names while bound to loopback.
 *
 * @example
 * ```ts
 * const server = await createLivyDevServer().start({ port: 0 });
 * // … new LivyClient({ url: server.url }) …
 * await server.close();
 * ```
 */
export function createLivyDevServer(options: LivyDevServerOptions = {}): LivyDevServer {
  const now = options.now ?? Date.now;
  const maxSessions = options.maxSessions ?? 100;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const logLines = options.logBufferLines ?? 200;
  const mayCreate = () => batches.liveProcesses + sessions.liveWorkers < maxSessions;
  const batches: BatchRoom = new BatchRoom({
    now,
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? {},
    logLines,
    logLayout: options.logLayout ?? "interleaved",
    retainMs: options.batchStateRetainMs ?? 600_000,
    mayCreate,
  });
  const sessions: SessionRoom = new SessionRoom({
    now,
    logLines,
    retainMs: options.sessionStateRetainMs ?? 600_000,
    mayCreate,
  });
  const router = new Router(
    livyRoutes({
      batches,
      sessions,
      version: {
        version: options.version ?? "0.8.0-incubating",
        user: "tinkerbox",
        revision: "tinkerbox-dev-server",
        branch: "dev-server",
        date: new Date(0).toUTCString(),
        url: "https://github.com/apache/incubator-livy",
      },
    }),
  );
  let requestCount = 0;
  let closing = false;
  let boundToLoopback = true;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    requestCount++;
    const url = new URL(req.url ?? "/", "http://dev-server");
    const method = req.method ?? "GET";
    options.onRequest?.(method, url.pathname);
    try {
      const hasBody =
        req.headers["transfer-encoding"] !== undefined ||
        Number(req.headers["content-length"] ?? 0) > 0;
      guardRequest(method, req.headers, hasBody, options, boundToLoopback);
      const body = await readBody(req, maxBodyBytes);
      const path = url.pathname;
      const { route, params } = router.match(method, path);
      const reply = await route.handle({ params, query: url.searchParams, body, path });
      sendJson(res, reply.status, reply.payload, reply.headers);
    } catch (error) {
      // A refused body is not read: close the connection after answering, so the client does
      // not keep streaming into it.
      const headers: Record<string, string> =
        error instanceof HttpFailure && error.status === 413 ? { connection: "close" } : {};
      if (error instanceof HttpFailure) sendFailure(res, error, url.pathname, headers);
      else if (error instanceof URIError)
        sendFailure(res, new HttpFailure(400, `Malformed path: ${url.pathname}`), url.pathname);
      else sendFailure(res, new HttpFailure(500, String(error), "string"), url.pathname);
    }
  };

  const gc = setInterval(
    () => collectExpiredSessions(sessions, now()),
    options.gcIntervalMs ?? 1000,
  );
  gc.unref();

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  let started: RunningLivyDevServer | undefined;

  const close = async () => {
    if (closing) return;
    closing = true;
    clearInterval(gc);
    await batches.close();
    await sessions.close();
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
      boundToLoopback = isLoopbackHost(host);
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
      if (!boundToLoopback) {
        const warning = `The Livy dev server listens on ${host}:${port}, not on loopback: anyone who can reach it can run arbitrary programs on this machine as ${process.env.USER ?? "this user"}.`;
        if (options.logger) options.logger.warn(warning);
        else process.emitWarning(warning, { code: "LIVY_DEV_SERVER_EXPOSED" });
      }
      return started;
    },
    close,
  };
}
