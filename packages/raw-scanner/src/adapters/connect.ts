import net from "node:net";
import { constants as osConstants } from "node:os";
import type { PortStatus } from "../core/result.js";

/** How one connect attempt ended. `retryable` outcomes are local trouble, not an answer. */
export interface ConnectOutcome {
  status: PortStatus | "retry";
  reason: string;
}

/** Called once per probe. */
export type ConnectCallback = (status: PortStatus | "retry", reason: string, ttl?: number) => void;

/** Which socket layer the connect backend uses. */
export type ConnectLayer = "tcp-handle" | "net-socket";

interface TcpHandle {
  connect(req: unknown, address: string, port: number): number;
  connect6(req: unknown, address: string, port: number): number;
  close(cb?: () => void): void;
  reset?(cb?: () => void): number;
  getsockname?(out: SocketName): number;
  getpeername?(out: SocketName): number;
}
interface SocketName {
  address?: string;
  port?: number;
}
interface TcpBinding {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => object;
  constants: { SOCKET: number };
}

let tcpBinding: TcpBinding | null | undefined;

/**
 * libuv's TCP handle as Node's own `net` module uses it. Going through it directly skips the
 * stream machinery and the Error object Node builds for every refused connect: about 4× the
 * throughput of `net.connect` for a port sweep. Returns null (and the caller falls back to
 * `net.Socket`) if a future Node removes or changes it.
 */
export function loadTcpBinding(): TcpBinding | null {
  if (tcpBinding !== undefined) return tcpBinding;
  tcpBinding = null;
  try {
    const binding = (process as unknown as { binding?: (name: string) => unknown }).binding;
    if (typeof binding !== "function") return null;
    const b = binding("tcp_wrap") as Partial<TcpBinding>;
    if (
      typeof b.TCP === "function" &&
      typeof b.TCPConnectWrap === "function" &&
      typeof b.constants?.SOCKET === "number" &&
      typeof b.TCP.prototype.connect === "function"
    ) {
      tcpBinding = b as TcpBinding;
    }
  } catch {
    tcpBinding = null;
  }
  return tcpBinding;
}

const E = osConstants.errno;

const OPEN: ConnectOutcome = Object.freeze({ status: "open", reason: "syn-ack" });
const REFUSED: ConnectOutcome = Object.freeze({ status: "closed", reason: "rst-ack" });

/** Maps a (positive) errno to an outcome, as nmap's connect scan reads them. */
export function outcomeOfErrno(errno: number): ConnectOutcome {
  switch (errno) {
    case 0:
      return OPEN;
    case E.ECONNREFUSED:
      return REFUSED;
    case E.ETIMEDOUT:
      return { status: "filtered", reason: "no-response" };
    case E.EHOSTUNREACH:
      return { status: "filtered", reason: "host-unreach" };
    case E.ENETUNREACH:
      return { status: "filtered", reason: "net-unreach" };
    case E.EACCES:
    case E.EPERM:
      return { status: "filtered", reason: "admin-prohibited" };
    case E.ECONNRESET:
      return { status: "closed", reason: "rst" };
    default:
      // EADDRNOTAVAIL (ephemeral ports exhausted), EMFILE/ENFILE (descriptors), ENOBUFS…:
      // our own machine ran short, the target said nothing. Try again later.
      return { status: "retry", reason: errnoName(errno) };
  }
}

/**
 * The outcome of a connect that completed to our own socket: on the host's own address, a
 * connect to a port in the ephemeral range can pick that very port as its source and, by TCP's
 * simultaneous open, connect to itself. No server answered; nmap discards these too. Local
 * trouble: the probe is sent again (with another source port).
 */
export const SELF_CONNECT: ConnectOutcome = Object.freeze({
  status: "retry",
  reason: "self-connect",
});

/** Whether a connected socket's two ends are the same address and port (a TCP self-connect). */
export function isSelfConnect(
  local: { address?: string | undefined; port?: number | undefined },
  remote: { address?: string | undefined; port?: number | undefined },
): boolean {
  return (
    local.port !== undefined &&
    local.port === remote.port &&
    local.address !== undefined &&
    local.address === remote.address
  );
}

const localName: SocketName = {};
const remoteName: SocketName = {};

/** Reads both ends of a connected libuv handle; true when it connected to itself. */
function handleSelfConnected(handle: TcpHandle): boolean {
  if (typeof handle.getsockname !== "function" || typeof handle.getpeername !== "function")
    return false;
  localName.address = undefined;
  localName.port = undefined;
  remoteName.address = undefined;
  remoteName.port = undefined;
  if (handle.getsockname(localName) !== 0 || handle.getpeername(remoteName) !== 0) return false;
  return isSelfConnect(localName, remoteName);
}

function errnoName(errno: number): string {
  for (const [name, n] of Object.entries(E)) if (n === errno) return name;
  return `errno ${errno}`;
}

/**
 * One TCP connect probe per call, no root needed. Open = the handshake completed (then reset
 * at once, so no TIME_WAIT piles up), closed = RST (ECONNREFUSED), filtered = no answer within
 * `timeout` or an ICMP error. Timeouts are swept by one timer for all probes.
 */
export class Connector {
  readonly layer: ConnectLayer;
  private readonly timeout: number;
  private readonly binding: TcpBinding | null;
  /** Probes in launch order; deadlines are monotonic, so timeouts are found at the head. */
  private queue: Pending[] = [];
  private head = 0;
  private count = 0;
  private sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(options: { timeoutMs: number; layer?: ConnectLayer }) {
    this.timeout = options.timeoutMs;
    this.binding = options.layer === "net-socket" ? null : loadTcpBinding();
    this.layer = this.binding ? "tcp-handle" : "net-socket";
  }

  get inFlight(): number {
    return this.count;
  }

  probe(address: string, port: number, family: 4 | 6, done: ConnectCallback): void {
    const p: Pending = {
      deadline: performance.now() + this.timeout,
      handle: null,
      close: noop,
      done,
      settled: false,
    };
    if (this.count === 0) {
      this.queue = [];
      this.head = 0;
    }
    this.queue.push(p);
    this.count++;
    this.ensureSweeper();
    if (this.binding) this.probeHandle(p, address, port, family);
    else this.probeSocket(p, address, port, family);
  }

  private settle(p: Pending, status: PortStatus | "retry", reason: string): void {
    if (p.settled) return;
    p.settled = true;
    this.count--;
    if (this.count === 0) this.stopSweeper();
    p.done(status, reason);
  }

  /** One shared completion for every handle probe: no closures per probe. */
  private readonly onConnect = (status: number, _handle: unknown, req: ConnectReq): void => {
    const p = req.pending;
    if (!p) return;
    req.pending = null;
    const handle = p.handle;
    let self = false;
    if (handle) {
      p.handle = null;
      self = status === 0 && handleSelfConnected(handle);
      // Open: reset at once (no FIN, no TIME_WAIT); anything else: just close.
      if (!(status === 0 && typeof handle.reset === "function" && handle.reset(noop) === 0))
        handle.close();
    }
    const outcome = self ? SELF_CONNECT : outcomeOfErrno(-status);
    this.settle(p, outcome.status, outcome.reason);
  };

  private probeHandle(p: Pending, address: string, port: number, family: 4 | 6): void {
    const b = this.binding as TcpBinding;
    const handle = new b.TCP(b.constants.SOCKET);
    const req = new b.TCPConnectWrap() as ConnectReq;
    p.handle = handle;
    p.close = closePending;
    req.pending = p;
    req.oncomplete = this.onConnect;
    const err =
      family === 6 ? handle.connect6(req, address, port) : handle.connect(req, address, port);
    if (err) {
      req.pending = null;
      p.close(p);
      const outcome = outcomeOfErrno(-err);
      this.settle(p, outcome.status, outcome.reason);
    }
  }

  private probeSocket(p: Pending, address: string, port: number, family: 4 | 6): void {
    const socket = net.connect({ host: address, port, family, autoSelectFamily: false });
    p.close = () => {
      socket.destroy();
    };
    socket.once("connect", () => {
      const self = isSelfConnect(
        { address: socket.localAddress, port: socket.localPort },
        { address: socket.remoteAddress, port: socket.remotePort },
      );
      socket.resetAndDestroy();
      if (self) this.settle(p, SELF_CONNECT.status, SELF_CONNECT.reason);
      else this.settle(p, "open", "syn-ack");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      socket.destroy();
      const errno = typeof error.errno === "number" ? Math.abs(error.errno) : -1;
      const outcome = outcomeOfErrno(errno);
      this.settle(p, outcome.status, outcome.reason);
    });
  }

  private ensureSweeper(): void {
    if (this.sweeper) return;
    const every = Math.max(5, Math.min(100, this.timeout / 4));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref?.();
  }

  private stopSweeper(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private sweep(now = performance.now()): void {
    const q = this.queue;
    while (this.head < q.length) {
      const p = q[this.head] as Pending;
      if (!p.settled && p.deadline > now) break;
      this.head++;
      if (!p.settled) {
        p.close(p);
        this.settle(p, "filtered", "no-response");
      }
    }
    if (this.queue === q && this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
  }

  /** Ends every probe still in flight as filtered (`no-response`) and frees its socket. */
  abortAll(reason = "no-response"): void {
    const rest = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    for (const p of rest) {
      if (p.settled) continue;
      p.close(p);
      this.settle(p, "filtered", reason);
    }
    this.stopSweeper();
  }
}

interface Pending {
  deadline: number;
  /** The libuv handle while it is open (handle layer). */
  handle: TcpHandle | null;
  close: (p: Pending) => void;
  done: ConnectCallback;
  settled: boolean;
}

type ConnectReq = { oncomplete: (status: number, handle: unknown, req: ConnectReq) => void } & {
  pending: Pending | null;
};

function noop(): void {}

/** Closes a handle probe's socket (timeout, abort, failed connect). */
function closePending(p: Pending): void {
  const handle = p.handle;
  p.handle = null;
  handle?.close();
}
