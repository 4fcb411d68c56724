import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The ABI version this JavaScript speaks; the addon's `ABI_VERSION` must be equal. */
export const NATIVE_ABI_VERSION = 2;

/** Counters of a native engine. */
export interface NativeStats {
  /** SYN packets the kernel accepted. */
  sent: number;
  /** Probes that could not be sent (no route, EPERM from a firewall…). */
  sendErrors: number;
  /** Packets the AF_PACKET socket delivered (after its BPF filter). */
  received: number;
  /** Replies whose cookie matched. */
  matched: number;
  /** RSTs sent to end half-open connections. */
  rstsSent: number;
  /** Packets the kernel dropped because the receive buffer was full (known after `close`). */
  kernelDrops: number;
  /** Milliseconds between the first and the latest SYN batch: `sent ÷ sendSpanMs` is the wire rate. */
  sendSpanMs: number;
}

/** An open engine (an N-API external). */
export type NativeHandle = { readonly __nativeHandle: unique symbol };

/** What the Rust addon (packages/raw-scanner/native) exports. */
export interface NativeAddon {
  readonly ABI_VERSION: number;
  /** Why raw sockets cannot be opened here (no CAP_NET_RAW), or null. */
  capabilityProblem(): string | null;
  /** The cookie (source port, ISN) the Rust side puts on the wire. */
  synCookie(
    secret: Uint8Array,
    first: number,
    last: number,
    src: number,
    dst: number,
    dport: number,
  ): [number, number];
  /** `count` positions of the permutation from `start`, as little-endian float64s. */
  blackrockShuffle(
    range: number,
    seed: bigint,
    rounds: number,
    start: number,
    count: number,
  ): Buffer;
  /** Opens the sockets and starts the threads; the sender paces to `rate` SYNs/s (0: unpaced). */
  open(
    secret: Uint8Array,
    first: number,
    last: number,
    recvBuffer: number,
    rate: number,
  ): NativeHandle;
  send(handle: NativeHandle, probes: Uint8Array): void;
  poll(handle: NativeHandle): Buffer | undefined;
  stats(handle: NativeHandle): NativeStats;
  /** Stops the threads (after the sender drained its queue); returns the final counters. */
  close(handle: NativeHandle): NativeStats;
}

const FUNCTIONS = [
  "capabilityProblem",
  "synCookie",
  "blackrockShuffle",
  "open",
  "send",
  "poll",
  "stats",
  "close",
] as const;

/** The outcome of {@link loadNative}: the addon and where it came from, or why there is none. */
export type NativeLoad =
  | { addon: NativeAddon; path: string; reason?: undefined }
  | { addon?: undefined; path?: undefined; reason: string };

/** napi-rs's platform name: `linux-x64-gnu`, `linux-arm64-musl`, `darwin-arm64`… */
export function platformTriple(
  platform: string = process.platform,
  arch: string = process.arch,
  glibc: boolean = isGlibc(),
): string {
  if (platform === "linux") return `linux-${arch}-${glibc ? "gnu" : "musl"}`;
  return `${platform}-${arch}`;
}

function isGlibc(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } };
  return typeof report?.header?.glibcVersionRuntime === "string";
}

/** Checks that `mod` really is this addon: every export and the ABI version. */
export function checkAddon(mod: unknown): string | undefined {
  if (typeof mod !== "object" || mod === null) return "it exports no object";
  const m = mod as Record<string, unknown>;
  const missing = FUNCTIONS.filter((name) => typeof m[name] !== "function");
  if (missing.length > 0) return `it lacks the functions ${missing.join(", ")}`;
  if (m.ABI_VERSION !== NATIVE_ABI_VERSION) {
    return `its ABI_VERSION is ${String(m.ABI_VERSION)}, this package needs ${NATIVE_ABI_VERSION} (rebuild it: pnpm --filter @tinkerbox/raw-scanner build)`;
  }
  return undefined;
}

/**
 * The places a binary may be, in order: `RAW_SCANNER_NATIVE_PATH` alone when set; else the
 * local build (`native/raw-scanner.<triple>.node` in the package, from `src/` or `dist/`), then
 * napi-rs's per-platform package `@tinkerbox/raw-scanner-<triple>`.
 */
export function nativeCandidates(
  env: NodeJS.ProcessEnv = process.env,
  here: string = import.meta.url,
): Array<{ path: string; from: string }> {
  const explicit = env.RAW_SCANNER_NATIVE_PATH;
  if (explicit) return [{ path: explicit, from: "RAW_SCANNER_NATIVE_PATH" }];
  const triple = platformTriple();
  const file = `raw-scanner.${triple}.node`;
  const out: Array<{ path: string; from: string }> = [];
  for (const up of ["../native/", "../../native/"]) {
    const path = fileURLToPath(new URL(up + file, here));
    if (existsSync(path)) out.push({ path, from: "local build" });
  }
  try {
    const require = createRequire(here);
    out.push({
      path: require.resolve(`@tinkerbox/raw-scanner-${triple}`),
      from: `package @tinkerbox/raw-scanner-${triple}`,
    });
  } catch {
    // not installed: an optional per-platform package
  }
  return out;
}

let cached: NativeLoad | undefined;
let cachedKey: string | undefined;

/**
 * Loads the Rust addon, or says why not (never throws). The result is cached per
 * `RAW_SCANNER_NATIVE_PATH` value.
 */
export function loadNative(env: NodeJS.ProcessEnv = process.env): NativeLoad {
  const key = env.RAW_SCANNER_NATIVE_PATH ?? "";
  if (cached && cachedKey === key) return cached;
  cachedKey = key;
  cached = tryLoad(env);
  return cached;
}

function tryLoad(env: NodeJS.ProcessEnv): NativeLoad {
  if (process.platform !== "linux") {
    return { reason: `the raw-packet backend is Linux-only (this is ${process.platform})` };
  }
  const candidates = nativeCandidates(env);
  if (candidates.length === 0) {
    return {
      reason: `no native addon built for ${platformTriple()} (build it with cargo: pnpm --filter @tinkerbox/raw-scanner build)`,
    };
  }
  const problems: string[] = [];
  const require = createRequire(import.meta.url);
  for (const { path, from } of candidates) {
    let mod: unknown;
    try {
      mod = require(path);
    } catch (error) {
      problems.push(`${path} (${from}) does not load: ${(error as Error).message.split("\n")[0]}`);
      continue;
    }
    const wrong = checkAddon(mod);
    if (wrong) {
      problems.push(`${path} (${from}) is not the raw-scanner addon: ${wrong}`);
      continue;
    }
    return { addon: mod as NativeAddon, path };
  }
  return { reason: problems.join("; ") };
}
