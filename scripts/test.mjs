#!/usr/bin/env node
import { join } from "node:path";
// The whole test gate: typecheck, lint, build, package checks, API docs, then every vitest project under
// Node 20 (this node) and under the current LTS (Node 24 from the npm registry's `node` package).
// Ends with vitest's own summary line.
import { bin, pnpmCommand, root, run, seconds } from "./lib.mjs";

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
