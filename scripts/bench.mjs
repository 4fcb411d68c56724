#!/usr/bin/env node
// Runs every package's benchmarks (packages/*/bench/*.bench.ts) in turn; each prints ratios
// against a peer measured in the same run. `pnpm bench <package>` runs one package's.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { bin, run, workspaces } from "./lib.mjs";

const only = process.argv[2];
const all = workspaces("packages");
if (only && !all.some((p) => p.name === only)) {
  console.error(`unknown package "${only}"; valid: ${all.map((p) => p.name).join(", ")}`);
  process.exit(2);
}
let failed = 0;
let ran = 0;
for (const { name, dir } of all) {
  if (only && name !== only) continue;
  const benchDir = join(dir, "bench");
  if (!existsSync(benchDir)) continue;
  for (const file of readdirSync(benchDir)
    .filter((f) => f.endsWith(".bench.ts"))
    .sort()) {
    console.log(`\n── ${name}/bench/${file}`);
    ran++;
    if ((await run(bin("tsx"), [join(benchDir, file)], { cwd: dir })) !== 0) failed++;
  }
}
console.log(`\n${ran} benchmark file(s) ran, ${failed} failed`);
process.exit(failed ? 1 : 0);
