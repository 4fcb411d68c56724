#!/usr/bin/env node
import { rmSync } from "node:fs";
import { join } from "node:path";
// The whole test gate: typecheck, lint, build, package checks, API docs, then every vitest project under
// Node 20 (this node) and under Node 24 (from the npm registry's `node` package).
// Ends with vitest's own summary line.
import { bin, pnpmCommand, root, run, seconds } from "./lib.mjs";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(`usage: pnpm test

The whole gate, stopping at the first failing step: typecheck, lint, build, publint + attw on
every package, the TypeDoc reference, then every vitest project (every tag: slow, peer, root)
under Node ${process.versions.node} and under Node 24 (npx -y node@24; TINKERBOX_LTS_NODE=<major>
picks another, TINKERBOX_LTS_NODE=none skips that run). Each vitest run writes its tally to
.vitest-report/; \`node scripts/tally.mjs\` prints it (.ci/run does).

For the vitest projects alone, without the slow, peer and root tags: pnpm test:unit`);
  process.exit(0);
}

// Tallies of an earlier run must not be read as this run's.
rmSync(join(root, ".vitest-report"), { recursive: true, force: true });

const pnpm = pnpmCommand();
const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
const lts = process.env.TINKERBOX_LTS_NODE ?? "24";

const steps = [
  ["typecheck", bin("tsc"), ["-p", "tsconfig.json", "--noEmit"]],
  ["lint", bin("biome"), ["check", "."]],
  ["build", pnpm[0], [...pnpm[1], "run", "build"]],
  ["publint + attw", process.execPath, [join(root, "scripts", "check-packages.mjs")]],
  ["docs (TypeDoc, warnings are errors)", bin("typedoc"), ["--logLevel", "Warn"]],
  [`vitest (node ${process.versions.node})`, process.execPath, [vitest, "run"]],
];
if (lts !== "none") {
  steps.push([`vitest (node ${lts})`, "npx", ["-y", `node@${lts}`, vitest, "run"]]);
}

for (const [index, [label, command, args]] of steps.entries()) {
  const start = performance.now();
  console.log(`\n▶ ${label}`);
  const code = await run(command, args);
  if (code !== 0) {
    console.log(`◀ ${label}: failed (exit ${code}) in ${seconds(start)} s`);
    process.exit(code);
  }
  // The last step's own summary line stays the last line of the run.
  if (index < steps.length - 1) console.log(`◀ ${label}: ok in ${seconds(start)} s`);
}
