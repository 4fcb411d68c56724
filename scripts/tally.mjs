#!/usr/bin/env node
// Prints the closing tally of the vitest runs (one line per Node version, from the files the tally
// reporter wrote to .vitest-report/) and lists every skipped test with its reason.
//
// A skip in CI (CI=true) fails: CI installs every tool the tests need (.ci/apt-packages), so a
// skipped test there is a test that did not check what it claims, and a green run must mean it
// was checked. Outside CI the same list is printed as a loud warning and the exit code stays 0.
//
// Usage: node scripts/tally.mjs [report-dir]   (default: .vitest-report in the repository root)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./lib.mjs";

const dir = process.argv[2] ?? join(root, ".vitest-report");
const ci = process.env.CI === "true";
const files = existsSync(dir)
  ? readdirSync(dir)
      .filter((name) => /^node-\d+\.json$/.test(name))
      .sort((a, b) => Number.parseInt(a.slice(5), 10) - Number.parseInt(b.slice(5), 10))
  : [];
if (files.length === 0) {
  console.error(`ci: no vitest tally in ${dir} (did vitest run with scripts/tally-reporter.ts?)`);
  process.exit(1);
}

let bad = false;
let skippedAny = false;
for (const file of files) {
  const tally = JSON.parse(readFileSync(join(dir, file), "utf8"));
  const parts = [`${tally.passed} passed`, `${tally.failed} failed`, `${tally.skipped} skipped`];
  if (tally.leftOut) parts.push(`${tally.leftOut} left out by --tags-filter`);
  if (tally.errors) parts.push(`${tally.errors} errors outside tests`);
  console.log(`ci: ${parts.join(", ")} (node ${tally.node})`);
  if (tally.failed || tally.errors) bad = true;
  if (tally.skipped) {
    skippedAny = true;
    const say = ci ? console.error : console.warn;
    say(
      `${ci ? "ci: FAIL" : "warning"}: ${tally.skipped} test(s) skipped under node ${tally.node}:`,
    );
    for (const test of tally.skippedTests) {
      say(`  - [${test.project}] ${test.file} › ${test.name}${test.note ? ` (${test.note})` : ""}`);
    }
  }
}
if (skippedAny) {
  console.error(
    ci
      ? "ci: skipped tests fail CI — install what they need (.ci/apt-packages) or fix the skip"
      : "warning: skipped tests did not check anything; in CI (CI=true) this fails the run",
  );
}
process.exit(bad || (ci && skippedAny) ? 1 : 0);
