/**
 * Benchmarks, each against a peer measured in the same run:
 *  1. permutation + SYN-cookie generation per index, vs masscan's own blackrock benchmark
 *     (`masscan --benchmark`, C) and the 5 M indices/s goal;
 *  2. connect scan of 127.0.0.1 ports 1–65535, vs `nmap -sT -p- -T5 -Pn -n 127.0.0.1`.
 * Only loopback is touched.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Blackrock, SynCookies, scan, TargetSpace } from "../src/index.js";

const run = promisify(execFile);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const fmt = (n: number) => `${(n / 1e6).toFixed(2)} M/s`;

async function have(cmd: string): Promise<boolean> {
  try {
    await run(cmd, ["--version"]);
    return true;
  } catch {
    return false;
  }
}

// ── 1. permutation + cookies ──────────────────────────────────────────────────────────────
function permutationAndCookies(count: number): { both: number; permOnly: number } {
  // masscan's worst-case shape: a /8 × 1000 ports (2^24 × 1000 indices), so nothing is tiny.
  const space = TargetSpace.create({ targets: ["10.0.0.0/8"], ports: "1-1000" });
  const perm = new Blackrock(space.size, 0x1234_5678_9abc_def0n);
  const cookies = new SynCookies({
    secret: new Uint8Array(16).fill(7),
    sourcePorts: { first: 40000, last: 41023 },
  });
  const src = 0x0a000001;
  let sink = 0;
  let t = performance.now();
  for (let i = 0; i < count; i++) {
    const x = perm.shuffle(i);
    sink ^= space.v4At(space.addressIndexAt(x)) ^ space.portAt(x);
  }
  const permOnly = count / ((performance.now() - t) / 1000);
  t = performance.now();
  for (let i = 0; i < count; i++) {
    const x = perm.shuffle(i);
    const probe = cookies.probe(src, space.v4At(space.addressIndexAt(x)), space.portAt(x));
    sink ^= probe.seq ^ probe.srcPort;
  }
  const both = count / ((performance.now() - t) / 1000);
  if (sink === 0.5) console.log(sink); // keep the work observable
  return { both, permOnly };
}

async function masscanBlackrock(): Promise<number | undefined> {
  let text: string;
  try {
    const { stdout, stderr } = await run("masscan", ["--benchmark"], { timeout: 120_000 });
    text = stdout + stderr;
  } catch (error) {
    // masscan exits non-zero after its benchmark; its output is still there.
    const e = error as { stdout?: string; stderr?: string };
    text = `${e.stdout ?? ""}${e.stderr ?? ""}`;
  }
  const m = /blackrock-2[\s\S]*?iterations\/second = ([\d.]+)-million/.exec(text);
  return m ? Number(m[1]) * 1e6 : undefined;
}

// ── 2. connect scan of all ports ──────────────────────────────────────────────────────────
async function ourFullScan(workers: number): Promise<{ ms: number; open: number }> {
  const t = performance.now();
  let open = 0;
  const options = {
    targets: "127.0.0.1",
    ports: "1-65535",
    rate: 1_000_000,
    wait: 5,
    concurrency: 128,
    workers,
  };
  for await (const r of scan(options)) {
    if (r.status === "open") open++;
  }
  return { ms: performance.now() - t, open };
}

async function nmapFullScan(): Promise<{ ms: number; open: number }> {
  const t = performance.now();
  const { stdout } = await run(
    "nmap",
    ["-sT", "-p-", "-T5", "-Pn", "-n", "-oG", "-", "127.0.0.1"],
    {
      timeout: 300_000,
    },
  );
  return { ms: performance.now() - t, open: [...stdout.matchAll(/\/open\//g)].length };
}

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

console.log("permutation + SYN cookies (10.0.0.0/8 × ports 1-1000):");
permutationAndCookies(500_000); // warm-up
const perm = [];
for (let i = 0; i < rounds; i++) perm.push(permutationAndCookies(5_000_000));
const both = median(perm.map((p) => p.both));
const permOnly = median(perm.map((p) => p.permOnly));
const masscan = await masscanBlackrock();
console.log(`  ours, permutation only:        ${fmt(permOnly)}`);
console.log(
  `  ours, permutation + cookie:    ${fmt(both)}   goal 5.00 M/s → ${(both / 5e6).toFixed(2)}× the goal`,
);
if (masscan) {
  console.log(`  masscan --benchmark blackrock: ${fmt(masscan)}   (C, 14 rounds, no cookie)`);
  console.log(`  ratio ours(perm+cookie)/masscan(perm): ${(both / masscan).toFixed(2)}×`);
} else console.log("  masscan not installed: no peer figure (apt-get install masscan)");

console.log("\nconnect scan of 127.0.0.1 ports 1-65535:");
if (!(await have("nmap"))) {
  console.log("  nmap not installed: skipped (apt-get install nmap)");
} else {
  const ours: number[] = [];
  const oursWorkers: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const a = await ourFullScan(0);
    const w = await ourFullScan(2);
    const b = await nmapFullScan();
    ours.push(a.ms);
    oursWorkers.push(w.ms);
    theirs.push(b.ms);
    console.log(
      `  round ${i + 1}: raw-scan ${a.ms.toFixed(0)} ms (${a.open} open), with 2 workers ${w.ms.toFixed(0)} ms, ` +
        `nmap -sT -T5 ${b.ms.toFixed(0)} ms (${b.open} open)`,
    );
  }
  const o = median(ours);
  const ow = median(oursWorkers);
  const n = median(theirs);
  console.log(
    `  median: raw-scan ${o.toFixed(0)} ms (${(o / n).toFixed(2)}× nmap's time), with 2 workers ${ow.toFixed(0)} ms ` +
      `(${(ow / n).toFixed(2)}×), nmap ${n.toFixed(0)} ms → ${Math.min(o, ow) <= n ? "goal met" : "goal missed"}`,
  );
}
