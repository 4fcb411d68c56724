/**
 * Run inside an empty network namespace (only `lo`, nothing listening): sweeps the kernel's
 * ephemeral port range on 127.0.0.1 and ::1 a few times and prints what it found as JSON.
 */
import { readFileSync } from "node:fs";
import { scan } from "../../src/index.js";

const [first, last] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
  .trim()
  .split(/\s+/)
  .map(Number);
const rounds = Number(process.argv[2] ?? 3);
const sweeps: Array<{ target: string; open: number[]; selfConnects: number }> = [];
for (let i = 0; i < rounds; i++) {
  for (const target of ["127.0.0.1", "::1"]) {
    const run = scan({ targets: target, ports: `${first}-${last}`, rate: 200_000, seed: i + 1 });
    const open: number[] = [];
    for await (const r of run) open.push(r.port);
    sweeps.push({ target, open, selfConnects: run.selfConnects });
  }
}
process.stdout.write(`${JSON.stringify({ range: [first, last], sweeps })}\n`);
