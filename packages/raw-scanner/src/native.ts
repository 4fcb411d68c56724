import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** The surface the Rust raw-packet addon (next release) will expose. */
export interface NativeBinding {
  /** Addon version. */
  version(): string;
}

/** Result of {@link loadNative}: the binding, or why it is not there. */
export type NativeLoadResult =
  | { available: true; binding: NativeBinding; path: string }
  | { available: false; reason: string };

/** Which backend a scan uses, and why. */
export interface BackendChoice {
  backend: "native" | "js";
  reason: string;
}

/** The platform tag napi-rs names its binaries after, e.g. `linux-x64-gnu`. */
export function platformTag(platform = process.platform, arch = process.arch): string {
  if (platform === "linux") {
    return `linux-${arch}-${isMusl() ? "musl" : "gnu"}`;
  }
  return `${platform}-${arch}`;
}

/**
 * musl or glibc? `process.report.getReport()` answers too, but takes seconds on some hosts;
 * the dynamic loader's script names its libc (the check napi-rs also uses).
 */
function isMusl(): boolean {
  try {
    return readFileSync("/usr/bin/ldd", "latin1").includes("musl");
  } catch {
    return false;
  }
}

let cached: NativeLoadResult | undefined;

/**
 * Tries to load the native raw-packet addon: `RAW_SCANNER_NATIVE_PATH` if set, else the
 * platform package `@tinkerbox/raw-scanner-<platform>`, else `native/raw-scanner.<platform>.node`
 * next to the package. Never throws; says why it fell back. `RAW_SCANNER_BACKEND=js` skips it.
 */
export function loadNative(env: NodeJS.ProcessEnv = process.env): NativeLoadResult {
  if (cached && env === process.env) return cached;
  const result = tryLoad(env);
  if (env === process.env) cached = result;
  return result;
}

function tryLoad(env: NodeJS.ProcessEnv): NativeLoadResult {
  if (env.RAW_SCANNER_BACKEND === "js") {
    return { available: false, reason: "RAW_SCANNER_BACKEND=js forces the JavaScript backend" };
  }
  const tag = platformTag();
  const require = createRequire(import.meta.url);
  const candidates = [
    ...(env.RAW_SCANNER_NATIVE_PATH ? [env.RAW_SCANNER_NATIVE_PATH] : []),
    `@tinkerbox/raw-scanner-${tag}`,
    `../native/raw-scanner.${tag}.node`,
  ];
  const failures: string[] = [];
  for (const candidate of candidates) {
    try {
      const binding = require(candidate) as NativeBinding;
      if (typeof binding?.version !== "function") {
        failures.push(`${candidate}: not a raw-scanner addon`);
        continue;
      }
      return { available: true, binding, path: candidate };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      failures.push(
        `${candidate}: ${code === "MODULE_NOT_FOUND" ? "not installed" : (error as Error).message}`,
      );
    }
  }
  return {
    available: false,
    reason: `the native raw-packet addon for ${tag} is not available in this release (${failures.join("; ")})`,
  };
}

/** Picks the backend for `auto`/`native`/`js`; `native` without the addon is reported to the caller. */
export function chooseBackend(
  requested: "auto" | "native" | "js",
  env: NodeJS.ProcessEnv = process.env,
): BackendChoice | { backend: "unavailable"; reason: string } {
  if (requested === "js") return { backend: "js", reason: "backend 'js' requested" };
  const native = loadNative(env);
  if (requested === "native") {
    return native.available
      ? { backend: "native", reason: `native addon ${native.path}` }
      : { backend: "unavailable", reason: native.reason };
  }
  // 'auto': the raw-packet engine lands in the next release; until it drives scans, use JS.
  return {
    backend: "js",
    reason: native.available
      ? "native addon found, but this release drives scans with the connect backend"
      : `connect backend (${native.reason})`,
  };
}
