import { randomBytes } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { applyFirewall, firewallCommands } from "../adapters/firewall.js";
import { emptyConfig } from "../core/config.js";
import { topTcpPorts } from "../core/top-ports.js";
import {
  createWriter,
  firewallRules,
  formatEcho,
  mergeRecords,
  type OsPortsIo,
  type OutputMeta,
  OutputSink,
  overlapWarning,
  parseConfig,
  parsePorts,
  parseSourcePortRange,
  type RawScanConfig,
  RawScannerError,
  readEphemeralRange,
  readScan,
  recordsOf,
  type ScanOptions,
  type ScanProgressEvent,
  type ScanRecord,
  type ScanResult,
  scan,
  suggestSourcePorts,
  validateScanOptions,
} from "../index.js";
import { VERSION } from "../version.js";
import { mergeConfig, type ParsedArgs, parseArgv } from "./argv.js";

/** Everything the CLI touches, injectable for tests. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Config files read before any `-c` (missing ones are skipped). */
  defaultConfigPaths?: string[];
  /**
   * Registers the handler of Ctrl-C (SIGINT), SIGTERM and SIGHUP, which all pause the scan;
   * returns its remover. The handler gets the signal's name.
   */
  onInterrupt?: (handler: (signal: PauseSignal) => void) => () => void;
  /** masscan's own default config file, read first with `--masscan-conf`. Default `/etc/masscan/masscan.conf`. */
  masscanConfPath?: string;
  /** Where `paused.conf` goes. Default `paused.conf` in the working directory. */
  pausedPath?: string;
  osPorts?: OsPortsIo;
}

/** The default configuration files, read in order when present (masscan reads /etc/masscan/masscan.conf). */
export function defaultConfigPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const xdg = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return ["/etc/raw-scanner/raw-scanner.conf", join(xdg, "raw-scanner", "raw-scanner.conf")];
}

/** The signals that pause a scan, and the exit codes they end it with (128 + signal number). */
export const PAUSE_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
/** A signal that pauses a scan. */
export type PauseSignal = keyof typeof PAUSE_EXIT_CODES;

export const HELP = `usage: raw-scan <targets…> -p <ports> [options]
       raw-scan source-ports [--size N] [--source-port A-B]
       raw-scan firewall --print | --apply [--remove] [--tool auto|iptables|nft|pf] [--source-port A-B] [--no-reserve]
       raw-scan --readscan <files…> [--open] [--show closed] [-oJ|-oL|-oG|-oX|-oD|-oB <file>]

masscan's flags, with masscan's meanings (any masscan.conf name also works as --name value;
durations are seconds, as in masscan):
  -p, --ports LIST        ports to probe: 22,80,8000-8100
  --top-ports N           nmap's N most frequent TCP ports (1-1000)
  --rate N, --max-rate N  probes per second (default 100)
  --banners               grab banners from open ports (SSH/SMTP/FTP, HTTP, TLS)
  --hello-timeout S       a banner grab waits S for the greeting or answer (default 3)
  --connection-timeout S  a banner connection is held open S at most (default 30)
  --hello-string[PORT] B64  send these bytes (base64) to PORT instead of HTTP
  --http-user-agent UA    User-Agent of HTTP banner requests
  --exclude LIST          addresses/blocks/ranges never to probe
  --excludefile FILE      file of excludes (one per line, # comments)
  -iL, --includefile FILE file of targets
  --shards I/N            probe only shard I of N (needs --seed, the same on every machine)
  --seed N                64-bit seed of the probe order (default random)
  --resume FILE           continue a paused scan (paused.conf); outputs are appended to
  --retries N             extra attempts for unanswered probes (default 0)
  --wait S                seconds to wait for unsettled probes after the last one (default 10;
                          0 = none, probes in flight still settle)
  --open, --open-only     report open ports only (the default)
  -oJ/-oD/-oL/-oG/-oX/-oB FILE   JSON, NDJSON, list, grepable, XML, binary ("-" = stdout)
  --output-file FILE --output-format F   the same, spelled out
  --append-output         add to existing output files instead of replacing them
  -c, --conf FILE         read another config file
  --echo                  validate and print the effective configuration, then exit
  --readscan FILES        read scan files back and convert them (open ports unless --show closed)
  -v                      print debug notes (self-connects discarded, banner failures)
  -sS, -sT, -Pn, -n, --randomize-hosts   accepted; the backend decides (native: SYN, js: connect)
  -e, --adapter IF        accepted and ignored (raw-packet option), as are router-mac & co.

raw-scan's own:
  --rate-cap N            refuse rates above N (default 1000000)
  --connect-timeout S     a connect may take S before the port counts as filtered (default 1)
  --workers N|auto        worker threads doing the connects (default auto)
  --source-port A-B       source ports of the native backend's SYNs (power of two; default 40000-41023)
  --backend auto|js|native   native: raw SYN scan (Linux, root or cap_net_raw); js: TCP connect;
                          auto: native when it can run (RAW_SCANNER_BACKEND=native|js overrides)
  --show closed,filtered  also report closed/filtered ports
  --allow-reserved        also scan IANA reserved blocks
  --masscan-conf          read /etc/masscan/masscan.conf first
  --http-host NAME        Host header of HTTP banner requests
  --progress, --no-progress   progress line on stderr (default: when it is a terminal)

Config files read first: /etc/raw-scanner/raw-scanner.conf, ~/.config/raw-scanner/raw-scanner.conf.
A pause (Ctrl-C, SIGTERM, SIGHUP) writes the outputs and paused.conf; exit 130/143/129.
Only scan networks you own or are authorised to test.
`;

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new RawScannerError(
      code === "ENOENT" ? "CONFIG_NOT_FOUND" : "CONFIG_INVALID",
      `cannot read ${what} ${path}: ${(cause as Error).message}`,
      { cause, path },
    );
  }
}

/** Loads default files, `-c` files and the resume file, then the command line on top. */
async function effectiveConfig(
  io: CliIo,
  args: ReturnType<typeof parseArgv>,
): Promise<RawScanConfig> {
  let config = emptyConfig();
  if (args.masscanConf) {
    const path = io.masscanConfPath ?? "/etc/masscan/masscan.conf";
    config = mergeConfig(config, parseConfig(await readText(path, "masscan config file"), path));
  }
  for (const path of io.defaultConfigPaths ?? defaultConfigPaths(io.env)) {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch {
      continue; // default files are optional
    }
    config = mergeConfig(config, parseConfig(text, path));
  }
  for (const path of args.configFiles)
    config = mergeConfig(config, parseConfig(await readText(path, "config file"), path));
  if (args.resumeFile) {
    const resumed = parseConfig(await readText(args.resumeFile, "resume file"), args.resumeFile);
    if (resumed.resumeIndex === undefined || resumed.seed === undefined) {
      throw new RawScannerError(
        "RESUME_MISMATCH",
        `${args.resumeFile} has no resume-index and seed: not a paused scan`,
        {
          path: args.resumeFile,
        },
      );
    }
    config = mergeConfig(config, resumed);
  }
  return mergeConfig(config, args.config);
}

function interactive(result: ScanResult): string {
  let line = `Discovered ${result.status} port ${result.port}/${result.protocol} on ${result.address}\n`;
  if (result.banner) {
    line += `Banner on port ${result.port}/${result.protocol} on ${result.address}: [${result.banner.service}] ${JSON.stringify(result.banner.text).slice(1, -1)}\n`;
  }
  return line;
}

function progressLine(p: ScanProgressEvent): string {
  const pct = p.total === 0 ? 100 : (100 * p.done) / p.total;
  const eta = Math.ceil(p.etaMs / 1000);
  const hms = `${Math.floor(eta / 3600)}:${String(Math.floor(eta / 60) % 60).padStart(2, "0")}:${String(eta % 60).padStart(2, "0")}`;
  return `rate:${(p.rate / 1000).toFixed(2).padStart(7)}-kpps, ${pct.toFixed(2).padStart(6)}% done, ${hms} remaining, found=${p.found}`;
}

/** Runs `raw-scan`; returns the exit code (0 ok, 1 error, 130 paused by Ctrl-C). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await main(argv, io);
  } catch (error) {
    if (error instanceof RawScannerError) {
      io.stderr.write(`raw-scan: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgv(argv);
  if (args.command === "help") {
    io.stdout.write(HELP);
    return 0;
  }
  if (args.command === "version") {
    io.stdout.write(`raw-scan ${VERSION}\n`);
    return 0;
  }
  if (args.command === "source-ports") return sourcePorts(io, args.config.sourcePort, args.size);
  if (args.command === "firewall") return firewallCommand(io, args.firewall ?? {});
  const config = await effectiveConfig(io, args);
  for (const name of config.ignored)
    io.stderr.write(`raw-scan: note: "${name}" is a masscan raw-packet option; ignored here\n`);
  for (const text of config.notes) io.stderr.write(`raw-scan: note: ${text}\n`);
  if (args.command === "readscan") return readscanCommand(io, args.readscan, config);

  const rate = config.rate ?? 100;
  const shard = config.shard ?? { index: 1, count: 1 };
  if (shard.count > 1 && config.seed === undefined) {
    throw new RawScannerError(
      "INVALID_ARGUMENT",
      `--shards ${shard.index}/${shard.count} needs --seed: every machine must use the same seed, ` +
        "or each picks its own random order and the shards overlap and miss. " +
        `Pick one, e.g. --seed ${randomBytes(8).readBigUInt64BE(0)}, and pass it to every shard.`,
    );
  }
  const targets = [...config.targets];
  for (const f of config.includeFiles) targets.push(await readText(f, "include file"));
  const exclude = [...config.exclude];
  for (const f of config.excludeFiles) exclude.push(await readText(f, "exclude file"));
  const ports = [...config.ports];
  if (config.topPorts !== undefined) ports.push(topTcpPorts(config.topPorts).join(","));
  const seed = config.seed ?? randomBytes(8).readBigUInt64BE(0);
  const controller = new AbortController();
  const showProgress = args.progress ?? io.stderr.isTTY === true;
  const options: ScanOptions = {
    targets,
    ports: ports.join(","),
    exclude,
    rate,
    ...(config.rateCap !== undefined ? { rateCap: config.rateCap } : {}),
    backend: config.backend ?? "auto",
    seed,
    shard,
    ...(config.resumeIndex !== undefined ? { resumeIndex: config.resumeIndex } : {}),
    ...(config.retries !== undefined ? { retries: config.retries } : {}),
    ...(config.workers !== undefined ? { workers: config.workers } : {}),
    ...(config.wait !== undefined ? { waitMs: config.wait * 1000 } : {}),
    ...(config.connectTimeout !== undefined
      ? { connectTimeoutMs: config.connectTimeout * 1000 }
      : {}),
    ...(config.sourcePort !== undefined ? { sourcePort: config.sourcePort } : {}),
    banners: config.banners ?? false,
    bannerOptions: {
      helloTimeoutMs: (config.helloTimeout ?? 3) * 1000,
      ...(config.connectionTimeout !== undefined
        ? { connectionTimeoutMs: config.connectionTimeout * 1000 }
        : {}),
      ...(config.httpHost !== undefined ? { httpHost: config.httpHost } : {}),
      ...(config.httpUserAgent !== undefined ? { httpUserAgent: config.httpUserAgent } : {}),
      hellos: Object.fromEntries(
        Object.entries(config.hellos).map(([port, b64]) => [
          Number(port),
          new Uint8Array(Buffer.from(b64, "base64")),
        ]),
      ),
    },
    show: config.openOnly ? ["open"] : ["open", ...config.show.filter((s) => s !== "open")],
    allowReserved: config.allowReserved ?? false,
    signal: controller.signal,
    logger: {
      debug: (...a) => {
        if (args.verbose > 0) io.stderr.write(`raw-scan: ${a.map(String).join(" ")}\n`);
      },
      info: (...a) => io.stderr.write(`raw-scan: ${a.map(String).join(" ")}\n`),
      warn: (...a) => io.stderr.write(`raw-scan: ${a.map(String).join(" ")}\n`),
      error: (...a) => io.stderr.write(`raw-scan: error: ${a.map(String).join(" ")}\n`),
    },
    onProgress: (p) => {
      if (showProgress && p.phase !== "done") io.stderr.write(`\r${progressLine(p)}`);
    },
  };
  if (args.command === "echo") {
    // What --echo prints must be a configuration that runs: validate it as a scan would.
    if (targets.length > 0 || ports.length > 0) {
      if (ports.length === 0) throw noPorts();
      validateScanOptions(options);
    }
    io.stdout.write(formatEcho(config, { seed, rate, shard }));
    return 0;
  }
  if (ports.length === 0) throw noPorts();
  if (config.sourcePort !== undefined) {
    const range = parseSourcePortRange(config.sourcePort);
    try {
      const eph = await readEphemeralRange(io.osPorts);
      const warning = overlapWarning(range, eph);
      if (warning)
        io.stderr.write(
          `raw-scan: warning: ${warning}\n(the native backend sends from this range; reserve it and drop replies to it: raw-scan firewall --apply)\n`,
        );
    } catch {
      // Not knowing the ephemeral range only costs the warning.
    }
  }
  const run = scan(options);
  io.stderr.write(`raw-scan: backend ${run.backend.name}: ${run.backend.reason}\n`);
  const startTime = new Date();
  const meta: OutputMeta = {
    startTime,
    ports: parsePorts(ports.join(",")).ranges,
    scanner: { name: "raw-scan", version: VERSION, scanType: "connect" },
  };
  // A resumed scan adds to the first run's files; it never replaces them.
  const append = config.appendOutput === true || args.resumeFile !== undefined;
  const sinks: OutputSink[] = [];
  const stdoutWriters = config.outputs
    .filter((o) => o.filename === "-")
    .map((o) => createWriter(o.format));
  try {
    for (const o of config.outputs)
      if (o.filename !== "-")
        sinks.push(await OutputSink.open(o.filename, o.format, meta, { append }));
  } catch (error) {
    for (const s of sinks) await s.abort();
    throw error;
  }
  // Headers go out with the first record: an empty scan prints nothing, as masscan's files are empty.
  let stdoutBegun = false;
  let pausedBy: PauseSignal | undefined;
  const remove = io.onInterrupt?.((signal) => {
    pausedBy ??= signal;
    controller.abort();
  });
  io.stderr.write(
    `Starting raw-scan ${VERSION} at ${startTime.toISOString()}\nScanning ${run.size} probes (${run.backend.name} backend, ${run.backend.layer}) at ${rate}/s, seed ${run.seed}\n`,
  );
  let failure: unknown;
  try {
    for await (const result of run) {
      for (const s of sinks) s.write(result);
      if (!stdoutBegun) {
        stdoutBegun = true;
        for (const w of stdoutWriters) io.stdout.write(asText(w.begin(meta)));
      }
      for (const w of stdoutWriters) {
        for (const r of recordsOf(result))
          io.stdout.write(asText(r.kind === "status" ? w.status(r) : w.banner(r)));
      }
      if (config.outputs.length === 0) io.stdout.write(interactive(result));
    }
  } catch (error) {
    failure = error;
  } finally {
    remove?.();
  }
  if (showProgress) io.stderr.write("\n");
  const end: OutputMeta = { ...meta, endTime: new Date() };
  if (stdoutBegun) for (const w of stdoutWriters) io.stdout.write(asText(w.end(end)));
  // Outputs hold what was found so far, complete and well-formed, even after a pause.
  for (const s of sinks) await s.close(end);
  if (failure instanceof RawScannerError && failure.code === "ABORTED" && pausedBy) {
    const paused = { ...config, resumeIndex: run.resumeIndex, seed: run.seed };
    const path = io.pausedPath ?? "paused.conf";
    const tmp = `${path}.tmp`;
    await writeFile(tmp, formatEcho(paused, { seed: run.seed, rate, shard }));
    await rename(tmp, path);
    const written = sinks.map((s) => s.path);
    io.stderr.write(
      `\nraw-scan: paused by ${pausedBy}; ${written.length > 0 ? `results so far are in ${written.join(", ")}; ` : ""}saved resume state to ${path} (continue with --resume ${path})\n`,
    );
    return PAUSE_EXIT_CODES[pausedBy];
  }
  if (failure) throw failure;
  return 0;
}

function noPorts(): RawScannerError {
  return new RawScannerError(
    "INVALID_PORT",
    "no ports given: add -p, e.g. -p 80 or -p 1-1024, or --top-ports 100",
  );
}

function asText(chunk: string | Uint8Array): string {
  return typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("latin1");
}

async function readscanCommand(io: CliIo, files: string[], config: RawScanConfig): Promise<number> {
  const all: ScanRecord[] = [];
  for (const f of files) {
    let data: Buffer;
    try {
      data = await readFile(f);
    } catch (cause) {
      throw new RawScannerError(
        "OUTPUT_PARSE",
        `cannot read scan file ${f}: ${(cause as Error).message}`,
        { cause, path: f },
      );
    }
    all.push(...readScan(data));
  }
  // As masscan: open ports (and their banners) unless --show asks for more; --open insists.
  const show = new Set<string>(config.openOnly ? ["open"] : ["open", ...config.show]);
  const records = all.filter((r) => r.kind === "banner" || show.has(r.status));
  const first = records[0]?.time ?? new Date();
  const meta: OutputMeta = { startTime: first, endTime: records.at(-1)?.time ?? first };
  if (config.outputs.length === 0) {
    for (const r of mergeRecords(records)) io.stdout.write(interactive(r));
    return 0;
  }
  for (const o of config.outputs) {
    if (o.filename === "-") {
      if (records.length === 0) continue; // an empty scan is an empty file, as in masscan
      const w = createWriter(o.format);
      io.stdout.write(asText(w.begin(meta)));
      for (const r of records)
        io.stdout.write(asText(r.kind === "status" ? w.status(r) : w.banner(r)));
      io.stdout.write(asText(w.end(meta)));
      continue;
    }
    const sink = await OutputSink.open(o.filename, o.format, meta, {
      append: config.appendOutput === true,
    });
    for (const r of records) sink.record(r);
    await sink.close(meta);
  }
  return 0;
}

async function sourcePorts(io: CliIo, given: string | undefined, size = 1024): Promise<number> {
  const eph = await readEphemeralRange(io.osPorts);
  io.stdout.write(`OS ephemeral port range: ${eph.first}-${eph.last}\n`);
  if (given !== undefined) {
    const range = parseSourcePortRange(given);
    const warning = overlapWarning(range, eph);
    io.stdout.write(
      warning ? `warning: ${warning}\n` : `source-port ${given} does not overlap it.\n`,
    );
  }
  const suggestion = suggestSourcePorts(eph, size);
  if (!suggestion) {
    io.stdout.write(
      "no free power-of-two range outside the ephemeral range; shrink the OS range first\n",
    );
    return 1;
  }
  const rules = firewallRules(suggestion);
  io.stdout.write(
    `suggested: --source-port ${suggestion.first}-${suggestion.last}\n` +
      "then stop the OS from resetting the raw scanner's connections on those ports:\n" +
      `  Linux (iptables): ${rules.iptables}\n  Linux (nftables): ${rules.nft}\n  macOS (pf):       ${rules.pf}   (in /etc/pf.conf, then pfctl -f /etc/pf.conf)\n`,
  );
  return 0;
}

async function firewallCommand(io: CliIo, f: NonNullable<ParsedArgs["firewall"]>): Promise<number> {
  const range = parseSourcePortRange(f.sourcePort ?? "40000-41023");
  if (!f.apply) {
    const c = firewallCommands(range);
    const show = (title: string, lines: string[], undo: string[]) =>
      `${title}\n${lines.map((l) => `  ${l}`).join("\n")}\n  undo: ${undo.join("; ")}\n`;
    const tools =
      f.tool === undefined || f.tool === "auto" ? (["iptables", "nft", "pf"] as const) : [f.tool];
    io.stdout.write(
      `Drop inbound TCP to the raw scanner's source ports ${range.first}-${range.last}, so the OS does not reset\n` +
        "the connections the scanner reads (replies still reach its AF_PACKET socket):\n",
    );
    for (const t of tools) io.stdout.write(show(`${t}:`, c[t].print, c[t].undo));
    io.stdout.write(
      show(
        "and reserve the range so the kernel never picks it for a connect of its own (Linux):",
        c.reserve.print,
        c.reserve.undo,
      ),
    );
    return 0;
  }
  const result = await applyFirewall({
    range,
    ...(f.tool ? { tool: f.tool } : {}),
    remove: f.remove ?? false,
    reserve: f.reserve ?? true,
  });
  for (const step of result.steps) {
    io.stdout.write(`${step.changed ? "done" : "already so"}: ${step.command}\n`);
  }
  return 0;
}
