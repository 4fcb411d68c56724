import { Worker } from "node:worker_threads";
import type { PortStatus } from "../core/result.js";
import { type ConnectCallback, type ConnectLayer, Connector, outcomeOfErrno } from "./connect.js";

/** Status code a worker reports for a probe that timed out (errno values are negative). */
const TIMEOUT = 1;

/**
 * The worker's whole program, as CommonJS text for `new Worker(code, { eval: true })`, so the
 * package needs no extra entry file. It connects through libuv's TCP handle (or net.Socket when
 * that binding is missing), resets open connections, sweeps timeouts, and answers in batches.
 */
const WORKER_SOURCE = `
"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const net = require("node:net");
const timeout = workerData.timeout;
let binding = null;
try {
  const b = process.binding("tcp_wrap");
  if (typeof b.TCP === "function" && typeof b.TCPConnectWrap === "function") binding = b;
} catch {}
parentPort.postMessage({ layer: binding ? "tcp-handle" : "net-socket" });
const limit = workerData.limit;
const pending = new Map();
// Probes handed over but not started: this worker keeps at most "limit" connects open and
// starts the next one as soon as one ends, without a round trip to the main thread.
let qIds = new Int32Array(0), qAddrs = [], qPorts = new Uint16Array(0), qFams = new Uint8Array(0);
const queue = [];
let qAt = 0;
let outIds = [];
let outCodes = [];
let flushing = false;
function flush() {
  flushing = false;
  pump();
  const ids = Int32Array.from(outIds);
  const codes = Int32Array.from(outCodes);
  outIds = [];
  outCodes = [];
  parentPort.postMessage({ ids, codes }, [ids.buffer, codes.buffer]);
}
function report(id, code) {
  if (!pending.delete(id)) return;
  outIds.push(id);
  outCodes.push(code);
  if (!flushing) {
    flushing = true;
    setImmediate(flush);
  }
}
function pump() {
  while (pending.size < limit) {
    if (qAt >= qIds.length) {
      const m = queue.shift();
      if (!m) return;
      qIds = m.ids; qAddrs = m.addrs; qPorts = m.ports; qFams = m.fams; qAt = 0;
      continue;
    }
    const i = qAt++;
    probe(qIds[i], qAddrs[i], qPorts[i], qFams[i]);
  }
}
const noop = () => {};
function closeHandle() {
  const h = this.handle;
  this.handle = null;
  if (h) h.close();
}
// One completion function for every probe (the request carries its entry): no closures.
function onConnect(status, _handle, req) {
  const entry = req.entry;
  if (!entry) return;
  req.entry = null;
  const h = entry.handle;
  if (h) {
    entry.handle = null;
    if (!(status === 0 && typeof h.reset === "function" && h.reset(noop) === 0)) h.close();
  }
  report(entry.id, status);
}
function probe(id, address, port, family) {
  const entry = { id, deadline: performance.now() + timeout, handle: null, close: noop };
  pending.set(id, entry);
  if (binding) {
    const handle = new binding.TCP(binding.constants.SOCKET);
    const req = new binding.TCPConnectWrap();
    entry.handle = handle;
    entry.close = closeHandle;
    req.entry = entry;
    req.oncomplete = onConnect;
    const err = family === 6 ? handle.connect6(req, address, port) : handle.connect(req, address, port);
    if (err) {
      req.entry = null;
      entry.close();
      report(id, err);
    }
    return;
  }
  const socket = net.connect({ host: address, port, family, autoSelectFamily: false });
  entry.close = () => socket.destroy();
  socket.once("connect", () => { socket.resetAndDestroy(); report(id, 0); });
  socket.once("error", (e) => { socket.destroy(); report(id, typeof e.errno === "number" ? -Math.abs(e.errno) : -1); });
}
const sweeper = setInterval(() => {
  const now = performance.now();
  for (const [id, entry] of pending) {
    if (entry.deadline <= now) {
      entry.close();
      report(id, ${TIMEOUT});
    }
  }
}, Math.max(5, Math.min(100, timeout / 4)));
parentPort.on("message", (m) => {
  if (m.abort) {
    queue.length = 0;
    qIds = new Int32Array(0);
    qAt = 0;
    for (const entry of pending.values()) entry.close();
    pending.clear();
    return;
  }
  queue.push(m);
  pump();
});
parentPort.on("close", () => clearInterval(sweeper));
`;

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
    timeout: number;
    workers: number;
    concurrency?: number;
    local?: boolean;
  }) {
    this.timeout = options.timeout;
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? 2048));
    const count = Math.max(1, Math.min(options.workers, concurrency));
    this.backlog = concurrency;
    const shares = count + (options.local ? 1 : 0);
    this.localLimit = options.local ? Math.floor(concurrency / shares) : 0;
    this.local = this.localLimit > 0 ? new Connector({ timeout: options.timeout }) : undefined;
    const rest = concurrency - this.localLimit;
    this.lanes = Array.from({ length: count }, (_, i) => {
      const limit = Math.floor(rest / count) + (i < rest % count ? 1 : 0);
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { timeout: options.timeout, limit },
      });
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
      worker.on("message", (m: { layer?: ConnectLayer; ids?: Int32Array; codes?: Int32Array }) => {
        if (m.layer) {
          this.layer = m.layer;
          return;
        }
        const { ids, codes } = m as { ids: Int32Array; codes: Int32Array };
        lane.outstanding = Math.max(0, lane.outstanding - ids.length);
        for (let i = 0; i < ids.length; i++) {
          const id = ids[i] as number;
          const cb = this.callbacks.get(id);
          if (!cb) continue; // aborted meanwhile
          this.callbacks.delete(id);
          const code = codes[i] as number;
          if (code === TIMEOUT) cb("filtered", "no-response");
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
      this.fallback ??= new Connector({ timeout: this.timeout });
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
    lane.worker.postMessage({ ids, addrs: lane.addrs, ports, fams }, [
      ids.buffer,
      ports.buffer,
      fams.buffer,
    ]);
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
