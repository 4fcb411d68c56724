import { Worker } from "node:worker_threads";
import type { PortStatus } from "../core/result.js";
import { type ConnectCallback, type ConnectLayer, outcomeOfErrno } from "./connect.js";

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
const pending = new Map();
let outIds = [];
let outCodes = [];
let flushing = false;
function report(id, code) {
  if (!pending.delete(id)) return;
  outIds.push(id);
  outCodes.push(code);
  if (!flushing) {
    flushing = true;
    setImmediate(() => {
      flushing = false;
      const ids = Int32Array.from(outIds);
      const codes = Int32Array.from(outCodes);
      outIds = [];
      outCodes = [];
      parentPort.postMessage({ ids, codes }, [ids.buffer, codes.buffer]);
    });
  }
}
const noop = () => {};
function probe(id, address, port, family) {
  const entry = { deadline: performance.now() + timeout, close: noop };
  pending.set(id, entry);
  if (binding) {
    const handle = new binding.TCP(binding.constants.SOCKET);
    const req = new binding.TCPConnectWrap();
    let closed = false;
    const close = (reset) => {
      if (closed) return;
      closed = true;
      if (reset && typeof handle.reset === "function" && handle.reset(noop) === 0) return;
      handle.close();
    };
    entry.close = () => close(false);
    req.oncomplete = (status) => {
      close(status === 0);
      report(id, status);
    };
    const err = family === 6 ? handle.connect6(req, address, port) : handle.connect(req, address, port);
    if (err) {
      close(false);
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
    for (const entry of pending.values()) entry.close();
    pending.clear();
    return;
  }
  for (let i = 0; i < m.ids.length; i++) probe(m.ids[i], m.addrs[i], m.ports[i], m.fams[i]);
});
parentPort.on("close", () => clearInterval(sweeper));
`;

interface Lane {
  worker: Worker;
  ids: number[];
  addrs: string[];
  ports: number[];
  fams: number[];
}

/**
 * The connect backend spread over worker threads: the scan loop (order, rate, results) stays on
 * the main thread, and each worker runs its own event loop doing the connect/close system calls,
 * which are most of a loopback sweep's cost. Same contract as {@link Connector}.
 */
export class ConnectPool {
  layer: ConnectLayer = "tcp-handle";
  private readonly lanes: Lane[];
  private readonly callbacks = new Map<number, ConnectCallback>();
  private nextId = 0;
  private nextLane = 0;
  private flushScheduled = false;

  constructor(options: { timeout: number; workers: number }) {
    this.lanes = Array.from({ length: options.workers }, () => {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { timeout: options.timeout },
      });
      worker.unref();
      const lane: Lane = { worker, ids: [], addrs: [], ports: [], fams: [] };
      worker.on("message", (m: { layer?: ConnectLayer; ids?: Int32Array; codes?: Int32Array }) => {
        if (m.layer) {
          this.layer = m.layer;
          return;
        }
        const { ids, codes } = m as { ids: Int32Array; codes: Int32Array };
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
      worker.on("error", (error) => {
        // A worker that dies takes its probes with it: report them as local trouble to retry.
        for (const [id, cb] of [...this.callbacks]) {
          this.callbacks.delete(id);
          cb("retry", `worker failed: ${error.message}`);
        }
      });
      return lane;
    });
  }

  get inFlight(): number {
    return this.callbacks.size;
  }

  probe(address: string, port: number, family: 4 | 6, done: ConnectCallback): void {
    const id = this.nextId++ | 0;
    this.callbacks.set(id, done);
    const lane = this.lanes[this.nextLane] as Lane;
    lane.ids.push(id);
    lane.addrs.push(address);
    lane.ports.push(port);
    lane.fams.push(family);
    if (lane.ids.length >= 64) {
      this.send(lane);
      this.nextLane = (this.nextLane + 1) % this.lanes.length;
    }
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
    for (const l of this.lanes) {
      l.ids = [];
      l.addrs = [];
      l.ports = [];
      l.fams = [];
      l.worker.postMessage({ abort: true });
    }
    for (const [id, cb] of [...this.callbacks]) {
      this.callbacks.delete(id);
      cb("filtered" as PortStatus, reason);
    }
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.worker.terminate()));
  }
}
