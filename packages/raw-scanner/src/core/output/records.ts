import type { PortStatus, TlsInfo } from "../result.js";

/** A port-status line of a masscan output file. */
export interface StatusRecord {
  kind: "status";
  time: Date;
  address: string;
  port: number;
  protocol: "tcp";
  status: PortStatus;
  reason: string;
  ttl: number;
}

/** A banner line of a masscan output file. */
export interface BannerRecord {
  kind: "banner";
  time: Date;
  address: string;
  port: number;
  protocol: "tcp";
  /** masscan service name (`ssh`, `smtp`, `http`, `ssl`…). */
  service: string;
  /** Raw banner text (latin1 code units). */
  banner: string;
  ttl: number;
  tls?: TlsInfo;
}

/** One line/record of a masscan output file. */
export type ScanRecord = StatusRecord | BannerRecord;

/** Facts writers put in headers and footers. */
export interface OutputMeta {
  /** When the scan started (headers). */
  startTime: Date;
  /**
   * When the scan ended (footers).
   *
   * @defaultValue now
   */
  endTime?: Date;
  /**
   * Scanned TCP ports as inclusive ranges (grepable header).
   *
   * @defaultValue `[]`
   */
  ports?: ReadonlyArray<readonly [number, number]>;
  /**
   * Who scanned, and how: the XML header's `scanner`, `version` and `<scaninfo type>`.
   *
   * @defaultValue `{ name: "raw-scan", version: <this package's>, scanType: "connect" }`
   */
  scanner?: ScannerInfo;
}

/** The scanner named in an XML output's header. */
export interface ScannerInfo {
  /** `nmaprun/@scanner`: `raw-scan`, or `masscan` to reproduce masscan's own files. */
  name: string;
  /** `nmaprun/@version`. */
  version: string;
  /** `scaninfo/@type` in nmap's vocabulary: `connect` (this release) or `syn` (raw packets). */
  scanType: "connect" | "syn";
}

/** The output formats masscan writes. */
export type OutputFormat = "json" | "ndjson" | "list" | "grepable" | "xml" | "binary";

/** masscan application-protocol numbers, as stored in its binary format. */
export const APP_PROTOCOLS: ReadonlyArray<readonly [number, string]> = [
  [0, "unknown"],
  [3, "ssh"],
  [4, "http"],
  [5, "ftp"],
  [6, "dns-ver"],
  [7, "snmp"],
  [8, "nbtstat"],
  [9, "ssl"],
  [10, "smb"],
  [11, "smtp"],
  [12, "pop"],
  [13, "imap"],
  [15, "X509"],
  [16, "X509CA"],
  [17, "title"],
  [18, "html"],
  [19, "ntp"],
  [25, "memcached"],
  [29, "telnet"],
  [30, "rdp"],
  [31, "http.server"],
  [32, "minecraft"],
  [33, "vnc"],
  [34, "vnc-info"],
  [36, "error"],
];

export function appProtocolNumber(service: string): number {
  for (const [n, name] of APP_PROTOCOLS) if (name === service) return n;
  return 0;
}

export function appProtocolName(n: number): string {
  if (n === 1) return "unknown";
  if (n === 2) return "ssh";
  for (const [k, name] of APP_PROTOCOLS) if (k === n) return name;
  return `(${n})`;
}

const FLAG_NAMES = ["fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr"] as const;

/** TCP flags byte → masscan's reason text (`syn-ack`, `rst-ack`, `none`). */
export function reasonFromFlags(flags: number): string {
  const names = FLAG_NAMES.filter((_, i) => (flags & (1 << i)) !== 0);
  return names.length === 0 ? "none" : names.join("-");
}

/** masscan reason text → TCP flags byte; `undefined` when it is not a flags reason. */
export function flagsFromReason(reason: string): number | undefined {
  if (reason === "none") return 0;
  let flags = 0;
  for (const part of reason.split("-")) {
    const bit = FLAG_NAMES.indexOf(part as (typeof FLAG_NAMES)[number]);
    if (bit < 0) return undefined;
    flags |= 1 << bit;
  }
  return flags;
}
