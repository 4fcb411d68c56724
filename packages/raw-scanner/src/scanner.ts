import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { type BannerOptions, grabBanner } from "./adapters/banners.js";
import { type ConnectCallback, type ConnectLayer, Connector } from "./adapters/connect.js";
import { ConnectPool } from "./adapters/connect-pool.js";
import { Blackrock } from "./core/blackrock.js";
import { parseSourcePortRange, type SourcePortRange, SynCookies } from "./core/cookies.js";
import { formatIpv4, formatIpv6 } from "./core/ip.js";
import { TokenBucket } from "./core/rate.js";
import type { PortStatus, ScanResult } from "./core/result.js";
import { type ReservedBlock, TargetSpace } from "./core/targets.js";
import { RawScannerError } from "./errors.js";
import { chooseBackend } from "./native.js";

/** A progress report, emitted about four times a second and once at the end. */
export interface ScanProgress {
  /** `scan` while probes go out, `wait` while late replies are awaited, `done` at the end. */
  phase: "scan" | "wait" | "done";
  /** Probes sent so far in this run (retries included). */
  sent: number;
  /** Distinct (address, port) pairs this run will probe (this shard, from the resume point). */
  total: number;
  /** Pairs finished (answered, timed out or given up). */
  done: number;
  /** Open ports found so far. */
  found: number;
  /** Measured probes per second over the run. */
  rate: number;
  /** Seconds until the last probe is sent at the current rate (0 when done). */
  eta: number;
  /** The index to resume from if the scan stopped now (see `resumeIndex`). */
  resumeIndex: bigint;
}

/** What the scan loop needs from a backend: send probes, count them, give up on all. */
export interface ScanTransport {
  /** Which socket layer is in use (reported in `run.backend.layer`). */
  readonly layer: ConnectLayer;
  /** Probes sent and not yet answered. */
  readonly inFlight: number;
  /**
   * Probes the transport takes beyond `concurrency` and holds in a queue of its own, while it
   * keeps at most `concurrency` connects open (the worker pool does). Default 0.
   */
  readonly backlog?: number;
  /** Of `inFlight`, the probes still in that queue, not sent yet. Default 0. */
  readonly queued?: number;
  /** Probe `address:port`; call `done` once with the outcome (`retry` = local trouble, try later). */
  probe(address: string, port: number, family: 4 | 6, done: ConnectCallback): void;
  /** End every probe in flight as filtered. */
  abortAll(): void;
  /** Release resources at the end of the scan. */
  close?(): Promise<void>;
}

/** Minimal logger; `console` fits. */
export interface ScanLogger {
  warn(message: string): void;
  debug?(message: string): void;
}

/** Options of {@link scan}. Defaults follow masscan where it has one. */
export interface ScanOptions {
  /** Addresses, CIDR blocks, ranges; explicit, never implied. Required. */
  targets: string | readonly string[];
  /** Ports: `"22,80,8000-8100"` or a list. Required. */
  ports: string | ReadonlyArray<string | number>;
  /** Addresses/blocks/ranges never to probe. */
  exclude?: string | readonly string[];
  /** Probes per second. Default 100 (masscan's default). */
  rate?: number;
  /** Upper bound on `rate`; a higher rate is refused with `RATE_ABOVE_MAX`. Default 1,000,000. */
  maxRate?: number;
  /** Backend: `auto` (default; the connect backend in this release), `native` (raw packets; throws `NATIVE_UNAVAILABLE` until the addon ships), `js`. */
  backend?: "auto" | "native" | "js";
  /** 64-bit seed of the probe order and of the cookie secret. Default: random. */
  seed?: bigint | number;
  /** Shard `i/n` (1-based): probe indices i-1, i-1+n, i-1+2n… Default 1/1. */
  shard?: { index: number; count: number } | string;
  /** Start at this index (from a paused scan's `resumeIndex`). */
  resumeIndex?: bigint | number;
  /** Extra attempts for probes that got no answer. Default 0. */
  retries?: number;
  /** Milliseconds between attempts of one probe. Default 1000. */
  retryDelay?: number;
  /** Seconds to wait after the last probe for outstanding replies. Default 10 (masscan's). */
  wait?: number;
  /** Milliseconds a connect may take before the port counts as filtered. Default 1000. */
  connectTimeout?: number;
  /** Connects in flight at most. Default: rate × connectTimeout, clamped to 16–2048. */
  concurrency?: number;
  /** Source ports for the raw backend's cookies (`"40000-41023"`, a power of two). Default 40000-41023. */
  sourcePort?: string | SourcePortRange;
  /**
   * 16-byte SipHash key of the SYN cookies. Default: derived from `seed` (random unless given).
   * Pass a random one when a fixed seed is used where replies could be spoofed.
   */
  cookieSecret?: Uint8Array;
  /** Grab banners from open ports. Default false. */
  banners?: boolean;
  /** Banner grabs running at once at most. Default 64. */
  bannerConcurrency?: number;
  /** Banner grab tuning (timeouts, byte cap, HTTP Host). */
  bannerOptions?: Omit<BannerOptions, "signal" | "now">;
  /** Statuses to yield. Default `["open"]`, as masscan reports. */
  show?: readonly PortStatus[];
  /** Allow IANA reserved blocks (multicast, documentation…). Default false. */
  allowReserved?: boolean;
  /** Force the socket layer of the connect backend (tests, benchmarks). */
  connectLayer?: ConnectLayer;
  /**
   * A custom probe transport instead of the built-in connect backend (a test double, another
   * backend). It gets every probe and must call `done` exactly once per probe.
   */
  transport?: ScanTransport;
  /**
   * Worker threads doing the connects (0 = all on the main thread; n = the connects go to n
   * workers). Default `"auto"`: for fast sweeps (rate ≥ 20,000/s and ≥ 20,000 probes) on a
   * machine with ≥ 2 cores, the main thread keeps connecting its share of the window and up to 2
   * workers (never more than cores − 1) take the rest, so every core does connect/close system
   * calls; 0 workers otherwise.
   */
  workers?: number | "auto";
  signal?: AbortSignal;
  logger?: ScanLogger;
  onProgress?: (progress: ScanProgress) => void;
  /** Wall clock for result times. Default `() => new Date()`. */
  now?: () => Date;
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
  readonly backend: { name: "js"; reason: string; layer: ConnectLayer };
  /** Reserved blocks that were skipped. */
  readonly skippedReserved: readonly ReservedBlock[];
  /** The lowest index not yet finished: pass it as `resumeIndex` to continue. */
  readonly resumeIndex: bigint;
  /** SYN cookies of this scan (what the raw backend puts on the wire). */
  readonly cookies: SynCookies;
  /** Stops sending; in-flight probes are dropped (they are re-probed on resume). */
  stop(): void;
}

const DEFAULT_SOURCE_PORTS: SourcePortRange = { first: 40000, last: 41023 };

/** Parses `i/n`. */
export function parseShard(shard: { index: number; count: number } | string): {
  index: number;
  count: number;
} {
  const s =
    typeof shard === "string"
      ? (() => {
          const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(shard);
          return m ? { index: Number(m[1]), count: Number(m[2]) } : undefined;
        })()
      : shard;
  if (
    !s ||
    !Number.isInteger(s.index) ||
    !Number.isInteger(s.count) ||
    s.count < 1 ||
    s.index < 1 ||
    s.index > s.count
  ) {
    throw new RawScannerError(
      "INVALID_ARGUMENT",
      `shard must be i/n with 1 ≤ i ≤ n, got ${JSON.stringify(shard)}`,
      {
        input: String(typeof shard === "string" ? shard : `${shard.index}/${shard.count}`),
      },
    );
  }
  return s;
}

const toList = (v: string | readonly string[] | undefined): string[] =>
  v === undefined ? [] : typeof v === "string" ? [v] : [...v];

function positive(name: string, v: number | undefined, fallback: number, min = 0): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
    throw new RawScannerError(
      "INVALID_ARGUMENT",
      `${name} must be a number ≥ ${min}, got ${String(v)}`,
    );
  }
  return v;
}

/**
 * Scans `targets` × `ports` in a keyed pseudo-random order at `rate` probes per second and
 * yields what it finds. Validation happens here, synchronously: bad input throws before any
 * packet leaves.
 */
export function scan(options: ScanOptions): ScanRun {
  const rate = positive("rate", options.rate, 100, Number.MIN_VALUE);
  const maxRate = positive("maxRate", options.maxRate, 1_000_000, Number.MIN_VALUE);
  if (rate > maxRate) {
    throw new RawScannerError(
      "RATE_ABOVE_MAX",
      `rate ${rate}/s is above max-rate ${maxRate}/s; lower it or raise maxRate`,
    );
  }
  const requested = options.backend ?? "auto";
  if (requested !== "auto" && requested !== "native" && requested !== "js") {
    throw new RawScannerError(
      "INVALID_ARGUMENT",
      `backend must be auto, native or js, got ${String(requested)}`,
    );
  }
  const choice = chooseBackend(requested);
  if (choice.backend !== "js") {
    throw new RawScannerError(
      "NATIVE_UNAVAILABLE",
      `backend 'native' is not available: ${choice.reason}. Use backend 'auto' or 'js' (TCP connect scan, no root needed).`,
    );
  }
  const space = TargetSpace.create({
    targets: toList(options.targets),
    ports: typeof options.ports === "string" ? options.ports : options.ports.map(String),
    exclude: toList(options.exclude),
    allowReserved: options.allowReserved ?? false,
  });
  for (const b of space.skippedReserved) {
    options.logger?.warn(`skipping reserved block ${b.cidr} (${b.why}); allowReserved scans it`);
  }
  const shard = parseShard(options.shard ?? { index: 1, count: 1 });
  const seed =
    options.seed === undefined
      ? randomBytes(8).readBigUInt64BE(0)
      : BigInt.asUintN(64, BigInt(options.seed));
  const sourcePorts =
    options.sourcePort === undefined
      ? DEFAULT_SOURCE_PORTS
      : typeof options.sourcePort === "string"
        ? parseSourcePortRange(options.sourcePort)
        : parseSourcePortRange(`${options.sourcePort.first}-${options.sourcePort.last}`);
  const connectTimeout = positive("connectTimeout", options.connectTimeout, 1000, 1);
  const retries = positive("retries", options.retries, 0);
  if (!Number.isInteger(retries))
    throw new RawScannerError("INVALID_ARGUMENT", "retries must be an integer");
  const retryDelay = positive("retryDelay", options.retryDelay, 1000);
  const wait = positive("wait", options.wait, 10);
  const concurrency = Math.floor(
    positive(
      "concurrency",
      options.concurrency,
      Math.min(2048, Math.max(16, Math.ceil((rate * connectTimeout) / 1000))),
      1,
    ),
  );
  let start = BigInt(shard.index - 1);
  if (options.resumeIndex !== undefined) {
    const r = BigInt(options.resumeIndex);
    if (r < 0n || r > space.size || (r - start) % BigInt(shard.count) !== 0n) {
      throw new RawScannerError(
        "RESUME_MISMATCH",
        `resume index ${r} does not belong to shard ${shard.index}/${shard.count} of a ${space.size}-probe scan`,
        { input: String(r) },
      );
    }
    start = r;
  }
  // The cookie secret: given, or from the seed (as masscan does) so a seeded scan is
  // reproducible end to end; the default seed is random, so is the default secret.
  let secret: Uint8Array;
  if (options.cookieSecret !== undefined) {
    if (!(options.cookieSecret instanceof Uint8Array) || options.cookieSecret.length !== 16) {
      throw new RawScannerError("INVALID_ARGUMENT", "cookieSecret must be 16 bytes");
    }
    secret = options.cookieSecret;
  } else {
    const derived = Buffer.alloc(16);
    derived.writeBigUInt64BE(seed, 0);
    derived.writeBigUInt64BE(BigInt.asUintN(64, seed * 0x9e3779b97f4a7c15n + 1n), 8);
    secret = derived;
  }
  const cookies = new SynCookies({ secret, sourcePorts });
  const bannerConcurrency = positive("bannerConcurrency", options.bannerConcurrency, 64, 1);
  if (!Number.isInteger(bannerConcurrency)) {
    throw new RawScannerError("INVALID_ARGUMENT", "bannerConcurrency must be an integer ≥ 1");
  }
  const probes = space.size / BigInt(shard.count);
  const asked = options.workers;
  const auto = asked === undefined || asked === "auto";
  const workers =
    asked === undefined || asked === "auto"
      ? rate >= 20_000 && probes >= 20_000n && options.connectLayer === undefined
        ? Math.min(2, availableParallelism() - 1)
        : 0
      : positive("workers", asked, 0);
  if (!Number.isInteger(workers) || workers > 64) {
    throw new RawScannerError(
      "INVALID_ARGUMENT",
      `workers must be an integer 0–64, got ${workers}`,
    );
  }
  const connector: ScanTransport = options.transport
    ? options.transport
    : workers > 0
      ? new ConnectPool({ timeout: connectTimeout, workers, concurrency, local: auto })
      : new Connector({
          timeout: connectTimeout,
          ...(options.connectLayer ? { layer: options.connectLayer } : {}),
        });
  return new JsScan(options, {
    space,
    shard,
    seed,
    rate,
    start,
    retries,
    retryDelay,
    wait,
    concurrency,
    cookies,
    connector,
    backendReason: choice.reason,
  });
}

interface Plan {
  space: TargetSpace;
  shard: { index: number; count: number };
  seed: bigint;
  rate: number;
  start: bigint;
  retries: number;
  retryDelay: number;
  wait: number;
  concurrency: number;
  cookies: SynCookies;
  connector: ScanTransport;
  backendReason: string;
}

interface Slot {
  index: bigint;
  finished: boolean;
  /** Attempts that failed on our side (no ports or descriptors left, address family missing). */
  localFailures?: number;
}

/** Local failures of one probe before it is given up (spaced 20 ms, 40 ms, … apart). */
const MAX_LOCAL_FAILURES = 12;

interface Retry {
  slot: Slot;
  address: string;
  family: 4 | 6;
  port: number;
  attempt: number;
  due: number;
}

class JsScan implements ScanRun {
  readonly size: bigint;
  readonly seed: bigint;
  readonly shard: { index: number; count: number };
  readonly skippedReserved: readonly ReservedBlock[];
  readonly cookies: SynCookies;
  private readonly options: ScanOptions;
  private readonly plan: Plan;
  private next: bigint;
  /** Launched-but-unfinished slots in index order, for the resume point. */
  private readonly window: Slot[] = [];
  private windowHead = 0;
  private started = false;
  private stopped = false;
  private readonly queue: ScanResult[] = [];
  private wake: (() => void) | undefined;
  private failure: unknown;
  private ended = false;
  private sent = 0;
  private doneCount = 0;
  private found = 0;
  private bannersInFlight = 0;
  private readonly retryQueue: Retry[] = [];
  private readonly show: ReadonlySet<PortStatus>;
  private readonly now: () => Date;

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
    this.now = options.now ?? (() => new Date());
  }

  get backend(): { name: "js"; reason: string; layer: ConnectLayer } {
    return { name: "js", reason: this.plan.backendReason, layer: this.plan.connector.layer };
  }

  get resumeIndex(): bigint {
    while (this.windowHead < this.window.length && (this.window[this.windowHead] as Slot).finished)
      this.windowHead++;
    if (this.windowHead > 4096) {
      this.window.splice(0, this.windowHead);
      this.windowHead = 0;
    }
    const head = this.window[this.windowHead];
    if (head) return head.index;
    if (this.next < this.size) return this.next;
    return this.size;
  }

  stop(): void {
    this.stopped = true;
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
    const { space, connector, rate, retries } = this.plan;
    // Probes handed to the transport at most: its open connects plus what it queues itself.
    const concurrency = this.plan.concurrency + Math.max(0, Math.floor(connector.backlog ?? 0));
    const signal = this.options.signal;
    if (signal?.aborted) throw aborted(signal);
    const bucket = new TokenBucket({ rate });
    const perm = new Blackrock(space.size, this.plan.seed);
    const step = BigInt(this.plan.shard.count);
    const small = space.isSmall;
    const addressCount = space.addressCount;
    const t0 = performance.now();
    let lastProgress = 0;
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
    const progress = (phase: ScanProgress["phase"]) => {
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
        eta: phase === "done" ? 0 : left / rate,
        resumeIndex: this.resumeIndex,
      });
    };

    // Banner grabs run at most `bannerConcurrency` at a time; the rest wait their turn.
    const bannerQueue: ScanResult[] = [];
    let bannersRunning = 0;
    const bannerLimit = this.options.bannerConcurrency ?? 64;
    const pumpBanners = (): void => {
      while (bannersRunning < bannerLimit && bannerQueue.length > 0) {
        const result = bannerQueue.shift() as ScanResult;
        bannersRunning++;
        const opts: BannerOptions = { ...this.options.bannerOptions, now: this.now };
        if (signal) opts.signal = signal;
        void grabBanner(result.address, result.port, opts)
          .then((banner) => {
            if (banner) result.banner = banner;
          })
          .catch(() => undefined)
          .finally(() => {
            bannersRunning--;
            this.bannersInFlight--;
            this.emit(result);
            pumpBanners();
            release();
          });
      }
    };
    const finish = (
      slot: Slot,
      address: string,
      port: number,
      status: PortStatus,
      reason: string,
    ) => {
      slot.finished = true;
      this.doneCount++;
      if (status === "open") this.found++;
      // Most probes of a sweep are closed and not shown: build nothing for them.
      if (!this.show.has(status)) return;
      const result: ScanResult = {
        time: this.now(),
        address,
        port,
        protocol: "tcp",
        status,
        reason,
        ttl: 0,
      };
      if (status === "open" && this.options.banners) {
        this.bannersInFlight++;
        bannerQueue.push(result);
        pumpBanners();
        return;
      }
      this.emit(result);
    };

    const launch = (slot: Slot, address: string, family: 4 | 6, port: number, attempt: number) => {
      this.sent++;
      connector.probe(address, port, family, (status, reason) => {
        if (this.stopped && !slot.finished) {
          release();
          return;
        }
        if (status === "retry") {
          // Our machine ran short (ports, descriptors): not an answer; try again shortly, but
          // not forever (an address family this host lacks never recovers).
          const failures = (slot.localFailures ?? 0) + 1;
          slot.localFailures = failures;
          if (failures > MAX_LOCAL_FAILURES) {
            this.options.logger?.warn(
              `${address}:${port}: giving up after ${failures} local errors (${reason})`,
            );
            finish(slot, address, port, "filtered", `local-error:${reason}`);
          } else {
            this.retryQueue.push({
              slot,
              address,
              family,
              port,
              attempt,
              due: performance.now() + 20 * failures,
            });
            this.retryQueue.sort((a, b) => a.due - b.due);
          }
        } else if (status === "filtered" && attempt < retries) {
          this.retryQueue.push({
            slot,
            address,
            family,
            port,
            attempt: attempt + 1,
            due: performance.now() + this.plan.retryDelay,
          });
          this.retryQueue.sort((a, b) => a.due - b.due);
        } else {
          finish(slot, address, port, status, reason);
        }
        release();
      });
    };

    let lastAddressIndex = -1;
    let lastAddress = "";
    const onAbort = () => this.stop();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      let lastSend = performance.now();
      for (;;) {
        if (this.stopped) break;
        const now = performance.now();
        if (now - lastProgress > 250) {
          lastProgress = now;
          progress("scan");
        }
        const dueRetry = this.retryQueue.length > 0 && (this.retryQueue[0] as Retry).due <= now;
        const more = this.next < this.size;
        if (!more && !dueRetry) {
          if (
            connector.inFlight === 0 &&
            this.retryQueue.length === 0 &&
            this.bannersInFlight === 0
          )
            break;
          // Waiting for late replies, at most `wait` seconds after the last probe: a probe still
          // in the transport's own queue has not been sent, so the wait has not started.
          if ((connector.queued ?? 0) > 0) lastSend = now;
          if (now - lastSend > this.plan.wait * 1000 && this.retryQueue.length === 0) break;
          await sleepOrWake(
            this.retryQueue.length > 0 ? Math.max(1, (this.retryQueue[0] as Retry).due - now) : 50,
            (w) => {
              slotWaiter = w;
            },
          );
          continue;
        }
        const free = concurrency - connector.inFlight;
        if (free <= 0) {
          await sleepOrWake(connectTimeoutOf(this.plan), (w) => {
            slotWaiter = w;
          });
          continue;
        }
        const granted = bucket.take(Math.min(free, 256));
        if (granted === 0) {
          await sleepOrWake(Math.max(1, bucket.delayFor(1)), () => undefined);
          continue;
        }
        lastSend = now;
        for (let k = 0; k < granted; k++) {
          const retry = this.retryQueue[0];
          if (retry && retry.due <= now) {
            this.retryQueue.shift();
            launch(retry.slot, retry.address, retry.family, retry.port, retry.attempt);
            continue;
          }
          if (this.next >= this.size) break;
          const index = this.next;
          this.next += step;
          const slot: Slot = { index, finished: false };
          this.window.push(slot);
          let address: string;
          let family: 4 | 6;
          let port: number;
          if (small) {
            const x = perm.shuffle(Number(index));
            const a = space.addressIndexAt(x);
            port = space.portAt(x);
            if (space.isV4Index(a)) {
              // Sweeps repeat a few addresses many times: reuse their text.
              if (a !== lastAddressIndex) {
                lastAddressIndex = a;
                lastAddress = formatIpv4(space.v4At(a));
              }
              address = lastAddress;
              family = 4;
            } else {
              address = formatIpv6(space.v6At(BigInt(a)));
              family = 6;
            }
          } else {
            const x = perm.shuffleBig(index);
            const at = space.at(x);
            address = at.address;
            family = at.version;
            port = at.port;
            void addressCount;
          }
          launch(slot, address, family, port, 0);
        }
        // Let completions run before the next batch.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      const wasStopped = this.stopped;
      // After a stop, callbacks are ignored (those probes are re-probed on resume); after the
      // wait, whatever is still in flight got no answer and is reported as such.
      if (connector.inFlight > 0) connector.abortAll();
      await connector.close?.();
      if (!wasStopped) {
        // Anything left after the wait: no answer.
        for (const r of this.retryQueue.splice(0)) {
          finish(r.slot, r.address, r.port, "filtered", "no-response");
        }
      }
      progress("done");
    }
    if (signal?.aborted) throw aborted(signal);
  }
}

function connectTimeoutOf(plan: Plan): number {
  return Math.max(1, Math.min(50, plan.retryDelay));
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
