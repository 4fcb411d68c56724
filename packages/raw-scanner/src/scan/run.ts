import { setMaxListeners } from "node:events";
import { type BannerOptions, grabBanner } from "../adapters/banners.js";
import { type ConnectCallback, Connector, loadTcpBinding } from "../adapters/connect.js";
import { ConnectPool } from "../adapters/connect-pool.js";
import type { NativeStats } from "../adapters/native.js";
import { RawTransport } from "../adapters/raw-transport.js";
import { Blackrock } from "../core/blackrock.js";
import type { SynCookies } from "../core/cookies.js";
import { formatIpv4, formatIpv6 } from "../core/ip.js";
import { TokenBucket } from "../core/rate.js";
import type { PortStatus, ScanResult } from "../core/result.js";
import { NumberRing } from "../core/ring.js";
import type { ReservedBlock } from "../core/targets.js";
import { RawScannerError } from "../errors.js";
import {
  type Plan,
  resolvePlan,
  type ScanOptions,
  type ScanProgressEvent,
  type ScanTransport,
  type TransportLayer,
} from "./options.js";
import { Slots } from "./slots.js";

/** The backend a scan runs on, why it was picked, and (native) its packet counters. */
export interface ScanBackend {
  /** `native`: raw SYN packets through the Rust addon; `js`: TCP connect (or a custom transport). */
  name: "js" | "native";
  /** Why this backend: what was asked, or why `auto` fell back to connect. */
  reason: string;
  /** Socket layer in use. */
  layer: TransportLayer;
  /** Native backend only: packets sent, replies matched, kernel drops… */
  stats?: NativeStats;
}

/** A running scan: iterate it for results; read `resumeIndex` after a stop to resume later. */
export interface ScanRun extends AsyncIterable<ScanResult> {
  /** Pairs in the whole target space (all shards), exact. */
  readonly size: bigint;
  /** The seed in use (random unless given). */
  readonly seed: bigint;
  /** Shard in use. */
  readonly shard: { index: number; count: number };
  /** Backend in use and why it was picked. */
  readonly backend: ScanBackend;
  /** Reserved blocks that were skipped. */
  readonly skippedReserved: readonly ReservedBlock[];
  /** The lowest index not yet finished: pass it as `resumeIndex` to continue. */
  readonly resumeIndex: bigint;
  /**
   * SYN cookies of this scan: what the native backend puts on the wire (source port and ISN of
   * every SYN). Not used by the connect backend (the kernel picks its ports and sequence numbers).
   */
  readonly cookies: SynCookies;
  /**
   * Connects that reached their own socket (TCP self-connect on the host's own address) and were
   * discarded and probed again.
   */
  readonly selfConnects: number;
  /**
   * Stops sending; probes in flight are dropped (they are probed again on resume). Open ports
   * already found are still yielded, without the banners not yet grabbed.
   */
  stop(): void;
}

/**
 * Scans `targets` × `ports` in a keyed pseudo-random order at `rate` probes per second and
 * yields what it finds. Validation happens here, synchronously: bad input throws before any
 * packet leaves.
 */
export function scan(options: ScanOptions): ScanRun {
  return new JsScan(options, resolvePlan(options));
}

/** Local failures of one probe before it is given up (spaced 20 ms, 40 ms, … apart). */
const MAX_LOCAL_FAILURES = 12;

/** A probe to send again after a local failure (rare: kept in a sorted array). */
interface LocalRetry {
  slot: number;
  due: number;
}

class JsScan implements ScanRun {
  readonly size: bigint;
  readonly seed: bigint;
  readonly shard: { index: number; count: number };
  readonly skippedReserved: readonly ReservedBlock[];
  readonly cookies: SynCookies;
  selfConnects = 0;
  private readonly options: ScanOptions;
  private readonly plan: Plan;
  /** Made when the scan starts, so a scan that is never iterated opens nothing (no workers). */
  private transport: ScanTransport | undefined;
  private next: bigint;
  /** Per-probe state; its window gives the resume point. */
  private readonly slots = new Slots();
  private started = false;
  private stopped = false;
  private readonly queue: ScanResult[] = [];
  private wake: (() => void) | undefined;
  private failure: unknown;
  private ended = false;
  private sent = 0;
  private doneCount = 0;
  private found = 0;
  /** Unanswered probes to send again: slots and due times, in due order (one fixed delay). */
  private readonly retrySlots = new NumberRing(256);
  private readonly retryDue = new NumberRing(256);
  /** Probes to send again after a local failure, by due time. */
  private readonly localRetries: LocalRetry[] = [];
  private readonly show: ReadonlySet<PortStatus>;
  private readonly now: () => number;
  /** Ends the banner grabs when the scan is stopped or aborted. */
  private readonly bannerStop = new AbortController();

  constructor(options: ScanOptions, plan: Plan) {
    this.options = options;
    this.plan = plan;
    this.size = plan.space.size;
    this.seed = plan.seed;
    this.shard = plan.shard;
    this.cookies = plan.cookies;
    this.skippedReserved = plan.space.skippedReserved;
    this.next = plan.start;
    this.show = new Set(options.show ?? ["open"]);
    this.now = options.now ?? Date.now;
  }

  private get connector(): ScanTransport {
    if (!this.transport) {
      const { plan, options } = this;
      this.transport = options.transport
        ? options.transport
        : plan.backend.name === "native"
          ? new RawTransport({
              addon: plan.backend.addon,
              secret: plan.secret,
              sourcePorts: plan.cookies.sourcePorts,
              timeoutMs: plan.connectTimeoutMs,
              backlog: 0,
              rate: plan.rate,
            })
          : plan.workers > 0
            ? new ConnectPool({
                timeoutMs: plan.connectTimeoutMs,
                workers: plan.workers,
                concurrency: plan.concurrency,
                local: plan.localLane,
              })
            : new Connector({
                timeoutMs: plan.connectTimeoutMs,
                ...(options.connectLayer ? { layer: options.connectLayer } : {}),
              });
    }
    return this.transport;
  }

  get backend(): ScanBackend {
    if (this.plan.backend.name === "native") {
      const stats = this.transport instanceof RawTransport ? this.transport.stats : undefined;
      return {
        name: "native",
        reason: this.plan.backend.reason,
        layer: "raw-packet",
        ...(stats ? { stats } : {}),
      };
    }
    const layer: TransportLayer =
      this.transport?.layer ??
      this.options.transport?.layer ??
      this.options.connectLayer ??
      (loadTcpBinding() ? "tcp-handle" : "net-socket");
    return { name: "js", reason: this.plan.backend.reason, layer };
  }

  get resumeIndex(): bigint {
    const head = this.slots.reclaim();
    if (head >= 0) return this.slots.bigIndex[head] ?? BigInt(this.slots.index[head] as number);
    if (this.next < this.size) return this.next;
    return this.size;
  }

  private get retriesWaiting(): number {
    return this.retrySlots.length + this.localRetries.length;
  }

  /** When the next retry is due (Infinity when none waits). */
  private get nextRetryDue(): number {
    const fifo = this.retryDue.length > 0 ? this.retryDue.peek() : Number.POSITIVE_INFINITY;
    const local = this.localRetries[0]?.due ?? Number.POSITIVE_INFINITY;
    return Math.min(fifo, local);
  }

  /** A slot whose retry is due at `now`, taken off its queue, or -1. */
  private takeDueRetry(now: number): number {
    const local = this.localRetries[0];
    if (local && local.due <= now) {
      this.localRetries.shift();
      return local.slot;
    }
    if (this.retryDue.length > 0 && this.retryDue.peek() <= now) {
      this.retryDue.shift();
      return this.retrySlots.shift();
    }
    return -1;
  }

  stop(): void {
    this.stopped = true;
    this.bannerStop.abort();
    this.wake?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<ScanResult> {
    if (this.started) throw new RawScannerError("INVALID_ARGUMENT", "a scan can be iterated once");
    this.started = true;
    void this.run().then(
      () => {
        this.ended = true;
        this.wake?.();
      },
      (error: unknown) => {
        this.failure = error;
        this.ended = true;
        this.wake?.();
      },
    );
    return {
      next: async (): Promise<IteratorResult<ScanResult>> => {
        for (;;) {
          const item = this.queue.shift();
          if (item) return { value: item, done: false };
          if (this.ended) {
            if (this.failure) throw this.failure;
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
          this.wake = undefined;
        }
      },
      return: async (): Promise<IteratorResult<ScanResult>> => {
        this.stop();
        return { value: undefined, done: true };
      },
    };
  }

  private emit(result: ScanResult): void {
    this.queue.push(result);
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private total(): number {
    const remaining = this.size - this.plan.start;
    const step = BigInt(this.plan.shard.count);
    return remaining <= 0n ? 0 : Number((remaining + step - 1n) / step);
  }

  private async run(): Promise<void> {
    const { space, rate, retries } = this.plan;
    const connector = this.connector;
    // Probes handed to the transport at most: its open connects plus what it queues itself.
    const concurrency = this.plan.concurrency + Math.max(0, Math.floor(connector.backlog ?? 0));
    const signal = this.options.signal;
    const logger = this.options.logger;
    if (signal?.aborted) {
      await connector.close?.();
      throw aborted(signal);
    }
    // A transport that paces its own sending may be handed `leadMs` of probes at once.
    const leadMs = Math.max(0, connector.leadMs ?? 0);
    // Its whole lead from the start: the transport's sender then never waits for this loop.
    const lead = Math.max(1, Math.ceil((rate * leadMs) / 1000));
    const bucket = new TokenBucket(leadMs > 0 ? { rate, burst: lead, initial: lead } : { rate });
    const probeV4 = connector.probeV4?.bind(connector);
    // Probes per turn of the loop before completions get their turn.
    const perTurn = probeV4 || connector.probeTagged ? 2048 : 256;
    const perm = new Blackrock(space.size, this.plan.seed);
    const step = BigInt(this.plan.shard.count);
    const small = space.isSmall;
    const stepN = this.plan.shard.count;
    const sizeN = Number(space.size);
    const t0 = performance.now();
    let lastProgress = 0;
    let lastPhase: ScanProgressEvent["phase"] | undefined;
    let slotWaiter: (() => void) | undefined;
    // Wake the send loop only once a quarter of the window is free, so it launches probes in
    // batches instead of one per completion.
    const lowWater = concurrency - Math.max(1, Math.floor(concurrency / 4));
    const release = () => {
      if (!slotWaiter || (connector.inFlight > lowWater && this.next < this.size && !this.stopped))
        return;
      const w = slotWaiter;
      slotWaiter = undefined;
      w?.();
    };
    const progress = (phase: ScanProgressEvent["phase"]) => {
      const elapsed = (performance.now() - t0) / 1000;
      const measured = elapsed > 0 ? this.sent / elapsed : 0;
      const left = Math.max(0, this.total() - this.doneCount);
      this.options.onProgress?.({
        phase,
        sent: this.sent,
        total: this.total(),
        done: this.doneCount,
        found: this.found,
        rate: measured,
        etaMs: phase === "done" ? 0 : (left / rate) * 1000,
        resumeIndex: this.resumeIndex,
      });
    };

    // Banner grabs run at most `bannerConcurrency` at a time; the rest wait their turn. The open
    // port is already counted and its result made; a grab can only add the banner to it.
    const bannerQueue: ScanResult[] = [];
    const grabs = new Set<Promise<void>>();
    const bannerLimit = this.plan.bannerConcurrency;
    const bannerSignal = signal
      ? AbortSignal.any([signal, this.bannerStop.signal])
      : this.bannerStop.signal;
    // Every grab in flight listens on this one signal: allow that many listeners (Node warns of
    // a leak past 10), plus a few for the scan's own.
    setMaxListeners(bannerLimit + 4, bannerSignal);
    const bannerOptions: BannerOptions = {
      ...this.options.bannerOptions,
      now: this.now,
      signal: bannerSignal,
    };
    const pumpBanners = (): void => {
      while (grabs.size < bannerLimit && bannerQueue.length > 0) {
        const result = bannerQueue.shift() as ScanResult;
        const grab: Promise<void> = grabBanner(result.address, result.port, bannerOptions)
          .then((banner) => {
            if (banner) result.banner = banner;
          })
          .catch((error: unknown) => {
            logger?.debug(`${result.address}:${result.port}: banner grab failed`, error);
          })
          .finally(() => {
            grabs.delete(grab);
            this.emit(result);
            pumpBanners();
            release();
          });
        grabs.add(grab);
      }
    };
    const slots = this.slots;
    // A slot's address: text, or made from its IPv4 uint32 only when a result needs it.
    const text = (slot: number) => slots.text[slot] ?? formatIpv4(slots.address[slot] as number);
    const finish = (slot: number, status: PortStatus, reason: string, ttl = 0) => {
      slots.finished[slot] = 1;
      this.doneCount++;
      if (status === "open") this.found++;
      // Most probes of a sweep are closed and not shown: build nothing for them.
      if (!this.show.has(status)) return;
      const result: ScanResult = {
        time: new Date(this.now()),
        address: text(slot),
        port: slots.port[slot] as number,
        protocol: "tcp",
        status,
        reason,
        ttl,
      };
      if (status === "open" && this.options.banners && !this.stopped) {
        bannerQueue.push(result);
        pumpBanners();
        return;
      }
      this.emit(result);
    };

    let waitExpired = false;
    let waitExpiredAt = 0;
    const retryDelayMs = this.plan.retryDelayMs;
    // Every outcome of every backend ends here, by slot: the tagged path calls it directly.
    const settle = (slot: number, status: PortStatus | "retry", reason: string, ttl = 0) => {
      // Only the outcome of a probe the transport holds counts: a second one for the same probe
      // (a transport that reports twice) is ignored.
      if (!slots.waiting[slot]) return;
      slots.waiting[slot] = 0;
      if (this.stopped && !slots.finished[slot]) {
        release();
        return;
      }
      if (status === "retry") {
        if (reason === "self-connect") {
          this.selfConnects++;
          logger?.debug(
            `${text(slot)}:${slots.port[slot]}: connected to itself; discarded, probing again`,
          );
        }
        // Our machine ran short (ports, descriptors) or met itself: not an answer; try again
        // shortly, but not forever (an address family this host lacks never recovers).
        const failures = (slots.failures[slot] as number) + 1;
        slots.failures[slot] = failures;
        if (failures > MAX_LOCAL_FAILURES || waitExpired) {
          logger?.warn(
            `${text(slot)}:${slots.port[slot]}: giving up after ${failures} local errors (${reason})`,
          );
          finish(slot, "filtered", `local-error:${reason}`);
        } else {
          const due = performance.now() + 20 * failures;
          const queue = this.localRetries;
          let at = queue.length;
          while (at > 0 && (queue[at - 1] as LocalRetry).due > due) at--;
          queue.splice(at, 0, { slot, due });
        }
      } else if (
        status === "filtered" &&
        (slots.attempt[slot] as number) < retries &&
        !waitExpired
      ) {
        slots.attempt[slot] = (slots.attempt[slot] as number) + 1;
        this.retrySlots.push(slot);
        this.retryDue.push(performance.now() + retryDelayMs);
      } else {
        finish(slot, status, reason, ttl);
      }
      release();
    };
    const tagged =
      connector.bindOutcomes && connector.probeTagged
        ? connector.probeTagged.bind(connector)
        : undefined;
    if (tagged) connector.bindOutcomes?.(settle);
    const launch = (slot: number) => {
      this.sent++;
      slots.waiting[slot] = 1;
      const address = slots.text[slot];
      if (address === undefined && tagged) {
        tagged(slots.address[slot] as number, slots.port[slot] as number, slot);
        return;
      }
      // Callback backends: one closure per probe, ignored once its slot was reused.
      const generation = slots.generation[slot];
      const done: ConnectCallback = (status, reason, ttl) => {
        if (slots.generation[slot] === generation) settle(slot, status, reason, ttl);
      };
      if (address === undefined) {
        (probeV4 as NonNullable<typeof probeV4>)(
          slots.address[slot] as number,
          slots.port[slot] as number,
          done,
        );
      } else {
        connector.probe(address, slots.port[slot] as number, slots.family[slot] as 4 | 6, done);
      }
    };

    // Addresses stay uint32 (no text per probe) when the transport takes them so.
    const numeric = tagged !== undefined || probeV4 !== undefined;
    let lastAddressIndex = -1;
    let lastAddress = "";
    const onAbort = () => this.stop();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      let lastSend = performance.now();
      for (;;) {
        if (this.stopped) break;
        const now = performance.now();
        const dueRetry = this.nextRetryDue <= now;
        const more = this.next < this.size;
        // Every 250 ms, and at once when the scan phase ends (the send time is then exact).
        // Probes still queued in the transport (not yet on the wire) belong to the scan phase.
        // Read once a turn (the native backend asks its sender thread): only needed once sending ends.
        const queued = more ? 0 : (connector.queued ?? 0);
        const phase = more || queued > 0 ? "scan" : "wait";
        if (now - lastProgress > 250 || phase !== lastPhase) {
          lastProgress = now;
          lastPhase = phase;
          progress(phase);
        }
        if (!more && !dueRetry) {
          const settled = connector.inFlight === 0 && this.retriesWaiting === 0;
          if (settled && grabs.size === 0 && bannerQueue.length === 0) break;
          // A transport that does not settle its probes when told to: stop waiting for it.
          if (!settled && waitExpired && now - waitExpiredAt > 1000) break;
          // A probe still in the transport's own queue has not been sent: the wait has not
          // started. `waitMs` 0 cuts nothing: probes settle on their own connect timeout.
          if (queued > 0) lastSend = now;
          if (
            !settled &&
            !waitExpired &&
            this.plan.waitMs > 0 &&
            now - lastSend > this.plan.waitMs &&
            this.retriesWaiting === 0
          ) {
            // Whatever is still in flight got no answer in time: filtered, no more retries.
            waitExpired = true;
            waitExpiredAt = now;
            connector.abortAll();
            continue;
          }
          // While the transport still sends its queue, look again soon: the wait starts then.
          const idle = queued > 0 ? 2 : 50;
          await sleepOrWake(
            this.retriesWaiting > 0 ? Math.max(1, Math.min(idle, this.nextRetryDue - now)) : idle,
            (w) => {
              slotWaiter = w;
            },
          );
          continue;
        }
        const free = concurrency - connector.inFlight;
        if (free <= 0) {
          await sleepOrWake(Math.max(1, Math.min(50, this.plan.retryDelayMs)), (w) => {
            slotWaiter = w;
          });
          continue;
        }
        const granted = bucket.take(Math.min(free, perTurn));
        if (granted === 0) {
          await sleepOrWake(Math.max(1, bucket.delayFor(1)), () => undefined);
          continue;
        }
        lastSend = now;
        // Small spaces count in numbers (no bigint per probe); `this.next` is set after the turn.
        let nextN = small ? Number(this.next) : 0;
        // Free the slots of finished targets at the front of the window for reuse.
        slots.reclaim();
        for (let k = 0; k < granted; k++) {
          const retry = this.takeDueRetry(now);
          if (retry >= 0) {
            launch(retry);
            continue;
          }
          let index: number | bigint;
          if (small) {
            if (nextN >= sizeN) break;
            index = nextN;
            nextN += stepN;
          } else {
            if (this.next >= this.size) break;
            index = this.next;
            this.next += step;
          }
          const slot = slots.take();
          if (small) {
            slots.index[slot] = index as number;
            const x = perm.shuffle(index as number);
            const a = space.addressIndexAt(x);
            slots.port[slot] = space.portAt(x);
            if (numeric && space.isV4Index(a)) {
              slots.address[slot] = space.v4At(a);
              slots.family[slot] = 4;
            } else if (space.isV4Index(a)) {
              // Sweeps repeat a few addresses many times: reuse their text.
              if (a !== lastAddressIndex) {
                lastAddressIndex = a;
                lastAddress = formatIpv4(space.v4At(a));
              }
              slots.text[slot] = lastAddress;
              slots.family[slot] = 4;
            } else {
              slots.text[slot] = formatIpv6(space.v6At(BigInt(a)));
              slots.family[slot] = 6;
            }
          } else {
            slots.bigIndex[slot] = index as bigint;
            const at = space.at(perm.shuffleBig(index as bigint));
            slots.text[slot] = at.address;
            slots.family[slot] = at.version;
            slots.port[slot] = at.port;
          }
          launch(slot);
        }
        if (small) this.next = BigInt(nextN);
        // Let completions run before the next batch.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      const wasStopped = this.stopped;
      // After a stop, callbacks are ignored (those probes are probed again on resume).
      if (connector.inFlight > 0) connector.abortAll();
      await connector.close?.();
      if (!wasStopped) {
        for (const r of this.localRetries.splice(0)) finish(r.slot, "filtered", "no-response");
        while (this.retrySlots.length > 0) {
          this.retryDue.shift();
          finish(this.retrySlots.shift(), "filtered", "no-response");
        }
      }
      // Open ports waiting for a banner are results already: yield them without it.
      for (const r of bannerQueue.splice(0)) this.emit(r);
      this.bannerStop.abort();
      await Promise.all([...grabs]);
      progress("done");
    }
    if (signal?.aborted) throw aborted(signal);
  }
}

function aborted(signal: AbortSignal): RawScannerError {
  return new RawScannerError("ABORTED", "scan aborted; resume with its resumeIndex", {
    cause: signal.reason,
  });
}

/** Sleeps `ms`, or less if the registered waker is called. Never spins. */
function sleepOrWake(ms: number, register: (wake: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      resolve();
    }
    register(done);
  });
}
