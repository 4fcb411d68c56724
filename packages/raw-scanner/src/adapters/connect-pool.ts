import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { PortStatus } from "../core/result.js";
import {
  type ConnectCallback,
  type ConnectLayer,
  Connector,
  outcomeOfErrno,
  SELF_CONNECT,
} from "./connect.js";
import {
  WORKER_SELF_CONNECT,
  WORKER_TIMEOUT,
  type WorkerBatch,
  type WorkerData,
  type WorkerMessage,
} from "./connect-worker-protocol.js";

/**
 * The worker program: `connect-worker.js` next to this module (its own build entry; `.cjs` in the
 * CommonJS build). Run from the TypeScript sources (the tests), the worker is the `.ts` file and
 * needs a TypeScript loader in its thread: tsx (a development dependency) registers its hooks
 * there first, through its documented `tsx/esm/api`.
 */
function workerProgram(): { program: string | URL; eval: boolean } {
  const here = import.meta.url;
  const ext = here.endsWith(".cjs") ? ".cjs" : here.endsWith(".ts") ? ".ts" : ".js";
  const url = new URL(`./connect-worker${ext}`, here);
  if (ext !== ".ts") return { program: url, eval: false };
  const require = createRequire(here);
  const pkgPath = require.resolve("tsx/package.json");
  const pkg = require(pkgPath) as {
    exports: Record<string, { import: { default: string } }>;
  };
  const api = new URL(pkg.exports["./esm/api"]?.import.default ?? "", pathToFileURL(pkgPath)).href;
  const program =
    `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })` +
    ".catch((error) => { console.error(error); process.exit(1); });";
  return { program, eval: true };
}

interface Lane {
  worker: Worker;
  /** Connects this worker keeps open at most. */
  limit: number;
  /** Probes handed to this worker and not yet answered (open or queued there). */
  outstanding: number;
  /** The worker failed or exited: it gets no more probes. */
  dead: boolean;
  ids: number[];
  addrs: string[];
  ports: number[];
  fams: number[];
}

/** Probes gathered per lane before they are posted (the rest go at the end of the tick). */
const BATCH = 64;

/**
 * The connect backend spread over worker threads: the scan loop (order, rate, results) stays on
 * the main thread, and each worker runs its own event loop doing the connect/close system calls,
 * which are most of a loopback sweep's cost. Same contract as {@link Connector}. The
 * `concurrency` connects in flight are split between the workers; each also holds a queue of up
 * to as many probes again (`backlog`), so it starts the next connect the moment one ends instead
 * of waiting for a round trip through the main thread. With `local`, the main thread is one more
 * lane: it keeps its share of the window connecting itself (on 2 cores, main thread + 1 worker
 * beat 2 workers with an idle main thread: fewer threads than cores contend, nothing waits).
 */
export class ConnectPool {
  layer: ConnectLayer = "tcp-handle";
  /** Probes the pool accepts beyond `concurrency`: they wait in the workers' queues. */
  readonly backlog: number;
  private readonly lanes: Lane[];
  private readonly callbacks = new Map<number, ConnectCallback>();
  private nextId = 0;
  private flushScheduled = false;
  private readonly local: Connector | undefined;
  private readonly localLimit: number;
  private readonly timeout: number;
  /** Takes the probes on the main thread once every worker has died. */
  private fallback: Connector | undefined;
  private closing = false;

  constructor(options: {
    timeoutMs: number;
    workers: number;
    concurrency?: number;
    local?: boolean;
  }) {
    this.timeout = options.timeoutMs;
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? 2048));
    const count = Math.max(1, Math.min(options.workers, concurrency));
    this.backlog = concurrency;
    const shares = count + (options.local ? 1 : 0);
    this.localLimit = options.local ? Math.floor(concurrency / shares) : 0;
    this.local = this.localLimit > 0 ? new Connector({ timeoutMs: options.timeoutMs }) : undefined;
    const rest = concurrency - this.localLimit;
    const program = workerProgram();
    this.lanes = Array.from({ length: count }, (_, i) => {
      const limit = Math.floor(rest / count) + (i < rest % count ? 1 : 0);
      const data: WorkerData = {
        rawScannerConnectWorker: true,
        timeoutMs: options.timeoutMs,
        limit,
      };
      const worker = new Worker(program.program, { workerData: data, eval: program.eval });
      worker.unref();
      const lane: Lane = {
        worker,
        limit,
        outstanding: 0,
        dead: false,
        ids: [],
        addrs: [],
        ports: [],
        fams: [],
      };
      worker.on("message", (m: WorkerMessage) => {
        if ("layer" in m) {
          this.layer = m.layer;
          return;
        }
        const { ids, codes } = m;
        lane.outstanding = Math.max(0, lane.outstanding - ids.length);
        for (let i = 0; i < ids.length; i++) {
          const id = ids[i] as number;
          const cb = this.callbacks.get(id);
          if (!cb) continue; // aborted meanwhile
          this.callbacks.delete(id);
          const code = codes[i] as number;
          if (code === WORKER_TIMEOUT) cb("filtered", "no-response");
          else if (code === WORKER_SELF_CONNECT) cb(SELF_CONNECT.status, SELF_CONNECT.reason);
          else {
            const o = outcomeOfErrno(-code);
            cb(o.status, o.reason);
          }
        }
      });
      worker.on("error", (error) => this.fail(lane, `worker failed: ${error.message}`));
      worker.on("exit", (code) => {
        if (!this.closing) this.fail(lane, `worker exited (code ${code})`);
      });
      return lane;
    });
  }

  get inFlight(): number {
    return (
      this.callbacks.size +
      (this.local ? this.local.inFlight : 0) +
      (this.fallback ? this.fallback.inFlight : 0)
    );
  }

  /**
   * A worker that dies takes its probes with it: they are reported as local trouble (the scan
   * sends them again), and the worker gets no more. Which of the probes were its is not tracked,
   * so every probe waiting on a worker is sent again; answers that still arrive are dropped.
   */
  private fail(lane: Lane, reason: string): void {
    if (lane.dead) return;
    lane.dead = true;
    lane.outstanding = 0;
    lane.ids = [];
    lane.addrs = [];
    lane.ports = [];
    lane.fams = [];
    for (const [id, cb] of [...this.callbacks]) {
      this.callbacks.delete(id);
      cb("retry", reason);
    }
  }

  /**
   * Probes handed over but not started yet (waiting in a worker's queue): a worker starts a
   * connect whenever it has fewer than its share open, so whatever it holds beyond that waits.
   */
  get queued(): number {
    let n = 0;
    for (const l of this.lanes) if (l.outstanding > l.limit) n += l.outstanding - l.limit;
    return n;
  }

  probe(address: string, port: number, family: 4 | 6, done: ConnectCallback): void {
    if (this.local && this.local.inFlight < this.localLimit) {
      this.local.probe(address, port, family, done);
      return;
    }
    // The lane with the most room: probes go where a connect can start soonest.
    const lanes = this.lanes;
    let lane: Lane | undefined;
    for (let i = 0; i < lanes.length; i++) {
      const l = lanes[i] as Lane;
      if (l.dead) continue;
      if (!lane || l.outstanding * lane.limit < lane.outstanding * l.limit) lane = l;
    }
    if (!lane) {
      this.fallback ??= new Connector({ timeoutMs: this.timeout });
      this.fallback.probe(address, port, family, done);
      return;
    }
    const id = this.nextId++ | 0;
    this.callbacks.set(id, done);
    lane.outstanding++;
    lane.ids.push(id);
    lane.addrs.push(address);
    lane.ports.push(port);
    lane.fams.push(family);
    if (lane.ids.length >= BATCH) this.send(lane);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        for (const l of this.lanes) this.send(l);
      });
    }
  }

  private send(lane: Lane): void {
    if (lane.ids.length === 0) return;
    const ids = Int32Array.from(lane.ids);
    const ports = Uint16Array.from(lane.ports);
    const fams = Uint8Array.from(lane.fams);
    const batch: WorkerBatch = { ids, addrs: lane.addrs, ports, fams };
    lane.worker.postMessage(batch, [ids.buffer, ports.buffer, fams.buffer]);
    lane.ids = [];
    lane.addrs = [];
    lane.ports = [];
    lane.fams = [];
  }

  /** Ends every probe in flight as filtered (`no-response`). */
  abortAll(reason = "no-response"): void {
    this.local?.abortAll(reason);
    this.fallback?.abortAll(reason);
    for (const l of this.lanes) {
      l.ids = [];
      l.addrs = [];
      l.ports = [];
      l.fams = [];
      l.outstanding = 0;
      if (!l.dead) l.worker.postMessage({ abort: true });
    }
    for (const [id, cb] of [...this.callbacks]) {
      this.callbacks.delete(id);
      cb("filtered" as PortStatus, reason);
    }
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.lanes.map((l) => l.worker.terminate()));
  }
}
