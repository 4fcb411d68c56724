import { parseIpv4 } from "../core/ip.js";
import type { ConnectCallback } from "./connect.js";
import type { NativeAddon, NativeHandle, NativeStats } from "./native.js";

/** Bytes per probe record handed to the addon (address u32 BE, port u16 BE, 2 spare). */
const PROBE_BYTES = 8;
/** Bytes per result record from the addon (address, port, status, ttl, errno). */
const RESULT_BYTES = 12;
/** Probes gathered before they go to the sender thread (the rest at the end of the tick). */
const BATCH = 256;

interface Pending {
  done: ConnectCallback;
  deadline: number;
}

/** Options of {@link RawTransport}. */
export interface RawTransportOptions {
  addon: NativeAddon;
  /** The scan's 16-byte cookie secret (the core's `SynCookies` use the same). */
  secret: Uint8Array;
  sourcePorts: { first: number; last: number };
  /** Milliseconds without a reply before a probe counts as filtered. */
  timeoutMs: number;
  /** Probes the scan may keep in flight (the loop's window). */
  backlog: number;
  /**
   * Milliseconds between two reads of the addon's result queue.
   *
   * @defaultValue 2
   */
  pollIntervalMs?: number;
  /**
   * Receive buffer of the AF_PACKET socket in bytes.
   *
   * @defaultValue 32 MiB
   */
  recvBuffer?: number;
}

/**
 * The raw-packet backend behind the scan loop's `ScanTransport` seam: probes are batched into
 * the addon's sender thread (SYNs carrying the core's SYN cookies, `sendmmsg`), replies are
 * matched by cookie on the addon's receiver thread (AF_PACKET, `recvmmsg`) and read here in
 * batches every `pollIntervalMs`. No per-probe state lives in Rust; the pending table here only
 * maps an answer to its callback and times probes out.
 */
export class RawTransport {
  readonly layer = "raw-packet" as const;
  readonly backlog: number;
  private readonly addon: NativeAddon;
  private handle: NativeHandle | undefined;
  private readonly pending = new Map<number, Pending>();
  /** Keys in send order with their deadline: timeouts are swept from the front. */
  private readonly order: number[] = [];
  private readonly deadlines: number[] = [];
  private orderHead = 0;
  private readonly timeoutMs: number;
  private batch: Buffer;
  private batchCount = 0;
  private flushScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly pollIntervalMs: number;
  private lastStats: NativeStats | undefined;

  constructor(options: RawTransportOptions) {
    this.addon = options.addon;
    this.timeoutMs = options.timeoutMs;
    this.backlog = options.backlog;
    this.pollIntervalMs = options.pollIntervalMs ?? 2;
    this.batch = Buffer.alloc(BATCH * PROBE_BYTES);
    this.handle = this.addon.open(
      options.secret,
      options.sourcePorts.first,
      options.sourcePorts.last,
      options.recvBuffer ?? 32 * 1024 * 1024,
    );
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Probes handed over but not yet passed to the sender thread. */
  get queued(): number {
    return this.batchCount;
  }

  /** The engine's counters (the last ones read once closed). */
  get stats(): NativeStats | undefined {
    if (this.handle) this.lastStats = this.addon.stats(this.handle);
    return this.lastStats;
  }

  probe(address: string, port: number, family: 4 | 6, done: ConnectCallback): void {
    const addr = family === 4 ? parseIpv4(address) : undefined;
    if (addr === undefined || !this.handle) {
      done("filtered", family === 6 ? "ipv6-unsupported" : "closed");
      return;
    }
    const key = addr * 65536 + port;
    const deadline = performance.now() + this.timeoutMs;
    this.pending.set(key, { done, deadline });
    this.order.push(key);
    this.deadlines.push(deadline);
    const at = this.batchCount * PROBE_BYTES;
    this.batch.writeUInt32BE(addr, at);
    this.batch.writeUInt16BE(port, at + 4);
    this.batchCount++;
    if (this.batchCount === BATCH) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    this.timer ??= setInterval(() => this.tick(), this.pollIntervalMs);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.batchCount === 0 || !this.handle) return;
    this.addon.send(this.handle, this.batch.subarray(0, this.batchCount * PROBE_BYTES));
    this.batch = Buffer.alloc(BATCH * PROBE_BYTES);
    this.batchCount = 0;
  }

  /** Reads the replies the receiver thread matched, then times out what is overdue. */
  private tick(): void {
    if (!this.handle) return;
    this.drain();
    const now = performance.now();
    while (this.orderHead < this.order.length) {
      const deadline = this.deadlines[this.orderHead] as number;
      if (deadline > now) break;
      const key = this.order[this.orderHead] as number;
      this.orderHead++;
      const p = this.pending.get(key);
      // A later probe of the same pair (a retry) has its own, later deadline.
      if (p && p.deadline <= now) {
        this.pending.delete(key);
        p.done("filtered", "no-response");
      }
    }
    if (this.orderHead > 65536) {
      this.order.splice(0, this.orderHead);
      this.deadlines.splice(0, this.orderHead);
      this.orderHead = 0;
    }
    if (this.pending.size === 0 && this.batchCount === 0) this.idle();
  }

  private drain(): void {
    const handle = this.handle;
    if (!handle) return;
    const results = this.addon.poll(handle);
    if (!results) return;
    for (let at = 0; at + RESULT_BYTES <= results.length; at += RESULT_BYTES) {
      const key = results.readUInt32BE(at) * 65536 + results.readUInt16BE(at + 4);
      const p = this.pending.get(key);
      // Duplicates (retransmitted SYN-ACKs) and replies to settled probes find nothing.
      if (!p) continue;
      this.pending.delete(key);
      const status = results[at + 6];
      const ttl = results[at + 7] as number;
      // A reply only matches when it acknowledges our ISN, so a RST here is always RST+ACK.
      if (status === 1) p.done("open", "syn-ack", ttl);
      else if (status === 2) p.done("closed", "rst-ack", ttl);
      else p.done("retry", errnoReason(results.readUInt32BE(at + 8)));
    }
  }

  private idle(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  abortAll(): void {
    this.flush();
    this.drain();
    const all = [...this.pending.values()];
    this.pending.clear();
    this.order.length = 0;
    this.deadlines.length = 0;
    this.orderHead = 0;
    for (const p of all) p.done("filtered", "no-response");
    this.idle();
  }

  async close(): Promise<void> {
    this.idle();
    const handle = this.handle;
    if (!handle) return;
    this.handle = undefined;
    this.lastStats = this.addon.close(handle);
  }
}

const ERRNO: Record<number, string> = {
  1: "EPERM",
  13: "EACCES",
  101: "ENETUNREACH",
  113: "EHOSTUNREACH",
  105: "ENOBUFS",
};

function errnoReason(errno: number): string {
  return ERRNO[errno] ?? `errno-${errno}`;
}
