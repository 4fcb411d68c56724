import {
  applyOption,
  canonicalOption,
  emptyConfig,
  finishOutputs,
  type RawScanConfig,
  suggestOption,
} from "../core/config.js";
import type { OutputFormat } from "../core/output/records.js";
import { RawScannerError } from "../errors.js";

/** What `raw-scan` was asked to do. */
export interface ParsedArgs {
  command: "scan" | "source-ports" | "firewall" | "help" | "version" | "readscan" | "echo";
  /** `firewall …` flags. */
  firewall?: FirewallArgs;
  /** Settings from the command line only (config files are merged by the caller). */
  config: RawScanConfig;
  /** `-c` / `--conf` files, in order. */
  configFiles: string[];
  /** `--resume <file>`: a paused.conf to continue. */
  resumeFile?: string;
  /** `--readscan` files. */
  readscan: string[];
  /** Print the progress line (default: when stderr is a terminal). */
  progress?: boolean;
  /** `source-ports --size N`. */
  size?: number;
  /** `-v` count: 1 prints the scanner's debug notes. */
  verbose: number;
  /** `--masscan-conf`: read masscan's own default config file first. */
  masscanConf: boolean;
}

/** Flags of `raw-scan firewall`. */
export interface FirewallArgs {
  apply?: boolean;
  remove?: boolean;
  tool?: "auto" | "iptables" | "nft" | "pf";
  sourcePort?: string;
  reserve?: boolean;
}

function parseFirewall(args: string[]): FirewallArgs {
  const out: FirewallArgs = {};
  let mode: "print" | "apply" | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const value = () => {
      const v = args[++i];
      if (v === undefined)
        throw new RawScannerError("CONFIG_INVALID", `${arg} needs a value`, { input: arg });
      return v;
    };
    if (arg === "--print" || arg === "--apply") {
      const m = arg === "--print" ? "print" : "apply";
      if (mode && mode !== m) {
        throw new RawScannerError(
          "INVALID_ARGUMENT",
          "firewall takes --print or --apply, not both",
        );
      }
      mode = m;
    } else if (arg === "--remove") out.remove = true;
    else if (arg === "--no-reserve") out.reserve = false;
    else if (arg === "--tool") {
      const t = value();
      if (t !== "auto" && t !== "iptables" && t !== "nft" && t !== "pf") {
        throw new RawScannerError(
          "INVALID_ARGUMENT",
          `--tool must be auto, iptables, nft or pf, got ${t}`,
          {
            input: t,
          },
        );
      }
      out.tool = t;
    } else if (arg === "--source-port") out.sourcePort = value();
    else {
      throw new RawScannerError(
        "CONFIG_UNKNOWN_OPTION",
        `unknown option "${arg}" for firewall (--print, --apply, --remove, --tool, --source-port, --no-reserve)`,
        { input: arg },
      );
    }
  }
  if (out.remove && mode !== "apply") {
    throw new RawScannerError(
      "INVALID_ARGUMENT",
      "--remove goes with --apply (--print shows the undo lines)",
    );
  }
  out.apply = mode === "apply";
  return out;
}

const OUTPUT_FLAGS: Record<string, OutputFormat> = {
  J: "json",
  D: "ndjson",
  L: "list",
  G: "grepable",
  X: "xml",
  B: "binary",
};

/** Options that take no value (a following `true`/`false` is still read). */
const BOOLEAN = new Set([
  "banners",
  "allow-reserved",
  "append-output",
  "open-only",
  "randomize-hosts",
]);

/** masscan/nmap flags accepted as they are; each leaves a note of why it changes nothing here. */
const NO_OP_FLAGS: Record<string, string> = {
  "-sS":
    "-sS: the native backend does a SYN scan when it can run (root or cap_net_raw); the connect backend completes the handshake",
  "-sT":
    "-sT: accepted; --backend js selects the TCP connect scan (auto prefers the native SYN scan)",
  "-Pn": "-Pn: there is no host discovery; every target is probed (as in masscan)",
  "-n": "-n: names are never resolved (as in masscan)",
};

/** Single-dash flags, for "did you mean" on a mistyped one. */
const SHORT_FLAGS = [
  "-p",
  "-c",
  "-e",
  "-v",
  "-h",
  "-V",
  "-iL",
  "-oJ",
  "-oD",
  "-oL",
  "-oG",
  "-oX",
  "-oB",
  ...Object.keys(NO_OP_FLAGS),
];

function unknownShortFlag(arg: string): RawScannerError {
  let best: string | undefined;
  for (const f of SHORT_FLAGS) {
    if (f.length === arg.length && [...f].filter((ch, i) => ch !== arg[i]).length === 1) {
      best = f;
      break;
    }
  }
  const long = best ? undefined : suggestOption(arg.replace(/^-+/, ""));
  const suggestion = best ?? (long ? `--${long}` : undefined);
  return new RawScannerError(
    "CONFIG_UNKNOWN_OPTION",
    `unknown option "${arg}"${suggestion ? `; did you mean "${suggestion}"?` : ""} (see --help)`,
    { input: arg, ...(suggestion ? { suggestion } : {}) },
  );
}

/**
 * Parses masscan-style arguments: `--name value`, `--name=value`, `-p80` / `-p 80`,
 * `-oJ file`, `-iL file`, `-c file`, bare targets. A `--name` is any masscan.conf name, so the
 * command line and the config file share one table. Unknown flags throw `CONFIG_UNKNOWN_OPTION`
 * with the closest known name.
 */
export function parseArgv(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = {
    command: "scan",
    config: emptyConfig(),
    configFiles: [],
    readscan: [],
    verbose: 0,
    masscanConf: false,
  };
  const args = [...argv];
  if (args[0] === "firewall" && !args.some((a) => a === "-h" || a === "--help")) {
    out.command = "firewall";
    out.firewall = parseFirewall(args.slice(1));
    return out;
  }
  if (args[0] === "source-ports") {
    out.command = "source-ports";
    args.shift();
  }
  let echo = false;
  const value = (flag: string, i: number): string => {
    const v = args[i];
    if (v === undefined) {
      throw new RawScannerError("CONFIG_INVALID", `${flag} needs a value`, { input: flag });
    }
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "-h" || arg === "--help" || arg === "-?") {
      out.command = "help";
      continue;
    }
    if (arg === "-V" || arg === "--version") {
      out.command = "version";
      continue;
    }
    if (arg === "--echo") {
      echo = true;
      continue;
    }
    if (/^-v+$/.test(arg) || arg === "--verbose") {
      out.verbose += arg === "--verbose" ? 1 : arg.length - 1;
      continue;
    }
    if (arg === "--masscan-conf") {
      out.masscanConf = true;
      continue;
    }
    const noop = NO_OP_FLAGS[arg];
    if (noop) {
      if (!out.config.notes.includes(noop)) out.config.notes.push(noop);
      continue;
    }
    if (arg === "-e") {
      applyOption(out.config, "adapter", value(arg, ++i));
      continue;
    }
    if (arg === "--progress" || arg === "--no-progress") {
      out.progress = arg === "--progress";
      continue;
    }
    const o = /^-o([JDLGXB])$/.exec(arg);
    if (o) {
      out.config.outputs.push({
        format: OUTPUT_FLAGS[o[1] as string] as OutputFormat,
        filename: value(arg, ++i),
      });
      continue;
    }
    if (arg === "-c" || arg === "--conf" || arg === "--config") {
      out.configFiles.push(value(arg, ++i));
      continue;
    }
    if (arg === "--resume") {
      out.resumeFile = value(arg, ++i);
      continue;
    }
    if (arg === "--size" && out.command === "source-ports") {
      const n = Number(value(arg, ++i));
      if (!Number.isInteger(n) || n < 1 || n > 32768) {
        throw new RawScannerError(
          "INVALID_ARGUMENT",
          `--size must be an integer 1–32768, got ${args[i]}`,
        );
      }
      out.size = n;
      continue;
    }
    if (arg === "--readscan") {
      while (i + 1 < args.length && !(args[i + 1] as string).startsWith("-"))
        out.readscan.push(args[++i] as string);
      if (out.readscan.length === 0)
        throw new RawScannerError("CONFIG_INVALID", "--readscan needs at least one file");
      continue;
    }
    if (arg === "-iL") {
      applyOption(out.config, "includefile", value(arg, ++i));
      continue;
    }
    if (arg.startsWith("-p") && !arg.startsWith("--")) {
      applyOption(out.config, "ports", arg.length > 2 ? arg.slice(2) : value(arg, ++i));
      continue;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      if (name === "") throw unknownShortFlag(arg);
      const canonical = canonicalOption(name);
      let v: string;
      if (eq >= 0) v = arg.slice(eq + 1);
      else if (canonical && BOOLEAN.has(canonical)) {
        const next = args[i + 1];
        v = next === "true" || next === "false" ? (args[++i] as string) : "true";
      } else {
        // Unknown names still consume their value so the error names the flag, not the value.
        const next = args[i + 1];
        v = next !== undefined && !next.startsWith("-") ? (args[++i] as string) : "";
      }
      applyOption(out.config, name, v);
      continue;
    }
    if (arg.startsWith("-") && arg !== "-") throw unknownShortFlag(arg);
    out.config.targets.push(arg);
  }
  finishOutputs(out.config);
  if (out.command === "scan") {
    if (echo) out.command = "echo";
    else if (out.readscan.length > 0) out.command = "readscan";
  }
  return out;
}

/** Merges `b` over `a`: lists add up, single values in `b` win. */
export function mergeConfig(a: RawScanConfig, b: RawScanConfig): RawScanConfig {
  const out: RawScanConfig = {
    ...a,
    ...Object.fromEntries(
      Object.entries(b).filter(([, v]) => v !== undefined && !Array.isArray(v)),
    ),
    targets: [...a.targets, ...b.targets],
    ports: [...a.ports, ...b.ports],
    exclude: [...a.exclude, ...b.exclude],
    excludeFiles: [...a.excludeFiles, ...b.excludeFiles],
    includeFiles: [...a.includeFiles, ...b.includeFiles],
    show: [...new Set([...a.show, ...b.show])],
    outputs: [...a.outputs, ...b.outputs],
    ignored: [...new Set([...a.ignored, ...b.ignored])],
    notes: [...new Set([...a.notes, ...b.notes])],
    hellos: { ...a.hellos, ...b.hellos },
  };
  return out;
}
