#!/usr/bin/env node
// publint and @arethetypeswrong/cli on every package (each must already be built).
import { bin, run, workspaces } from "./lib.mjs";

let failed = 0;
for (const { name, dir } of workspaces("packages")) {
  console.log(`\n── ${name}: publint`);
  if ((await run(bin("publint"), ["--strict", "--pack", "npm"], { cwd: dir })) !== 0) failed++;
  console.log(`── ${name}: attw`);
  if ((await run(bin("attw"), ["--pack", ".", "--format", "table-flipped"], { cwd: dir })) !== 0)
    failed++;
}
if (failed) {
  console.error(`\n${failed} package check(s) failed`);
  process.exit(1);
}
console.log("\nall packages pass publint and attw");
