#!/usr/bin/env node
// Runs every example (or the one named) on its embedded defaults: no cloud account, no root.
// Each example writes its outputs to out/<example>/ and a result.json saying what it showed;
// the run ends with a table of example, what it showed, output folder and seconds taken.
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { bin, pnpmCommand, root, run, seconds, workspaces } from "./lib.mjs";

const usage = `usage: pnpm demo [--no-build] [example...]

Builds the packages, then runs every example (or the ones named) on its embedded defaults.
Each writes its outputs to out/<example>/; a table of what each showed ends the run.

  --no-build  run against the packages' current dist/ (skip the build)
  --list      print the example names, one per line
  --help      print this help`;

const examples = workspaces("examples");
const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(`${usage}\n\nexamples: ${examples.map((e) => e.name).join(", ")}`);
  process.exit(0);
}
if (args.includes("--list")) {
  for (const example of examples) console.log(example.name);
  process.exit(0);
}
const badFlags = args.filter((arg) => arg.startsWith("-") && arg !== "--no-build");
if (badFlags.length) {
  console.error(
    `unknown option${badFlags.length > 1 ? "s" : ""}: ${badFlags.join(", ")}\n${usage}`,
  );
  process.exit(2);
}
const wanted = args.filter((arg) => !arg.startsWith("-"));
const unknown = wanted.filter((name) => !examples.some((e) => e.name === name));
if (unknown.length) {
  console.error(`unknown example${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`);
  console.error(`valid examples: ${examples.map((e) => e.name).join(", ")}`);
  process.exit(2);
}
const chosen = wanted.length ? examples.filter((e) => wanted.includes(e.name)) : examples;

if (!args.includes("--no-build")) {
  console.log("▶ building packages");
  const pnpm = pnpmCommand();
  const code = await run(pnpm[0], [...pnpm[1], "run", "build"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (code !== 0) process.exit(code);
}

const rows = [];
for (const example of chosen) {
  const out = join(root, "out", example.name);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  console.log(`\n▶ ${example.name}: ${example.pkg.description ?? ""}`);
  const start = performance.now();
  const entry = example.pkg.tinkerbox?.demo ?? "src/main.ts";
  const code = await run(bin("tsx"), [entry], {
    cwd: example.dir,
    env: { ...process.env, TINKERBOX_DEMO_OUT: out },
  });
  const resultFile = join(out, "result.json");
  const result = existsSync(resultFile) ? JSON.parse(readFileSync(resultFile, "utf8")) : {};
  rows.push({
    example: example.name,
    showed: code === 0 ? (result.showed ?? "(no result.json)") : `FAILED (exit ${code})`,
    output: relative(root, out),
    seconds: seconds(start),
    ok: code === 0 && Boolean(result.showed),
  });
}

const headers = ["example", "what it showed", "output", "seconds"];
const table = rows.map((r) => [r.example, r.showed, r.output, r.seconds]);
const widths = headers.map((h, i) =>
  Math.max(h.length, ...table.map((row) => String(row[i]).length)),
);
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(" | ")} |`;
console.log(`\n${line(headers)}\n|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const row of table) console.log(line(row));
const failed = rows.filter((r) => !r.ok);
if (failed.length) {
  console.error(`\n${failed.length} example(s) failed: ${failed.map((r) => r.example).join(", ")}`);
  process.exit(1);
}
