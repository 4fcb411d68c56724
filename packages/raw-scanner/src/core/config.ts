import { RawScannerError } from "../errors.js";
import type { OutputFormat } from "./output/records.js";

/** The effective configuration of a `raw-scan` run: masscan.conf names, typed. */
export interface RawScanConfig {
  /** `range =` lines and bare command-line targets. */
  targets: string[];
  /** `ports =` / `-p` lists. */
  ports: string[];
  /** `exclude =` lists. */
  exclude: string[];
  /** `excludefile =` paths (read by the CLI). */
  excludeFiles: string[];
  /** `includefile =` / `-iL` paths: files of targets. */
  includeFiles: string[];
  /** Probes per second (`rate`, and masscan's `max-rate`, which means the same). */
  rate?: number;
  /** Our own upper bound on `rate` (`rate-cap`); a higher rate is refused. */
  rateCap?: number;
  seed?: bigint;
  shard?: { index: number; count: number };
  resumeIndex?: bigint;
  sourcePort?: string;
  /** Seconds to wait after the last probe for late replies. */
  wait?: number;
  retries?: number;
  /** Worker threads for the connect backend (`auto` by default). */
  workers?: number | "auto";
  banners?: boolean;
  /** Seconds a connect may take before the port counts as filtered (`connect-timeout`). */
  connectTimeout?: number;
  /** Seconds a banner grab waits for the greeting or the answer to its hello (`hello-timeout`). */
  helloTimeout?: number;
  /** Seconds a banner connection may be held open in all (masscan's `connection-timeout`). */
  connectionTimeout?: number;
  /** HTTP Host header for HTTP banners. */
  httpHost?: string;
  /** HTTP User-Agent for HTTP banners (`http-user-agent`). */
  httpUserAgent?: string;
  /** Per-port hello bytes, base64 as masscan takes them (`hello-string[PORT] = base64`). */
  hellos: Record<number, string>;
  /** `top-ports N`: nmap's N most frequent TCP ports, added to `ports`. */
  topPorts?: number;
  /** `append-output`: add to existing output files instead of replacing them. */
  appendOutput?: boolean;
  /** `open-only` / `open`: report open ports only (the default; overrides `show`). */
  openOnly?: boolean;
  backend?: "auto" | "native" | "js";
  allowReserved?: boolean;
  /** Which statuses to report (`open` always; `closed`, `filtered` on request). */
  show: Array<"open" | "closed" | "filtered">;
  outputs: Array<{ format: OutputFormat; filename: string }>;
  /** masscan-only options that were accepted but have no effect here. */
  ignored: string[];
  /** Notes about accepted options that change nothing here (`-sS`, `-Pn`, `randomize-hosts`…). */
  notes: string[];
}

/** A fresh, empty configuration. */
export function emptyConfig(): RawScanConfig {
  return {
    targets: [],
    ports: [],
    exclude: [],
    excludeFiles: [],
    includeFiles: [],
    show: [],
    outputs: [],
    ignored: [],
    notes: [],
    hellos: {},
  };
}

type Setter = (config: RawScanConfig, value: string, where: Where) => void;
/** Where a configuration value came from, for error messages. */
export interface ConfigSource {
  /** The config file. */
  path?: string;
  /** The 1-based line in it. */
  line?: number;
}
type Where = ConfigSource;

const invalid = (name: string, value: string, why: string, where: Where) =>
  new RawScannerError(
    "CONFIG_INVALID",
    `${where.path ? `${where.path}:${where.line}: ` : ""}${name} = ${value}: ${why}`,
    {
      input: value,
      ...(where.path ? { path: where.path } : {}),
      ...(where.line ? { line: where.line } : {}),
    },
  );

const num =
  (
    name: string,
    key: "rate" | "rateCap" | "wait" | "connectTimeout" | "helloTimeout" | "connectionTimeout",
    min: number,
  ): Setter =>
  (c, v, w) => {
    const n = Number(v.trim());
    if (v.trim() === "" || !Number.isFinite(n) || n < min)
      throw invalid(name, v, `must be a number ≥ ${min}`, w);
    c[key] = n;
  };

const bool =
  (name: string, key: "banners" | "allowReserved" | "appendOutput" | "openOnly"): Setter =>
  (c, v, w) => {
    const t = v.trim().toLowerCase();
    if (t === "" || t === "true" || t === "yes" || t === "1" || t === "on") c[key] = true;
    else if (t === "false" || t === "no" || t === "0" || t === "off") c[key] = false;
    else throw invalid(name, v, "must be true or false", w);
  };

const list =
  (key: "targets" | "ports" | "exclude" | "excludeFiles" | "includeFiles"): Setter =>
  (c, v) => {
    c[key].push(v.trim());
  };

const OUTPUT_FORMATS: Record<string, OutputFormat> = {
  json: "json",
  ndjson: "ndjson",
  list: "list",
  grepable: "grepable",
  xml: "xml",
  binary: "binary",
};

/** Every option a config file or `--name` flag may set, by canonical masscan name. */
const OPTIONS: Record<string, Setter> = {
  rate: num("rate", "rate", Number.MIN_VALUE),
  // masscan's --max-rate is its rate (it sends at most that many packets per second).
  "max-rate": num("max-rate", "rate", Number.MIN_VALUE),
  "rate-cap": num("rate-cap", "rateCap", Number.MIN_VALUE),
  ports: list("ports"),
  range: list("targets"),
  exclude: list("exclude"),
  excludefile: list("excludeFiles"),
  includefile: list("includeFiles"),
  seed: (c, v, w) => {
    const t = v.trim();
    if (!/^\d{1,20}$/.test(t) || BigInt(t) >= 1n << 64n)
      throw invalid("seed", v, "must be a 64-bit unsigned integer", w);
    c.seed = BigInt(t);
  },
  shard: (c, v, w) => {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
    const index = Number(m?.[1]);
    const count = Number(m?.[2]);
    if (!m || count < 1 || index < 1 || index > count)
      throw invalid("shard", v, "must be i/n with 1 ≤ i ≤ n", w);
    c.shard = { index, count };
  },
  "resume-index": (c, v, w) => {
    if (!/^\s*\d+\s*$/.test(v))
      throw invalid("resume-index", v, "must be a non-negative integer", w);
    c.resumeIndex = BigInt(v.trim());
  },
  "source-port": (c, v) => {
    c.sourcePort = v.trim();
  },
  wait: num("wait", "wait", 0),
  retries: (c, v, w) => {
    const n = Number(v.trim());
    if (!Number.isInteger(n) || n < 0 || n > 100)
      throw invalid("retries", v, "must be an integer 0–100", w);
    c.retries = n;
  },
  workers: (c, v, w) => {
    if (v.trim() === "auto") {
      c.workers = "auto";
      return;
    }
    const n = Number(v.trim());
    if (!Number.isInteger(n) || n < 0 || n > 64)
      throw invalid("workers", v, "must be auto or an integer 0–64", w);
    c.workers = n;
  },
  banners: bool("banners", "banners"),
  "connect-timeout": num("connect-timeout", "connectTimeout", 0.001),
  "hello-timeout": num("hello-timeout", "helloTimeout", 0),
  "connection-timeout": num("connection-timeout", "connectionTimeout", 0.001),
  "http-host": (c, v) => {
    c.httpHost = v.trim();
  },
  "http-user-agent": (c, v) => {
    c.httpUserAgent = v.trim();
  },
  "top-ports": (c, v, w) => {
    const n = Number(v.trim());
    if (!Number.isInteger(n) || n < 1 || n > 1000)
      throw invalid("top-ports", v, "must be an integer 1–1000", w);
    c.topPorts = n;
  },
  "append-output": bool("append-output", "appendOutput"),
  "open-only": bool("open-only", "openOnly"),
  "randomize-hosts": (c) => {
    note(c, "--randomize-hosts: hosts are always probed in a random order (as in masscan)");
  },
  backend: (c, v, w) => {
    const t = v.trim();
    if (t !== "auto" && t !== "native" && t !== "js")
      throw invalid("backend", v, "must be auto, native or js", w);
    c.backend = t;
  },
  "allow-reserved": bool("allow-reserved", "allowReserved"),
  show: (c, v, w) => {
    for (const s of v.split(/[\s,]+/).filter(Boolean)) {
      if (s !== "open" && s !== "closed" && s !== "filtered")
        throw invalid("show", v, "must be open, closed or filtered", w);
      if (!c.show.includes(s)) c.show.push(s);
    }
  },
  "output-format": (c, v, w) => {
    const format = OUTPUT_FORMATS[v.trim()];
    if (!format)
      throw invalid(
        "output-format",
        v,
        `must be one of ${Object.keys(OUTPUT_FORMATS).join(", ")}`,
        w,
      );
    const last = c.outputs[c.outputs.length - 1];
    if (last && last.format === ("" as OutputFormat)) last.format = format;
    else c.outputs.push({ format, filename: "" });
  },
  "output-filename": (c, v) => {
    outputFilename(c, v);
  },
};

/** `hello-string[PORT] = base64`: masscan's per-port hello. */
function helloString(c: RawScanConfig, name: string, v: string, w: Where): void {
  const m = /^hello-?string\[(\d+)\]$/i.exec(name.replace(/_/g, "-"));
  const port = Number(m?.[1]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535)
    throw invalid(name, v, "the port in hello-string[PORT] must be 1–65535", w);
  const t = v.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t) || t.length % 4 !== 0)
    throw invalid(
      name,
      v,
      "must be base64, as masscan takes it (e.g. R0VUIC8gSFRUUC8xLjANCg0K)",
      w,
    );
  c.hellos[port] = t;
}

function note(c: RawScanConfig, text: string): void {
  if (!c.notes.includes(text)) c.notes.push(text);
}

function outputFilename(c: RawScanConfig, v: string): void {
  const last = c.outputs[c.outputs.length - 1];
  if (last && last.filename === "") last.filename = v.trim();
  else c.outputs.push({ format: "" as OutputFormat, filename: v.trim() });
}

/** masscan options that only make sense for its raw-packet stack; accepted and reported as ignored. */
const MASSCAN_ONLY = [
  "adapter",
  "adapter-ip",
  "adapter-mac",
  "adapter-port",
  "router-ip",
  "router-mac",
  "router-mac-ipv4",
  "router-mac-ipv6",
  "capture",
  "nocapture",
  "pcap",
  "pcap-filename",
  "pcap-payloads",
  "nmap-payloads",
  "ttl",
  "adapter-vlan",
  "router-ip",
  "source-ip",
  "source-mac",
  "min-packet",
  "noreset",
  "packet-trace",
  "offline",
];

const ALIASES: Record<string, string> = {
  port: "ports",
  p: "ports",
  target: "range",
  targets: "range",
  ranges: "range",
  shards: "shard",
  excludefile: "excludefile",
  includefile: "includefile",
  il: "includefile",
  resumeindex: "resume-index",
  sourceport: "source-port",
  maxrate: "max-rate",
  connecttimeout: "connect-timeout",
  hellotimeout: "hello-timeout",
  httphost: "http-host",
  allowreserved: "allow-reserved",
  outputformat: "output-format",
  outputfilename: "output-filename",
  outputshow: "show",
  banner: "banners",
  "output-file": "output-filename",
  "output-append": "append-output",
  open: "open-only",
  "rate-limit": "rate-cap",
};

/** masscan treats dashes and underscores as the same, and case does not matter. */
const squash = (name: string) => name.toLowerCase().replace(/[-_]/g, "");

const CANONICAL = new Map<string, string>();
for (const name of Object.keys(OPTIONS)) CANONICAL.set(squash(name), name);
for (const [alias, name] of Object.entries(ALIASES)) CANONICAL.set(squash(alias), name);
const IGNORED = new Set(MASSCAN_ONLY.map(squash));

/** Names `--help` and suggestions know about. */
export const KNOWN_OPTIONS: readonly string[] = Object.keys(OPTIONS);

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = cur;
    }
  }
  return row[b.length] as number;
}

/** The closest known option name, for "did you mean" messages. */
export function suggestOption(name: string): string | undefined {
  const s = squash(name);
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const [key, canonical] of CANONICAL) {
    const d = distance(s, key);
    if (d < bestD) {
      bestD = d;
      best = canonical;
    }
  }
  // Short names are close to everything: only a one-letter slip counts there.
  const limit = s.length <= 3 ? 1 : Math.max(2, Math.floor(s.length / 3));
  return bestD <= limit && bestD < s.length ? best : undefined;
}

/** Whether `name` is a known option (canonical, alias, or accepted masscan-only). */
export function isKnownOption(name: string): boolean {
  return CANONICAL.has(squash(name)) || IGNORED.has(squash(name));
}

/** The canonical name of an option, or undefined. */
export function canonicalOption(name: string): string | undefined {
  return CANONICAL.get(squash(name));
}

/**
 * Sets one option. Unknown names are fatal (`CONFIG_UNKNOWN_OPTION`) with a suggestion;
 * masscan's raw-packet options are accepted and listed in `config.ignored`.
 */
export function applyOption(
  config: RawScanConfig,
  name: string,
  value: string,
  where: Where = {},
): void {
  if (/^hello-?string\[/i.test(name.replace(/_/g, "-"))) {
    helloString(config, name, value, where);
    return;
  }
  const canonical = CANONICAL.get(squash(name));
  if (canonical) {
    (OPTIONS[canonical] as Setter)(config, value, where);
    return;
  }
  if (IGNORED.has(squash(name))) {
    if (!config.ignored.includes(name)) config.ignored.push(name);
    return;
  }
  const suggestion = suggestOption(name);
  throw new RawScannerError(
    "CONFIG_UNKNOWN_OPTION",
    `${where.path ? `${where.path}:${where.line}: ` : ""}unknown option "${name}"` +
      (suggestion ? `; did you mean "${suggestion}"?` : ""),
    {
      input: name,
      ...(suggestion ? { suggestion } : {}),
      ...(where.path ? { path: where.path } : {}),
      ...(where.line ? { line: where.line } : {}),
    },
  );
}

/**
 * Parses masscan.conf text: `name = value` lines, `#` comments, blank lines. A line without
 * `=` is a boolean option set to true (as masscan reads `banners`).
 */
export function parseConfig(
  text: string,
  path?: string,
  into: RawScanConfig = emptyConfig(),
): RawScanConfig {
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+|\s+$/g, "");
    if (line === "" || line.startsWith("#")) return;
    const where: Where = { ...(path ? { path } : {}), line: i + 1 };
    const eq = line.indexOf("=");
    const name = (eq < 0 ? line : line.slice(0, eq)).trim();
    const value = eq < 0 ? "" : line.slice(eq + 1).trim();
    if (!/^[A-Za-z][\w-]*(\[\d+\])?$/.test(name)) {
      throw new RawScannerError(
        "CONFIG_INVALID",
        `${path ?? "config"}:${i + 1}: "${raw}" is not a name = value line`,
        {
          input: raw,
          ...(path ? { path } : {}),
          line: i + 1,
        },
      );
    }
    applyOption(into, name, value, where);
  });
  finishOutputs(into);
  return into;
}

/** Checks that every output-format has an output-filename and the other way round. */
export function finishOutputs(config: RawScanConfig): void {
  for (const o of config.outputs) {
    if (!o.filename || !o.format) {
      throw new RawScannerError(
        "CONFIG_INVALID",
        "output-format and output-filename must be given together (or use -oJ/-oL/-oG/-oX/-oD/-oB <file>)",
      );
    }
  }
}

const FORMAT_NAMES: Record<OutputFormat, string> = {
  json: "json",
  ndjson: "ndjson",
  list: "list",
  grepable: "grepable",
  xml: "xml",
  binary: "binary",
};

/**
 * The effective configuration in masscan's `--echo` layout: general settings first, then
 * `# TARGET SELECTION (IP, PORTS, EXCLUDES)` with ports, ranges and excludes. The result
 * parses back with {@link parseConfig} to the same configuration.
 */
export function formatEcho(
  config: RawScanConfig,
  effective: { seed: bigint; rate: number; shard: { index: number; count: number } },
): string {
  const lines: string[] = [];
  lines.push(`seed = ${effective.seed}`);
  lines.push(`rate = ${String(effective.rate).padEnd(10)}`);
  lines.push(`shard = ${effective.shard.index}/${effective.shard.count}`);
  if (config.rateCap !== undefined) lines.push(`rate-cap = ${config.rateCap}`);
  if (config.resumeIndex !== undefined) lines.push(`resume-index = ${config.resumeIndex}`);
  if (config.sourcePort !== undefined) lines.push(`source-port = ${config.sourcePort}`);
  if (config.retries !== undefined) lines.push(`retries = ${config.retries}`);
  if (config.workers !== undefined) lines.push(`workers = ${config.workers}`);
  if (config.wait !== undefined) lines.push(`wait = ${config.wait}`);
  if (config.connectTimeout !== undefined) lines.push(`connect-timeout = ${config.connectTimeout}`);
  if (config.banners) lines.push("banners = true");
  if (config.helloTimeout !== undefined) lines.push(`hello-timeout = ${config.helloTimeout}`);
  if (config.connectionTimeout !== undefined)
    lines.push(`connection-timeout = ${config.connectionTimeout}`);
  if (config.httpHost !== undefined) lines.push(`http-host = ${config.httpHost}`);
  if (config.httpUserAgent !== undefined) lines.push(`http-user-agent = ${config.httpUserAgent}`);
  for (const [port, hello] of Object.entries(config.hellos))
    lines.push(`hello-string[${port}] = ${hello}`);
  if (config.appendOutput) lines.push("append-output = true");
  if (config.openOnly) lines.push("open-only = true");
  if (config.backend !== undefined) lines.push(`backend = ${config.backend}`);
  if (config.allowReserved) lines.push("allow-reserved = true");
  if (config.show.length > 0) lines.push(`show = ${config.show.join(",")}`);
  for (const o of config.outputs) {
    lines.push(`output-format = ${FORMAT_NAMES[o.format]}`);
    lines.push(`output-filename = ${o.filename}`);
  }
  lines.push("", "", "# TARGET SELECTION (IP, PORTS, EXCLUDES)");
  if (config.topPorts !== undefined) lines.push(`top-ports = ${config.topPorts}`);
  for (const p of config.ports) lines.push(`ports = ${p}`);
  for (const r of config.targets) lines.push(`range = ${r}`);
  for (const e of config.exclude) lines.push(`exclude = ${e}`);
  for (const f of config.excludeFiles) lines.push(`excludefile = ${f}`);
  for (const f of config.includeFiles) lines.push(`includefile = ${f}`);
  lines.push("");
  return `${lines.join("\n")}\n`;
}
