/**
 * The program of one {@link ConnectPool} worker thread (its own build entry,
 * `dist/connect-worker.js`). It connects through libuv's TCP handle (or `net.Socket` when that
 * binding is missing), resets open connections, discards self-connects, sweeps timeouts, and
 * answers in batches. The main thread sends `WorkerBatch` messages and `{ abort: true }`.
 */
import net from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import { isSelfConnect, loadTcpBinding } from "./connect.js";
import {
  WORKER_SELF_CONNECT,
  WORKER_TIMEOUT,
  type WorkerBatch,
  type WorkerData,
  type WorkerMessage,
} from "./connect-worker-protocol.js";

interface Entry {
  id: number;
  deadline: number;
  handle: WorkerTcpHandle | null;
  close: (entry: Entry) => void;
}

interface WorkerTcpHandle {
  connect(req: unknown, address: string, port: number): number;
  connect6(req: unknown, address: string, port: number): number;
  close(cb?: () => void): void;
  reset?(cb?: () => void): number;
  getsockname?(out: { address?: string; port?: number }): number;
  getpeername?(out: { address?: string; port?: number }): number;
}

interface ConnectReq {
  entry: Entry | null;
  oncomplete: (status: number, handle: unknown, req: ConnectReq) => void;
}

function noop(): void {}

function closeHandle(entry: Entry): void {
  const h = entry.handle;
  entry.handle = null;
  h?.close();
}

function selfConnected(h: WorkerTcpHandle): boolean {
  if (typeof h.getsockname !== "function" || typeof h.getpeername !== "function") return false;
  const local: { address?: string; port?: number } = {};
  const remote: { address?: string; port?: number } = {};
  if (h.getsockname(local) !== 0 || h.getpeername(remote) !== 0) return false;
  return isSelfConnect(local, remote);
}

/** Runs the worker loop on `port` (the worker's `parentPort`). */
export function runConnectWorker(
  port: NonNullable<typeof parentPort>,
  { timeoutMs, limit }: WorkerData,
): void {
  const binding = loadTcpBinding();
  const hello: WorkerMessage = { layer: binding ? "tcp-handle" : "net-socket" };
  port.postMessage(hello);
  const pending = new Map<number, Entry>();
  // Probes handed over but not started: this worker keeps at most `limit` connects open and
  // starts the next one as soon as one ends, without a round trip to the main thread.
  let current: WorkerBatch | undefined;
  let at = 0;
  const queue: WorkerBatch[] = [];
  let outIds: number[] = [];
  let outCodes: number[] = [];
  let flushing = false;

  const flush = (): void => {
    flushing = false;
    pump();
    const ids = Int32Array.from(outIds);
    const codes = Int32Array.from(outCodes);
    outIds = [];
    outCodes = [];
    const message: WorkerMessage = { ids, codes };
    port.postMessage(message, [ids.buffer, codes.buffer]);
  };

  const report = (id: number, code: number): void => {
    if (!pending.delete(id)) return;
    outIds.push(id);
    outCodes.push(code);
    if (!flushing) {
      flushing = true;
      setImmediate(flush);
    }
  };

  const pump = (): void => {
    while (pending.size < limit) {
      if (!current || at >= current.ids.length) {
        current = queue.shift();
        at = 0;
        if (!current) return;
        continue;
      }
      const i = at++;
      probe(
        current.ids[i] as number,
        current.addrs[i] as string,
        current.ports[i] as number,
        current.fams[i] as number,
      );
    }
  };

  // One completion function for every probe (the request carries its entry): no closures.
  const onConnect = (status: number, _handle: unknown, req: ConnectReq): void => {
    const entry = req.entry;
    if (!entry) return;
    req.entry = null;
    const h = entry.handle;
    let self = false;
    if (h) {
      entry.handle = null;
      self = status === 0 && selfConnected(h);
      if (!(status === 0 && typeof h.reset === "function" && h.reset(noop) === 0)) h.close();
    }
    report(entry.id, self ? WORKER_SELF_CONNECT : status);
  };

  const probe = (id: number, address: string, port: number, family: number): void => {
    const entry: Entry = { id, deadline: performance.now() + timeoutMs, handle: null, close: noop };
    pending.set(id, entry);
    if (binding) {
      const handle = new binding.TCP(binding.constants.SOCKET) as WorkerTcpHandle;
      const req = new binding.TCPConnectWrap() as ConnectReq;
      entry.handle = handle;
      entry.close = closeHandle;
      req.entry = entry;
      req.oncomplete = onConnect;
      const err =
        family === 6 ? handle.connect6(req, address, port) : handle.connect(req, address, port);
      if (err) {
        req.entry = null;
        entry.close(entry);
        report(id, err);
      }
      return;
    }
    const socket = net.connect({ host: address, port, family, autoSelectFamily: false });
    entry.close = () => socket.destroy();
    socket.once("connect", () => {
      const self = isSelfConnect(
        { address: socket.localAddress, port: socket.localPort },
        { address: socket.remoteAddress, port: socket.remotePort },
      );
      socket.resetAndDestroy();
      report(id, self ? WORKER_SELF_CONNECT : 0);
    });
    socket.once("error", (e: NodeJS.ErrnoException) => {
      socket.destroy();
      report(id, typeof e.errno === "number" ? -Math.abs(e.errno) : -1);
    });
  };

  const sweeper = setInterval(
    () => {
      const now = performance.now();
      for (const [id, entry] of pending) {
        if (entry.deadline <= now) {
          entry.close(entry);
          report(id, WORKER_TIMEOUT);
        }
      }
    },
    Math.max(5, Math.min(100, timeoutMs / 4)),
  );

  port.on("message", (m: WorkerBatch | { abort: true }) => {
    if ("abort" in m) {
      queue.length = 0;
      current = undefined;
      at = 0;
      for (const entry of pending.values()) entry.close(entry);
      pending.clear();
      return;
    }
    queue.push(m);
    pump();
  });
  port.on("close", () => clearInterval(sweeper));
}

if (parentPort && (workerData as { rawScannerConnectWorker?: boolean })?.rawScannerConnectWorker) {
  runConnectWorker(parentPort, workerData as WorkerData);
}
