import { randomBytes } from "node:crypto";
import { availableParallelism, loadavg } from "node:os";
import type { BannerOptions } from "../adapters/banners.js";
import type { ConnectCallback, ConnectLayer } from "../adapters/connect.js";
import { loadNative, type NativeAddon } from "../adapters/native.js";
import { parseSourcePortRange, type SourcePortRange, SynCookies } from "../core/cookies.js";
import { BigRangeList, RangeList } from "../core/ranges.js";
import type { PortStatus } from "../core/result.js";
import { parseTargets, TargetSpace } from "../core/targets.js";
import { RawScannerError } from "../errors.js";
import type { Logger } from "../logger.js";

/** A progress report, emitted about four times a second and once at the end. */
export interface ScanProgressEvent {
  /** `scan` while probes go out, `wait` while answers and banners are awaited, `done` at the end. */
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
  /** Milliseconds until the last probe is sent at the current rate (0 when done). */
  etaMs: number;
  /** The index to resume from if the scan stopped now (see `resumeIndex`). */
  resumeIndex: bigint;
}

/**
 * The socket layer a scan uses: the connect backend's two (`tcp-handle`, `net-socket`) or the
 * native backend's `raw-packet` (raw IPv4 socket out, AF_PACKET in).
 */
export type TransportLayer = ConnectLayer | "raw-packet";

/**
 * Where a transport's tagged path reports an outcome: the `tag` its probe was given, then what
 * a {@link ConnectCallback} would get.
 */
export type TaggedOutcome = (
  tag: number,
  status: PortStatus | "retry",
  reason: string,
  ttl: number,
) => void;

/** What the scan loop needs from a backend: send probes, count them, give up on all. */
export interface ScanTransport {
  /** Which socket layer is in use (reported in `run.backend.layer`). */
  readonly layer: TransportLayer;
  /** Probes sent and not yet answered. */
  readonly inFlight: number;
  /**
   * Probes the transport takes beyond `concurrency` and holds in a queue of its own, while it
   * keeps at most `concurrency` connects open (the worker pool does).
   *
   * @defaultValue 0
   */
  readonly backlog?: number;
  /**
   * Of `inFlight`, the probes still in that queue, not sent yet.
   *
   * @defaultValue 0
   */
  readonly queued?: number;
  /**
   * Milliseconds of probes the scan loop may hand over ahead of `rate`: a transport that paces
   * its own sending (the native backend's sender thread) smooths them out on the wire, so a
   * loop delayed by a busy event loop catches up without the wire ever exceeding the rate.
   *
   * @defaultValue 0 (the loop paces: at most 1/50 s of `rate` at once)
   */
  readonly leadMs?: number;
  /** Probe `address:port`; call `done` once with the outcome (`retry` = local trouble, try later). */
  probe(address: string, port: number, family: 4 | 6, done: ConnectCallback): void;
  /**
   * Optional fast path for IPv4: the same as `probe`, the address as a uint32 (no text made or
   * parsed per probe). The loop uses it when present.
   */
  probeV4?(address: number, port: number, done: ConnectCallback): void;
  /**
   * Optional allocation-free IPv4 path: the loop calls it once before its first probe with the
   * function every outcome goes to, and from then on probes with {@link probeTagged}. A
   * transport that has it is probed with neither `probe` nor `probeV4` for IPv4 targets.
   */
  bindOutcomes?(settle: TaggedOutcome): void;
  /**
   * Probe the IPv4 address (a uint32) and port; report the outcome once, through the function
   * given to {@link bindOutcomes}, with `tag` (the loop's number for this probe). `abortAll`
   * settles tagged probes the same way.
   */
  probeTagged?(address: number, port: number, tag: number): void;
  /** End every probe in flight as filtered. */
  abortAll(): void;
  /** Release resources at the end of the scan. */
  close?(): Promise<void>;
}

/** Banner tuning a scan passes to every grab (see {@link BannerOptions}). */
export type ScanBannerOptions = Omit<BannerOptions, "signal" | "now">;

/** Options of {@link scan}. Defaults follow masscan where it has one. */
export interface ScanOptions {
  /** Addresses, CIDR blocks, ranges; explicit, never implied. Required. */
  targets: string | readonly string[];
  /** Ports: `"22,80,8000-8100"` or a list. Required. */
  ports: string | ReadonlyArray<string | number>;
  /**
   * Addresses/blocks/ranges never to probe. A target set of more than 1,000,000,000 addresses
   * (the whole internet) is refused unless at least one exclude is given, as masscan does.
   *
   * @defaultValue `[]`
   */
  exclude?: string | readonly string[];
  /**
   * Probes per second (masscan's `--rate` and `--max-rate`).
   *
   * @defaultValue 100
   */
  rate?: number;
  /**
   * Upper bound on `rate`; a higher rate is refused with `RATE_ABOVE_MAX` (CLI `--rate-cap`).
   *
   * @defaultValue 1_000_000
   */
  rateCap?: number;
  /**
   * `native`: raw SYN scan through the Rust addon (Linux, CAP_NET_RAW or root, IPv4 targets);
   * throws `NATIVE_UNAVAILABLE` with the reason when it cannot run. `js`: TCP connect scan (no
   * root). `auto`: native when it can run, else connect; `run.backend` says which ran and why.
   * The environment variable `RAW_SCANNER_BACKEND=native|js` overrides this option.
   *
   * @defaultValue `"auto"`
   */
  backend?: "auto" | "native" | "js";
  /**
   * 64-bit seed of the probe order and of the cookie secret. Required with a `shard` of more than
   * one machine (each machine needs the same order).
   *
   * @defaultValue random
   */
  seed?: bigint | number;
  /**
   * Shard `i/n` (1-based): probe indices i-1, i-1+n, i-1+2n…
   *
   * @defaultValue `"1/1"`
   */
  shard?: { index: number; count: number } | string;
  /**
   * Start at this index (from a paused scan's `resumeIndex`).
   *
   * @defaultValue the shard's first index
   */
  resumeIndex?: bigint | number;
  /**
   * Extra attempts for probes that got no answer.
   *
   * @defaultValue 0
   */
  retries?: number;
  /**
   * Milliseconds between attempts of one probe.
   *
   * @defaultValue 1000
   */
  retryDelayMs?: number;
  /**
   * Milliseconds the scan still waits, after the last probe is sent, for probes that have not
   * settled; whatever is unanswered then counts as filtered. 0 means no extra wait: the probes in
   * flight still settle (answer or `connectTimeoutMs`) and are never dropped. Banner grabs are
   * always waited for (each is bounded by its own timeouts). CLI: `--wait` in seconds.
   *
   * @defaultValue 10_000 (masscan's 10 s)
   */
  waitMs?: number;
  /**
   * Milliseconds a connect (native backend: a SYN) may go unanswered before the port counts as
   * filtered.
   *
   * @defaultValue 1000
   */
  connectTimeoutMs?: number;
  /**
   * Probes in flight at most.
   *
   * @defaultValue connect backend: rate × connectTimeoutMs / 1000, clamped to 16–2048; native
   * backend: rate × (connectTimeoutMs + 250) / 1000, at least 1024
   */
  concurrency?: number;
  /**
   * Source ports of the native backend's SYNs (`"40000-41023"`, a power of two): the SYN cookie
   * picks one per probe. The connect backend does not use them (the kernel picks its ports).
   *
   * @defaultValue `"40000-41023"`
   */
  sourcePort?: string | SourcePortRange;
  /**
   * 16-byte SipHash key of the SYN cookies. Pass a random one when a fixed seed is used where
   * replies could be spoofed.
   *
   * @defaultValue derived from `seed`
   */
  cookieSecret?: Uint8Array;
  /**
   * Grab banners from open ports. The open port is recorded when its connect succeeds; the grab
   * only adds to it, and the scan ends after every grab finished or timed out.
   *
   * @defaultValue false
   */
  banners?: boolean;
  /**
   * Banner grabs running at once at most.
   *
   * @defaultValue 64
   */
  bannerConcurrency?: number;
  /**
   * Banner grab tuning (hello timeout, connection timeout, byte cap, HTTP Host, hellos).
   *
   * @defaultValue `{}`
   */
  bannerOptions?: ScanBannerOptions;
  /**
   * Statuses to yield.
   *
   * @defaultValue `["open"]` (as masscan reports)
   */
  show?: readonly PortStatus[];
  /**
   * Allow IANA reserved blocks (multicast, documentation…).
   *
   * @defaultValue false
   */
  allowReserved?: boolean;
  /**
   * Force the socket layer of the connect backend (tests, benchmarks).
   *
   * @defaultValue `"tcp-handle"` when Node has it, else `"net-socket"`
   */
  connectLayer?: ConnectLayer;
  /**
   * A custom probe transport instead of the built-in connect backend (a test double, another
   * backend). It gets every probe and must call `done` exactly once per probe.
   *
   * @defaultValue the connect backend
   */
  transport?: ScanTransport;
  /**
   * Worker threads doing the connects (0 = all on the main thread; n = the connects go to n
   * workers). `"auto"`: for fast sweeps (rate ≥ 20,000/s and ≥ 20,000 probes) on a machine with
   * ≥ 2 cores and a 1-minute load average below the core count, the main thread keeps connecting
   * its share of the window and up to 2 workers (never more than cores − 1) take the rest; 0
   * workers otherwise (on a saturated machine extra threads only contend).
   *
   * @defaultValue `"auto"`
   */
  workers?: number | "auto";
  /**
   * Stops the scan: the iterator throws `ABORTED`, `resumeIndex` says where to continue.
   *
   * @defaultValue none
   */
  signal?: AbortSignal;
  /**
   * Where warnings (skipped reserved blocks, probes given up) and debug notes go.
   *
   * @defaultValue silent
   */
  logger?: Logger;
  /**
   * Progress, about four times a second and once at the end.
   *
   * @defaultValue none
   */
  onProgress?: (event: ScanProgressEvent) => void;
  /**
   * Wall clock for result times, epoch milliseconds.
   *
   * @defaultValue `Date.now`
   */
  now?: () => number;
}

/** Everything validated, ready to run. */
export interface Plan {
  space: TargetSpace;
  shard: { index: number; count: number };
  seed: bigint;
  rate: number;
  start: bigint;
  retries: number;
  retryDelayMs: number;
  waitMs: number;
  connectTimeoutMs: number;
  concurrency: number;
  cookies: SynCookies;
  /** Worker threads for the connect backend (0 = main thread only). */
  workers: number;
  /** Whether the main thread is a lane next to the workers (the `auto` layout). */
  localLane: boolean;
  bannerConcurrency: number;
  /** The backend that will run, why, and the addon when it is the native one. */
  backend: PlannedBackend;
  /** The cookie secret (the native backend's SYNs carry the same cookies as `cookies`). */
  secret: Uint8Array;
  backendReason: string;
}

/** Which backend a scan will use. */
export type PlannedBackend =
  | { name: "native"; reason: string; addon: NativeAddon; path: string }
  | { name: "js"; reason: string; addon?: undefined; path?: undefined };

/** The environment variable that forces a backend (`native` or `js`), as ws's WS_NO_* do. */
export const BACKEND_ENV = "RAW_SCANNER_BACKEND";

/**
 * Picks the backend: the environment override, then the option; `auto` takes native when the
 * addon loads, raw sockets open (CAP_NET_RAW) and every target is IPv4.
 */
export function chooseBackend(
  requested: "auto" | "native" | "js",
  options: {
    hasV6: boolean;
    customTransport: boolean;
    /** `connectLayer` or a number of `workers` was given: options of the connect backend. */
    connectOptions?: boolean;
    env?: NodeJS.ProcessEnv;
  },
): PlannedBackend {
  const env = options.env ?? process.env;
  if (options.customTransport) return { name: "js", reason: "custom transport given" };
  const forced = env[BACKEND_ENV];
  let want = requested;
  let why = `backend '${requested}' requested`;
  if (forced !== undefined && forced !== "") {
    if (forced !== "native" && forced !== "js") {
      throw new RawScannerError(
        "INVALID_ARGUMENT",
        `${BACKEND_ENV} must be native or js, got ${JSON.stringify(forced)}`,
        { input: forced },
      );
    }
    want = forced;
    why = `${BACKEND_ENV}=${forced}`;
  }
  if (want === "js") return { name: "js", reason: `${why}: TCP connect scan` };
  if (want === "auto" && options.connectOptions) {
    return {
      name: "js",
      reason:
        "auto: connectLayer or workers given (options of the connect backend): TCP connect scan",
    };
  }
  const problem = (() => {
    if (options.hasV6) return "IPv6 targets: the native backend sends IPv4 only";
    const loaded = loadNative(env);
    if (!loaded.addon) return loaded.reason;
    const cap = loaded.addon.capabilityProblem();
    if (cap)
      return `no raw socket access: ${cap} (run as root or: sudo setcap cap_net_raw+ep $(command -v node))`;
    return { addon: loaded.addon, path: loaded.path };
  })();
  if (typeof problem === "object") {
    return {
      name: "native",
      reason: `${why === "backend 'auto' requested" ? "auto: raw sockets available" : why}: raw SYN scan (IP_HDRINCL send, AF_PACKET receive) with ${problem.path}`,
      addon: problem.addon,
      path: problem.path,
    };
  }
  if (want === "native") {
    throw new RawScannerError(
      "NATIVE_UNAVAILABLE",
      `backend 'native' is not available (${why}): ${problem}. Use backend 'auto' or 'js' (TCP connect scan, no root needed).`,
    );
  }
  return { name: "js", reason: `auto: connect backend, native unavailable (${problem})` };
}

const DEFAULT_SOURCE_PORTS: SourcePortRange = { first: 40000, last: 41023 };

/** masscan refuses more addresses than this without an explicit exclude. */
export const WHOLE_INTERNET_THRESHOLD = 1_000_000_000n;

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
 * Refuses a request for the whole internet (more than 1,000,000,000 addresses) without an
 * explicit exclude, as masscan does; reserved blocks dropped by default do not count as one.
 */
export function checkWholeInternet(targets: readonly string[], exclude: readonly string[]): bigint {
  const wanted = parseTargets(targets);
  const count = BigInt(new RangeList(wanted.v4).count) + new BigRangeList(wanted.v6).count;
  const excludes = parseTargets(exclude);
  if (count > WHOLE_INTERNET_THRESHOLD && excludes.v4.length === 0 && excludes.v6.length === 0) {
    throw new RawScannerError(
      "UNSAFE_TARGET",
      `range too big, need confirmation: the targets cover ${count.toLocaleString("en-US")} addresses ` +
        `(more than ${WHOLE_INTERNET_THRESHOLD.toLocaleString("en-US")}, the whole internet or a large part of it). ` +
        "To prevent accidents, at least one exclude must be specified; " +
        'use "--exclude 255.255.255.255" (exclude: "255.255.255.255") as a simple confirmation, ' +
        "or an exclude file of the networks that asked not to be scanned.",
      { input: targets.join(","), addressCount: count },
    );
  }
  return count;
}

/**
 * Validates every option and turns them into a {@link Plan}. Synchronous: bad input throws
 * before any packet leaves.
 */
export function resolvePlan(options: ScanOptions): Plan {
  const rate = positive("rate", options.rate, 100, Number.MIN_VALUE);
  const rateCap = positive("rateCap", options.rateCap, 1_000_000, Number.MIN_VALUE);
  if (rate > rateCap) {
    throw new RawScannerError(
      "RATE_ABOVE_MAX",
      `rate ${rate}/s is above the rate cap ${rateCap}/s; lower it or raise rateCap (--rate-cap)`,
    );
  }
  const requested = options.backend ?? "auto";
  if (requested !== "auto" && requested !== "native" && requested !== "js") {
    throw new RawScannerError(
      "INVALID_ARGUMENT",
      `backend must be auto, native or js, got ${String(requested)}`,
    );
  }
  const targets = toList(options.targets);
  const exclude = toList(options.exclude);
  const space = TargetSpace.create({
    targets,
    ports: typeof options.ports === "string" ? options.ports : options.ports.map(String),
    exclude,
    allowReserved: options.allowReserved ?? false,
  });
  checkWholeInternet(targets, exclude);
  for (const b of space.skippedReserved) {
    options.logger?.warn(`skipping reserved block ${b.cidr} (${b.why}); allowReserved scans it`);
  }
  const shard = parseShard(options.shard ?? { index: 1, count: 1 });
  if (shard.count > 1 && options.seed === undefined) {
    throw new RawScannerError(
      "INVALID_ARGUMENT",
      `shard ${shard.index}/${shard.count} needs a seed: every machine must use the same seed (and targets and ports), ` +
        "or the shards overlap and miss pairs. Pick one (e.g. --seed 12345) and pass it to every shard.",
    );
  }
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
  const connectTimeoutMs = positive("connectTimeoutMs", options.connectTimeoutMs, 1000, 1);
  const backend = chooseBackend(requested, {
    hasV6: space.v6.count > 0n,
    customTransport: options.transport !== undefined,
    connectOptions: options.connectLayer !== undefined || typeof options.workers === "number",
  });
  const retries = positive("retries", options.retries, 0);
  if (!Number.isInteger(retries))
    throw new RawScannerError("INVALID_ARGUMENT", "retries must be an integer");
  const retryDelayMs = positive("retryDelayMs", options.retryDelayMs, 1000);
  const waitMs = positive("waitMs", options.waitMs, 10_000);
  const concurrency = Math.floor(
    positive(
      "concurrency",
      options.concurrency,
      backend.name === "native"
        ? Math.max(1024, Math.ceil((rate * (connectTimeoutMs + 250)) / 1000))
        : Math.min(2048, Math.max(16, Math.ceil((rate * connectTimeoutMs) / 1000))),
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
  // Worker threads only pay when a core is free for them: on a saturated machine (1-minute load
  // average at or above the core count) they only add contention, so `auto` keeps to the main
  // thread there (measured: 65,535-port sweeps at load ≈ 12 on 2 cores, 5.8 s main thread only
  // against 7.5 s with a worker).
  const cores = availableParallelism();
  const spare = loadavg()[0] ?? 0;
  const workers = auto
    ? rate >= 20_000 &&
      probes >= 20_000n &&
      options.connectLayer === undefined &&
      backend.name === "js" &&
      (spare === 0 || spare < cores)
      ? Math.max(0, Math.min(2, cores - 1))
      : 0
    : positive("workers", asked, 0);
  if (!Number.isInteger(workers) || workers > 64) {
    throw new RawScannerError(
      "INVALID_ARGUMENT",
      `workers must be an integer 0–64, got ${workers}`,
    );
  }
  return {
    space,
    shard,
    seed,
    rate,
    start,
    retries,
    retryDelayMs,
    waitMs,
    concurrency,
    connectTimeoutMs,
    cookies,
    workers,
    localLane: auto,
    bannerConcurrency,
    backend,
    secret,
    backendReason: backend.reason,
  };
}

/**
 * Checks `options` exactly as {@link scan} does, without starting anything (no sockets, no
 * workers). Throws the same {@link RawScannerError}s.
 */
export function validateScanOptions(options: ScanOptions): void {
  resolvePlan(options);
}
