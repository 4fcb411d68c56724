// Spark ETL against a local Livy: generate taxi trips, submit "miles per rate code", then
// "rate code status" on its output, stream both jobs' logs, and print the result table.
// Run twice without --overwrite and the first job fails, as Spark does, because its output exists.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { LivyClient, LivyError } from "@tinkerbox/livy-client";
import { createLivyDevServer } from "@tinkerbox/livy-client/dev-server";
import { trips } from "./trips.js";

const out = resolve(process.env.TINKERBOX_DEMO_OUT ?? "out");
const overwrite = process.argv.includes("--overwrite");
const jobs = resolve("jobs");
mkdirSync(out, { recursive: true });

const input = join(out, "trips.csv");
writeFileSync(input, trips(20_000, 2024));
console.log(`wrote ${input} (20000 trips)`);

const server = await createLivyDevServer({ cwd: jobs, csrf: true }).start({ port: 0 });
const livy = new LivyClient({ url: server.url });
console.log(`Livy dev server at ${server.url} (${(await livy.version()).version})`);

async function runJob(name: string, file: string, args: string[]): Promise<void> {
  const started = Date.now();
  const batch = await livy.submitBatch(
    {
      file: join(jobs, file),
      args: overwrite ? [...args, "--overwrite"] : args,
      name,
      conf: { "spark.app.name": name },
    },
    { reattach: true },
  );
  console.log(`▶ ${name}: batch ${batch.id}`);
  await livy.waitForBatch(batch.id, {
    pollIntervalMs: 100,
    backoff: 1,
    timeoutMs: 60_000,
    killOnTimeout: true,
    onState: (state) =>
      console.log(`  [${((Date.now() - started) / 1000).toFixed(1)}s] ${name} is ${state}`),
    onLog: (lines) => {
      for (const line of lines) console.log(`  │ ${line}`);
    },
  });
}

const milesDir = join(out, "miles-per-rate-code");
const statusDir = join(out, "rate-code-status");
const rerunExpected = existsSync(milesDir) && !overwrite;
try {
  await runJob("miles-per-rate-code", "miles-per-rate-code.mjs", [input, milesDir]);
  await runJob("rate-code-status", "rate-code-status.mjs", [milesDir, statusDir]);

  const [header, ...rows] = readFileSync(join(statusDir, "part-00000.csv"), "utf8")
    .trim()
    .split("\n");
  const table = [header!, ...rows].map((line) => line.split(","));
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const rendered = table
    .map((row, r) => {
      const line = `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`;
      return r === 0 ? `${line}\n|${widths.map((w) => "-".repeat(w + 2)).join("|")}|` : line;
    })
    .join("\n");
  console.log(`\nrate code status:\n${rendered}`);
  writeFileSync(join(out, "rate-code-status.md"), `${rendered}\n`);

  // What a second run does: Spark refuses to overwrite an existing output path.
  const again = await livy
    .submitBatch({
      file: join(jobs, "miles-per-rate-code.mjs"),
      args: [input, milesDir],
      name: "miles-per-rate-code-again",
    })
    .then((batch) =>
      livy.waitForBatch(batch.id, { pollIntervalMs: 100, backoff: 1, timeoutMs: 60_000 }),
    )
    .then(
      () => "unexpectedly succeeded",
      (error: unknown) =>
        error instanceof LivyError && error.code === "BATCH_FAILED" ? error : undefined,
    );
  if (!(again instanceof LivyError))
    throw new Error(`the rerun without --overwrite ${again ?? "failed oddly"}`);
  console.log(
    `\nrerun without --overwrite fails as Spark does:\n  ${again.logTail?.find((l) => l.includes("already exists"))}`,
  );

  writeFileSync(
    join(out, "result.json"),
    JSON.stringify({
      showed: `2 Livy batch jobs (miles per rate code → rate code status) on the dev server; ${rows.length} rate codes tabled; a rerun without --overwrite fails because the output exists`,
    }),
  );
} catch (error) {
  if (error instanceof LivyError && error.code === "BATCH_FAILED" && rerunExpected) {
    console.error(
      `\n${error.message}\n\nThe output of a previous run exists; run again with --overwrite to replace it.`,
    );
    process.exitCode = 1;
  } else {
    throw error;
  }
} finally {
  await server.close();
}
