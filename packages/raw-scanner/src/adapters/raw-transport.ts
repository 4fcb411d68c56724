import type { PortStatus } from "../core/result.js";
import { NumberRing, PairTable } from "../core/ring.js";
import { RawScannerError } from "../errors.js";
import type { TaggedOutcome } from "../scan/options.js";
import type { ConnectCallback } from "./connect.js";
import type { NativeAddon, NativeHandle, NativeStats } from "./native.js";

/** Bytes per probe record handed to the addon (address u32 BE, port u16 BE, 2 spare). */
const PROBE_BYTES = 8;
/** Bytes per result record from the addon (address, port, status, ttl, errno). */
const RESULT_BYTES = 12;
/** Probes gathered before they go to the sender thread (the rest at the end of the tick). */
const BATCH = 4096;

/** Dotted quad → uint32, or -1; a hand loop because it runs once per probe. */
function ipv4ToInt(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c === -2) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 0 && c <= 9 && digits < 3) {
      part = part * 10 + c;
      digits++;
      if (part > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
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
   * SYNs per second: the addon's sender thread paces to it (0: as fast as the device takes).
   *
   * @defaultValue 0
   */
  rate?: number;
  /**
   * Milliseconds of probes the scan loop may hand over ahead of `rate` (the sender thread
   * spaces them out on the wire).
   *
   * @defaultValue 250 when `rate` is set, else 0
   */
  leadMs?: number;
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
 * batches every `pollIntervalMs`. No per-probe state lives in Rust; here a probe is one entry in
 * typed-array rings (send order, deadline, tag) and one in a typed-array hash table from
 * (address, port) to that entry: nothing is allocated per probe on the tagged path the scan
 * loop uses ({@link bindOutcomes}, {@link probeTagged}).
 */
export class RawTransport {
  readonly layer = "raw-packet" as const;
  readonly backlog: number;
  readonly leadMs: number;
  private readonly addon: NativeAddon;
  private handle: NativeHandle | undefined;
  /** address × 65536 + port → position of its probe in the rings. */
  private readonly table: PairTable;
  /**
   * Probes in the order they were handed to the sender thread (a position is the probe's place
   * in the sender's queue): their key (-1 once answered), deadline and tag. Timeouts are swept
   * from the head.
   */
  private readonly keys: NumberRing;
  private readonly deadlines: NumberRing;
  private readonly tags: NumberRing;
  /** Outcome function of the tagged path (tags ≥ 0). */
  private settleTagged: TaggedOutcome | undefined;
  /** Callbacks of `probe`/`probeV4` probes, under tags below 0. */
  private readonly callbacks = new Map<number, ConnectCallback>();
  private nextCallbackTag = -1;
  private readonly timeoutMs: number;
  private batch: Uint8Array;
  private view: DataView;
  private batchCount = 0;
  /** Milliseconds per SYN at the paced rate (0: unpaced). */
  private readonly spacingMs: number;
  /** When the sender thread will have sent everything handed over (paced only). */
  private wireAt = 0;
  /** Probes the sender thread has dealt with (sent or failed), as last read. */
  private processed = 0;
  /** Probes whose timeout was restarted from the moment they were seen sent. */
  private sentSeen = 0;
  private flushScheduled = false;
  private readonly flushSoon = () => this.flush();
  private timer: NodeJS.Timeout | undefined;
  private readonly pollIntervalMs: number;
  private lastStats: NativeStats | undefined;

  constructor(options: RawTransportOptions) {
    this.addon = options.addon;
    this.timeoutMs = options.timeoutMs;
    this.backlog = options.backlog;
    this.pollIntervalMs = options.pollIntervalMs ?? 2;
    this.batch = new Uint8Array(BATCH * PROBE_BYTES);
    this.view = new DataView(this.batch.buffer);
    const rate = options.rate ?? 0;
    this.spacingMs = rate > 0 ? 1000 / rate : 0;
    this.leadMs = options.leadMs ?? (rate > 0 ? 250 : 0);
    // Sized for what a paced scan keeps in flight (rate × (timeout + lead)), at most 2^18
    // probes up front: growing later copies, and copying code runs rarely, so unoptimised.
    const expected = rate > 0 ? (rate * (this.timeoutMs + this.leadMs)) / 1000 : 0;
    const capacity = Math.min(262_144, Math.max(4096, Math.ceil(expected)));
    this.table = new PairTable(capacity);
    this.keys = new NumberRing(capacity);
    this.deadlines = new NumberRing(capacity);
    this.tags = new NumberRing(capacity);
    this.handle = this.addon.open(
      options.secret,
      options.sourcePorts.first,
      options.sourcePorts.last,
      options.recvBuffer ?? 32 * 1024 * 1024,
      rate,
    );
  }

  get inFlight(): number {
    return this.table.size;
  }

  /** Probes handed over and not on the wire yet (gathered here, or paced out by the thread). */
  get queued(): number {
    if (this.spacingMs === 0) return this.batchCount;
    // Exact: what was handed over minus what the sender thread counted (sent or failed).
    this.readProcessed();
    return Math.max(this.batchCount, this.keys.tail - this.processed);
  }

  private readProcessed(): void {
    if (!this.handle) return;
    const s = this.addon.stats(this.handle);
    this.processed = s.sent + s.sendErrors;
  }

  /** The engine's counters (the last ones read once closed). */
  get stats(): NativeStats | undefined {
    if (this.handle) this.lastStats = this.addon.stats(this.handle);
    return this.lastStats;
  }

  bindOutcomes(settle: TaggedOutcome): void {
    this.settleTagged = settle;
  }

  probe(address: string, port: number, family: 4 | 6, done: ConnectCallback): void {
    const addr = family === 4 ? ipv4ToInt(address) : -1;
    if (addr < 0) {
      done("filtered", family === 6 ? "ipv6-unsupported" : "closed");
      return;
    }
    this.probeV4(addr, port, done);
  }

  probeV4(addr: number, port: number, done: ConnectCallback): void {
    const tag = this.nextCallbackTag--;
    this.callbacks.set(tag, done);
    this.enqueue(addr, port, tag);
  }

  probeTagged(addr: number, port: number, tag: number): void {
    if (!this.settleTagged) {
      throw new RawScannerError("INVALID_ARGUMENT", "probeTagged before bindOutcomes");
    }
    if (!(tag >= 0)) throw new RawScannerError("INVALID_ARGUMENT", `tag must be ≥ 0, got ${tag}`);
    this.enqueue(addr, port, tag);
  }

  private deliver(tag: number, status: PortStatus | "retry", reason: string, ttl: number): void {
    if (tag >= 0) {
      (this.settleTagged as TaggedOutcome)(tag, status, reason, ttl);
      return;
    }
    const done = this.callbacks.get(tag);
    this.callbacks.delete(tag);
    done?.(status, reason, ttl);
  }

  private enqueue(addr: number, port: number, tag: number): void {
    if (!this.handle) {
      this.deliver(tag, "filtered", "closed", 0);
      return;
    }
    const key = addr * 65536 + port;
    const position = this.keys.tail;
    const earlier = this.table.set(key, position);
    // The same pair probed again while its earlier probe waits: one reply cannot tell them
    // apart, so the earlier one ends now as unanswered.
    if (earlier >= 0) {
      this.keys.set(earlier, -1);
      this.deliver(this.tags.at(earlier), "filtered", "no-response", 0);
    }
    // The timeout runs from when the paced sender thread will put this SYN on the wire.
    let sendsAt = performance.now();
    if (this.spacingMs > 0) {
      if (this.wireAt > sendsAt) sendsAt = this.wireAt;
      this.wireAt = sendsAt + this.spacingMs;
    }
    this.keys.push(key);
    this.deadlines.push(sendsAt + this.timeoutMs);
    this.tags.push(tag);
    const at = this.batchCount * PROBE_BYTES;
    this.view.setUint32(at, addr);
    this.view.setUint16(at + 4, port);
    this.batchCount++;
    if (this.batchCount === BATCH) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushSoon);
    }
    this.timer ??= setInterval(() => this.tick(), this.pollIntervalMs);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.batchCount === 0 || !this.handle) return;
    // The addon copies the bytes before it returns: the buffer is reused.
    this.addon.send(this.handle, this.batch.subarray(0, this.batchCount * PROBE_BYTES));
    this.batchCount = 0;
  }

  private shiftEntry(): void {
    this.keys.shift();
    this.deadlines.shift();
    this.tags.shift();
  }

  /** Reads the replies the receiver thread matched, then times out what is overdue. */
  private tick(): void {
    if (!this.handle) return;
    this.drain();
    const now = performance.now();
    const { keys, deadlines } = this;
    if (this.spacingMs > 0) {
      // A sender thread slower than the rate (a busy machine) sends later than estimated: a
      // probe's timeout runs from when it is seen sent, and an unsent probe never times out.
      this.readProcessed();
      if (this.sentSeen < keys.head) this.sentSeen = keys.head;
      const end = Math.min(this.processed, keys.tail);
      for (; this.sentSeen < end; this.sentSeen++) {
        if (deadlines.at(this.sentSeen) < now + this.timeoutMs) {
          deadlines.set(this.sentSeen, now + this.timeoutMs);
        }
      }
    }
    while (keys.length > 0) {
      const position = keys.head;
      const key = keys.at(position);
      if (key < 0) {
        // Answered already.
        this.shiftEntry();
        continue;
      }
      if (deadlines.at(position) > now) break;
      if (this.spacingMs > 0 && position >= this.sentSeen) break;
      const tag = this.tags.at(position);
      this.shiftEntry();
      this.table.delete(key);
      this.deliver(tag, "filtered", "no-response", 0);
    }
    if (this.table.size === 0 && this.batchCount === 0) this.idle();
  }

  private drain(): void {
    const handle = this.handle;
    if (!handle) return;
    const results = this.addon.poll(handle);
    if (!results) return;
    for (let at = 0; at + RESULT_BYTES <= results.length; at += RESULT_BYTES) {
      const key = results.readUInt32BE(at) * 65536 + results.readUInt16BE(at + 4);
      const position = this.table.delete(key);
      // Duplicates (retransmitted SYN-ACKs) and replies to settled probes find nothing.
      if (position < 0) continue;
      this.keys.set(position, -1);
      const tag = this.tags.at(position);
      const status = results[at + 6];
      const ttl = results[at + 7] as number;
      // A reply only matches when it acknowledges our ISN, so a RST here is always RST+ACK.
      if (status === 1) this.deliver(tag, "open", "syn-ack", ttl);
      else if (status === 2) this.deliver(tag, "closed", "rst-ack", ttl);
      else this.deliver(tag, "retry", errnoReason(results.readUInt32BE(at + 8)), 0);
    }
  }

  private idle(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  abortAll(): void {
    this.flush();
    this.drain();
    const waiting: number[] = [];
    const { keys } = this;
    for (let p = keys.head; p < keys.tail; p++) if (keys.at(p) >= 0) waiting.push(this.tags.at(p));
    this.table.clear();
    keys.clear();
    this.deadlines.clear();
    this.tags.clear();
    this.idle();
    for (const tag of waiting) this.deliver(tag, "filtered", "no-response", 0);
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
