/**
 * Native (raw SYN) backend benchmarks, each against a peer measured in the same run, over the
 * same veth pair between two network namespaces this script creates (root needed):
 *  1. native vs masscan 1.3.2 at --rate 100000 on 65,536 targets (10.78.0.0/16, AnyIP in the
 *     target namespace, one listener on 0.0.0.0:80): achieved packets/s and share found;
 *  2. native vs the connect backend on the same 65,536 targets (open, then closed ports), each
 *     as fast as it goes.
 * Nothing leaves the namespaces. Figures on a shared, loaded machine: read the ratios.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { loadNative } from "../src/index.js";

const run = promisify(execFile);
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const child = join(import.meta.dirname, "..", "test", "helpers", "native-scan.ts");
const ceiling = join(import.meta.dirname, "native-ceiling.ts");
const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function skip(why: string): never {
  console.log(`native benchmarks skipped: ${why}`);
  process.exit(0);
}
if (process.getuid?.() !== 0) skip("needs root (network namespaces, raw sockets)");
const loaded = loadNative();
if (!loaded.addon) skip(`native addon not built (${loaded.reason})`);

const ip = (...args: string[]) =>
  execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] }).toString();
const tag = Math.random().toString(36).slice(2, 7);
const scanner = `rsb-s-${tag}`;
const target = `rsb-t-${tag}`;
const va = `va${tag}`;
const vb = `vb${tag}`;
let listener: ChildProcess | undefined;

function cleanup() {
  listener?.kill("SIGKILL");
  for (const ns of [scanner, target]) {
    try {
      ip("netns", "del", ns);
    } catch {}
  }
}
process.on("exit", cleanup);

ip("netns", "add", scanner);
ip("netns", "add", target);
ip("link", "add", va, "netns", scanner, "type", "veth", "peer", "name", vb, "netns", target);
ip("-n", scanner, "addr", "add", "10.77.0.1/30", "dev", va);
ip("-n", target, "addr", "add", "10.77.0.2/30", "dev", vb);
for (const [ns, dev] of [
  [scanner, va],
  [target, vb],
] as const) {
  ip("-n", ns, "link", "set", dev, "up");
  ip("-n", ns, "link", "set", "lo", "up");
}
ip("-n", scanner, "route", "add", "10.78.0.0/16", "via", "10.77.0.2");
ip("-n", target, "route", "add", "local", "10.78.0.0/16", "dev", "lo");
// Written to /proc directly: procps (sysctl) is not on every minimal machine.
ip(
  "netns",
  "exec",
  scanner,
  "sh",
  "-c",
  "echo 40000-41023 > /proc/sys/net/ipv4/ip_local_reserved_ports",
);
const mac = (ns: string, dev: string) =>
  (/link\/ether ([0-9a-f:]+)/.exec(ip("-n", ns, "link", "show", dev))?.[1] as string) ?? "";
const vaMac = mac(scanner, va);
const vbMac = mac(target, vb);

// The target namespace's listener, and its wire meter: on "start" it samples the namespace's
// `Tcp OutSegs` (/proc/net/snmp) every millisecond; on "stop" it prints how many segments the
// target sent and between which samples they changed. In a SYN scan of open ports the target
// sends one SYN-ACK per SYN it receives, so this is the SYNs per second that reached the target,
// measured the same way for masscan and the native backend.
const targetProgram = `
const net = require("net"), fs = require("fs");
const outSegs = () => { const l = fs.readFileSync("/proc/net/snmp", "utf8").split("\\n").filter((x) => x.startsWith("Tcp:")); return Number(l[1].split(" ")[l[0].split(" ").indexOf("OutSegs")]); };
let timer, samples;
require("readline").createInterface({ input: process.stdin }).on("line", (cmd) => {
  if (cmd === "start") { samples = [[performance.now(), outSegs()]]; clearInterval(timer); timer = setInterval(() => { const v = outSegs(); if (v !== samples[samples.length - 1][1]) samples.push([performance.now(), v]); }, 1); }
  if (cmd === "stop") {
    clearInterval(timer);
    // The burst: from the first change to the last one before a 100 ms pause (the target's
    // SYN-ACK retransmissions for replies nobody reset come 1 s and more later).
    let end = 1;
    while (end + 1 < samples.length && samples[end + 1][0] - samples[end][0] <= 100) end++;
    const [, v0] = samples[0], [t1, v1] = samples[1] ?? samples[0], [tn, vn] = samples[Math.min(end, samples.length - 1)];
    console.log(JSON.stringify({ segments: vn - v0, counted: vn - v1, ms: tn - t1 }));
  }
});
net.createServer((c) => { c.on("error", () => {}); c.destroy(); }).listen({ port: 80, host: "0.0.0.0", backlog: 65535 }, () => console.log("ready"));
`;
listener = spawn("ip", ["netns", "exec", target, process.execPath, "-e", targetProgram], {
  stdio: ["pipe", "pipe", "inherit"],
});
const targetLines: string[] = [];
let targetWaiter: (() => void) | undefined;
listener.stdout?.on("data", (d: Buffer) => {
  targetLines.push(...d.toString().trim().split("\n"));
  targetWaiter?.();
});
async function targetLine(): Promise<string> {
  while (targetLines.length === 0) await new Promise<void>((r) => (targetWaiter = r));
  return targetLines.shift() as string;
}
await targetLine();

/** SYN-ACKs the target sent (one per SYN received) and their rate, around `work`. */
async function metered<T>(
  work: () => Promise<T>,
): Promise<T & { wire: { synAcks: number; rate: number } }> {
  listener?.stdin?.write("start\n");
  await new Promise((r) => setTimeout(r, 20));
  const result = await work();
  listener?.stdin?.write("stop\n");
  const m = JSON.parse(await targetLine()) as { segments: number; counted: number; ms: number };
  return {
    ...result,
    wire: { synAcks: m.segments, rate: m.ms > 0 ? m.counted / (m.ms / 1000) : 0 },
  };
}

interface ChildResult {
  open: number;
  closed: number;
  seconds: number;
  sendSeconds: number;
  scanRate: number;
  sent: number;
  backend: { name: string; stats?: Record<string, number> };
}
async function ours(options: Record<string, unknown>): Promise<ChildResult> {
  const { stdout } = await run(
    "ip",
    [
      "netns",
      "exec",
      scanner,
      process.execPath,
      // BENCH_CPU_PROF=<dir>: a V8 CPU profile of every scan child (open it in Chrome DevTools).
      ...(process.env.BENCH_CPU_PROF
        ? ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_CPU_PROF]
        : []),
      "--import",
      tsx,
      child,
      JSON.stringify(options),
    ],
    { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 },
  );
  return JSON.parse(stdout.trim().split("\n").pop() as string) as ChildResult;
}

async function masscan(rate: number): Promise<{ open: number; rate: number; seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), "rsb-masscan-"));
  const out = join(dir, "found.list");
  const t0 = performance.now();
  // masscan's exit lingers well past --wait: `timeout` ends it; the list is written as it goes.
  const r = await run(
    "ip",
    [
      "netns",
      "exec",
      scanner,
      "timeout",
      "-s",
      "INT",
      "25",
      "masscan",
      "10.78.0.0/16",
      "-p80",
      "--rate",
      String(rate),
      "--adapter",
      va,
      "--adapter-ip",
      "10.77.0.1",
      "--adapter-mac",
      vaMac,
      "--router-mac",
      vbMac,
      "--wait",
      "2",
      "-oL",
      out,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  ).catch((e: { stdout?: string; stderr?: string }) => ({
    stdout: e.stdout ?? "",
    stderr: e.stderr ?? "",
  }));
  const seconds = (performance.now() - t0) / 1000;
  const lines = readFileSync(out, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("open "));
  const found = new Set(lines.map((l) => l.split(" ")[3])).size;
  rmSync(dir, { recursive: true, force: true });
  // masscan's status line: "rate: 99.70-kpps, …"; the highest one it printed while sending.
  const rates = [...r.stderr.matchAll(/rate:\s*([\d.]+)-kpps/g)].map((m) => Number(m[1]) * 1000);
  return { open: found, rate: rates.length ? Math.max(...rates) : 0, seconds };
}

const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(2)}%`;
const kpps = (n: number) => `${(n / 1000).toFixed(1)} kpps`;

console.log(`native backend: ${loaded.path}`);
console.log(
  `load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")} (figures under load)`,
);

// ── 1. native vs masscan, 65,536 targets at 100,000 packets/s, no retries (masscan has none) ──
const TOTAL = 65_536;
type Metered<T> = T & { wire: { synAcks: number; rate: number } };
const m: Metered<{ open: number; rate: number; seconds: number }>[] = [];
const n: Metered<ChildResult>[] = [];
for (let i = 0; i < rounds; i++) {
  m.push(await metered(() => masscan(100_000)));
  n.push(
    await metered(() =>
      ours({ targets: "10.78.0.0/16", ports: "80", rate: 100_000, waitMs: 2000 }),
    ),
  );
}
const mFound = median(m.map((x) => x.open));
const nFound = median(n.map((x) => x.open));
const mWire = median(m.map((x) => x.wire.rate));
const nWire = median(n.map((x) => x.wire.rate));
// Each tool's own figure: masscan's highest status line; the sender thread's SYNs ÷ the time
// between its first and last batch.
const mOwn = median(m.map((x) => x.rate));
const own = (x: ChildResult) =>
  x.backend.stats?.sendSpanMs
    ? (x.backend.stats.sent as number) / (x.backend.stats.sendSpanMs / 1000)
    : 0;
const nOwn = median(n.map(own));
console.log(`\n1. 65,536 targets over veth at --rate 100000, ${rounds} round(s), medians`);
console.log(
  "   rate = SYNs per second that reached the target (its SYN-ACKs, counted in its namespace)",
);
console.log(
  `   masscan 1.3.2  ${kpps(mWire)} at the target (own status line: ${kpps(mOwn)}), found ${mFound} (${pct(mFound, TOTAL)}), ${median(m.map((x) => x.seconds)).toFixed(2)} s wall (exit lingers; ended by timeout)`,
);
console.log(
  `   native         ${kpps(nWire)} at the target (sender thread's own count: ${kpps(nOwn)}), found ${nFound} (${pct(nFound, TOTAL)}), ${median(n.map((x) => x.seconds)).toFixed(2)} s wall (ends once every probe is answered, else after a 2 s wait)`,
);
console.log(
  `   ratio native/masscan: rate ×${(nWire / mWire).toFixed(3)}, found ×${(nFound / mFound).toFixed(4)} (goal: rate ≥ ×1 with ≥ 99.9% found)`,
);
const withRetries = await ours({
  targets: "10.78.0.0/16",
  ports: "80",
  rate: 100_000,
  retries: 2,
  retryDelayMs: 500,
  waitMs: 1000,
});
console.log(
  `   native with 2 retries: found ${withRetries.open} (${pct(withRetries.open, TOTAL)})`,
);

// ── 2. native vs connect, same 65,536 targets, each as fast as it goes ──
console.log(`\n2. 65,536 targets over veth, rate cap 1,000,000/s, ${rounds} round(s), medians`);
console.log("   probes/s = targets ÷ time until the last first probe left (the scan phase)");
for (const [port, what] of [
  ["80", "open ports (a listener answers SYN-ACK)"],
  ["81", "closed ports (the target's kernel answers RST)"],
] as const) {
  const fast = { targets: "10.78.0.0/16", ports: port, rate: 1_000_000, waitMs: 1000, retries: 1 };
  const show = port === "80" ? ["open"] : ["closed"];
  const nat: ChildResult[] = [];
  const con: ChildResult[] = [];
  for (let i = 0; i < rounds; i++) {
    nat.push(await ours({ ...fast, show, backend: "native" }));
    con.push(await ours({ ...fast, show, backend: "js" }));
  }
  const alone: { answered: number; sendSeconds: number; rate: number }[] = [];
  for (let i = 0; i < rounds; i++) {
    const { stdout } = await run(
      "ip",
      ["netns", "exec", scanner, process.execPath, "--import", tsx, ceiling, port],
      { maxBuffer: 1024 * 1024, timeout: 60_000 },
    );
    alone.push(JSON.parse(stdout.trim().split("\n").pop() as string));
  }
  const natS = median(nat.map((x) => x.sendSeconds));
  const conS = median(con.map((x) => x.sendSeconds));
  const found = (xs: ChildResult[]) => median(xs.map((x) => x.open + x.closed));
  console.log(`   ${what}:`);
  console.log(
    `     native   ${(TOTAL / natS / 1000).toFixed(1)} k probes/s (${natS.toFixed(2)} s to send), answered ${found(nat)}`,
  );
  console.log(
    `     connect  ${(TOTAL / conS / 1000).toFixed(1)} k probes/s (${conS.toFixed(2)} s to send), answered ${found(con)}`,
  );
  const aloneS = median(alone.map((x) => x.sendSeconds));
  console.log(
    `     the addon alone (no scan loop, all probes in one call): ${(TOTAL / aloneS / 1000).toFixed(1)} k probes/s, answered ${median(alone.map((x) => x.answered))}: the wire path's ceiling, ×${(conS / aloneS).toFixed(1)} connect`,
  );
  console.log(`     native is ×${(conS / natS).toFixed(1)} faster than connect (goal ≥ ×20)`);
}
cleanup();
