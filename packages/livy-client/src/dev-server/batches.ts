import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { isAbsolute, resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import type { Batch, SessionState } from "../core/types.js";
import { HttpFailure } from "./http.js";
import { LineBuffer, type LogLayout } from "./log-buffer.js";
import { lookup, view } from "./records.js";

/** What the batch room needs from the server. */
export interface BatchRoomOptions {
  now: () => number;
  cwd: string;
  env: Record<string, string>;
  logLines: number;
  logLayout: LogLayout;
  retainMs: number;
  /** Whether one more process may start (`livy.server.session.max-creation`). */
  mayCreate: () => boolean;
}

interface BatchRecord {
  id: number;
  name: string | null;
  proxyUser: string | null;
  state: SessionState;
  appId: string | null;
  log: LineBuffer;
  child?: ChildProcess;
  forgetTimer?: NodeJS.Timeout;
  deleted: boolean;
}

/**
 * Batches: a batch's `file` runs as a local process (a Node script with the current `node` for
 * `.js`/`.mjs`/`.cjs`, any other file as an executable); its output is the batch log. A finished
 * batch is forgotten after `retainMs` (`livy.server.batch.state-retain-sec`).
 */
export class BatchRoom {
  readonly #byId = new Map<number, BatchRecord>();
  readonly #byName = new Map<string, BatchRecord>();
  readonly #exits = new Set<Promise<void>>();
  #nextId = 0;

  constructor(readonly options: BatchRoomOptions) {}

  /** Processes still running. */
  get liveProcesses(): number {
    let live = 0;
    for (const batch of this.#byId.values()) if (isRunning(batch.child)) live++;
    return live;
  }

  /** `GET /batches`: Livy answers `from` as asked and a view clamped to the list. */
  list(from: number, size: number): { from: number; total: number; sessions: Batch[] } {
    const all = [...this.#byId.values()];
    return { from, total: all.length, sessions: view(all, from, from + size).map(batchView) };
  }

  get(segment: string): BatchRecord {
    return lookup(segment, this.#byId, this.#byName);
  }

  view(batch: BatchRecord): Batch {
    return batchView(batch);
  }

  state(batch: BatchRecord): { id: number; state: string } {
    return { id: batch.id, state: batch.state };
  }

  log(batch: BatchRecord): readonly string[] {
    return batch.log.lines;
  }

  /** `POST /batches` with a parsed request. */
  create(request: Record<string, unknown>): Batch {
    if (typeof request.file !== "string")
      throw new HttpFailure(400, "Rejected, Reason: requirement failed: File is required.");
    if (!this.options.mayCreate()) {
      throw new HttpFailure(400, "Rejected, too many sessions are being created!");
    }
    const id = this.#nextId++;
    const name = typeof request.name === "string" ? request.name : null;
    if (name !== null && this.#byName.has(name)) {
      // SessionManager.register formats the Option itself: `Some(name)`.
      throw new HttpFailure(
        400,
        `Rejected, Reason: Duplicate session name: Some(${name}) for session ${id}`,
      );
    }
    const batch: BatchRecord = {
      id,
      name,
      proxyUser: typeof request.proxyUser === "string" ? request.proxyUser : null,
      state: "starting",
      appId: null,
      log: new LineBuffer(this.options.logLines, this.options.logLayout),
      deleted: false,
    };
    if (name !== null) this.#byName.set(name, batch);
    this.#byId.set(id, batch);
    this.#spawn(batch, request);
    return batchView(batch);
  }

  /** `DELETE /batches/{id}`: kills the process and forgets the batch. */
  async delete(batch: BatchRecord): Promise<void> {
    this.#forget(batch);
    if (isRunning(batch.child)) await killProcess(batch.child!);
  }

  /** Kills every process and forgets every batch. */
  async close(): Promise<void> {
    for (const batch of this.#byId.values()) {
      clearTimeout(batch.forgetTimer);
      batch.deleted = true;
      if (isRunning(batch.child)) batch.child!.kill("SIGKILL");
    }
    await Promise.all([...this.#exits]);
    this.#byId.clear();
    this.#byName.clear();
  }

  #finish(batch: BatchRecord, state: SessionState): void {
    if (batch.deleted) return;
    batch.state = state;
    batch.forgetTimer = setTimeout(() => this.#forget(batch), this.options.retainMs);
    batch.forgetTimer.unref();
  }

  #forget(batch: BatchRecord): void {
    batch.deleted = true;
    clearTimeout(batch.forgetTimer);
    this.#byId.delete(batch.id);
    if (batch.name !== null && this.#byName.get(batch.name) === batch)
      this.#byName.delete(batch.name);
  }

  #spawn(batch: BatchRecord, request: Record<string, unknown>): void {
    const raw = String(request.file);
    const cwd = this.options.cwd;
    const file = raw.startsWith("file:") ? fileURLToPath(raw) : raw.replace(/^local:/, "");
    const path = isAbsolute(file) ? file : resolvePath(cwd, file);
    batch.log.push(`dev-server: launching ${path}`);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) && !raw.startsWith("file:")) {
      batch.log.push(`Error: the dev server runs local files only, not ${raw}`);
      this.#finish(batch, "dead");
      return;
    }
    if (!existsSync(path)) {
      batch.log.push(`Error: file not found: ${path}`);
      this.#finish(batch, "dead");
      return;
    }
    const args = (request.args as string[] | undefined) ?? [];
    const conf = (request.conf as Record<string, string> | undefined) ?? {};
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...this.options.env,
      LIVY_BATCH_ID: String(batch.id),
      LIVY_CONF: JSON.stringify(conf),
    };
    if (batch.name) env.LIVY_BATCH_NAME = batch.name;
    if (typeof request.className === "string") env.LIVY_CLASS_NAME = request.className;
    for (const [key, value] of Object.entries(conf)) {
      env[`SPARK_CONF_${key.replace(/[^A-Za-z0-9]/g, "_").toUpperCase()}`] = value;
    }
    const isNode = /\.(c|m)?js$/.test(path);
    let child: ChildProcess;
    try {
      child = isNode
        ? spawn(process.execPath, [path, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
        : spawn(path, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      // spawn throws synchronously for arguments it cannot pass (e.g. a NUL byte): the batch
      // is dead with the reason in its log, never `starting` for ever.
      batch.log.push(`Error: cannot run ${path}: ${(error as Error).message}`);
      this.#finish(batch, "dead");
      return;
    }
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
        batch.appId = `local-${this.options.now()}-${child.pid}`;
      }
    });
    const exited = new Promise<void>((done) => {
      let settled = false;
      const settle = (state: SessionState, line: string) => {
        if (settled) return;
        settled = true;
        batch.log.flush();
        batch.log.push(line);
        this.#finish(batch, state);
        done();
      };
      child.on("error", (error) => settle("dead", `Error: cannot run ${path}: ${error.message}`));
      child.on("close", (code, signal) => {
        if (signal) settle("killed", `dev-server: process killed by ${signal}`);
        else
          settle(code === 0 ? "success" : "dead", `dev-server: process exited with code ${code}`);
      });
    });
    this.#exits.add(exited);
    void exited.then(() => this.#exits.delete(exited));
  }
}

function batchView(batch: BatchRecord): Batch {
  return {
    id: batch.id,
    name: batch.name,
    owner: null,
    proxyUser: batch.proxyUser,
    state: batch.state,
    appId: batch.appId,
    appInfo: { driverLogUrl: null, sparkUiUrl: null },
    log: batch.log.lines.slice(-10),
  };
}

function isRunning(child: ChildProcess | undefined): boolean {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

function killProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (!isRunning(child)) return resolve();
    const force = setTimeout(() => child.kill("SIGKILL"), 2000);
    child.once("close", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
