#!/usr/bin/env node
// Runs every package's benchmarks (packages/*/bench/*.bench.ts) in turn; each prints ratios
// against a peer measured in the same run. `pnpm bench <package>` runs one package's.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { bin, root, run, workspaces } from "./lib.mjs";

const usage = `usage: pnpm bench [package]

Runs every package's benchmarks (packages/<package>/bench/*.bench.ts), or one package's.
Each prints ratios against a peer measured in the same run.

  --list  print the packages that have benchmarks, one per line
  --help  print this help`;

const all = workspaces("packages");
const benchFiles = (dir) =>
  existsSync(join(dir, "bench"))
    ? readdirSync(join(dir, "bench"))
        .filter((f) => f.endsWith(".bench.ts"))
        .sort()
    : [];
const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(usage);
  process.exit(0);
}
if (args.includes("--list")) {
  for (const { name, dir } of all) if (benchFiles(dir).length) console.log(name);
  process.exit(0);
}
if (args.length > 1 || args.some((arg) => arg.startsWith("-"))) {
  console.error(`unexpected arguments: ${args.join(" ")}\n${usage}`);
  process.exit(2);
}
const only = args[0];
if (only && !all.some((p) => p.name === only)) {
  console.error(`unknown package "${only}"; valid: ${all.map((p) => p.name).join(", ")}`);
  process.exit(2);
}
if (only && benchFiles(join(root, "packages", only)).length === 0) {
  const withBench = all.filter((p) => benchFiles(p.dir).length).map((p) => p.name);
  console.error(
    `${only} has no benchmarks (packages/${only}/bench/*.bench.ts); packages with benchmarks: ${withBench.join(", ")}`,
  );
  process.exit(2);
}
let failed = 0;
let ran = 0;
for (const { name, dir } of all) {
  if (only && name !== only) continue;
  const benchDir = join(dir, "bench");
  for (const file of benchFiles(dir)) {
    console.log(`\n── ${name}/bench/${file}`);
    ran++;
    if ((await run(bin("tsx"), [join(benchDir, file)], { cwd: dir })) !== 0) failed++;
  }
}
console.log(`\n${ran} benchmark file(s) ran, ${failed} failed`);
process.exit(failed ? 1 : 0);
