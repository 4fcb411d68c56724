import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import type { EphemeralRange } from "../core/source-ports.js";
import { RawScannerError } from "../errors.js";

/** I/O used by {@link readEphemeralRange}; injected in tests. */
export interface OsPortsIo {
  /**
   * The OS to ask.
   *
   * @defaultValue `process.platform`
   */
  platform?: NodeJS.Platform;
  /**
   * Reads a file (Linux: `/proc/sys/net/ipv4/ip_local_port_range`).
   *
   * @defaultValue `fs.promises.readFile(path, "utf8")`
   */
  readFile?: (path: string) => Promise<string>;
  /**
   * Runs `sysctl -n <names>` (macOS).
   *
   * @defaultValue the real `sysctl`
   */
  sysctl?: (names: string[]) => Promise<string>;
}

const LINUX_FILE = "/proc/sys/net/ipv4/ip_local_port_range";

/**
 * Reads the OS ephemeral port range: Linux `/proc/sys/net/ipv4/ip_local_port_range`, macOS and
 * BSD `sysctl net.inet.ip.portrange.first/last`. Throws `OS_QUERY` when it cannot.
 */
export async function readEphemeralRange(io: OsPortsIo = {}): Promise<EphemeralRange> {
  const platform = io.platform ?? process.platform;
  const check = (first: number, last: number, source: string): EphemeralRange => {
    if (
      !Number.isInteger(first) ||
      !Number.isInteger(last) ||
      first < 1 ||
      last > 65535 ||
      last < first
    ) {
      throw new RawScannerError(
        "OS_QUERY",
        `${source} did not hold a port range (got ${first}-${last})`,
      );
    }
    return { first, last };
  };
  if (platform === "linux") {
    const read = io.readFile ?? ((p: string) => readFile(p, "utf8"));
    let text: string;
    try {
      text = await read(LINUX_FILE);
    } catch (cause) {
      throw new RawScannerError("OS_QUERY", `cannot read ${LINUX_FILE}`, { cause });
    }
    const [a, b] = text.trim().split(/\s+/).map(Number);
    return check(a ?? Number.NaN, b ?? Number.NaN, LINUX_FILE);
  }
  if (platform === "darwin" || platform === "freebsd" || platform === "openbsd") {
    const sysctl =
      io.sysctl ??
      (async (names: string[]) => (await promisify(execFile)("sysctl", ["-n", ...names])).stdout);
    let text: string;
    try {
      text = await sysctl(["net.inet.ip.portrange.first", "net.inet.ip.portrange.last"]);
    } catch (cause) {
      throw new RawScannerError("OS_QUERY", "sysctl net.inet.ip.portrange.first/last failed", {
        cause,
      });
    }
    const [a, b] = text.trim().split(/\s+/).map(Number);
    return check(a ?? Number.NaN, b ?? Number.NaN, "sysctl net.inet.ip.portrange");
  }
  throw new RawScannerError(
    "OS_QUERY",
    `reading the ephemeral port range is not supported on ${platform}`,
  );
}
