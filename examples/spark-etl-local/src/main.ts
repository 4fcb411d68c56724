// Spark ETL against a local Livy: generate taxi trips, submit "miles per rate code", then
// "rate code status" on its output, stream both jobs' logs, and print the result table.
// Run twice without --overwrite and the first job fails, as Spark does, because its output exists.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { LivyClient, LivyError } from "@tinkerbox/livy-client";
import { createLivyDevServer } from "@tinkerbox/livy-client/dev-server";

const out = resolve(process.env.TINKERBOX_DEMO_OUT ?? "out");
const overwrite = process.argv.includes("--overwrite");
const jobs = resolve("jobs");
mkdirSync(out, { recursive: true });

// Deterministic input: a seeded PRNG (mulberry32) so every run writes the same trips.
function trips(count: number, seed: number): string {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const codes = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 5, 5, 6, 99];
  const lines = [
    "VendorID,tpep_pickup_datetime,passenger_count,trip_distance,RatecodeID,fare_amount",
  ];
  for (let i = 0; i < count; i++) {
    const code = codes[Math.floor(random() * codes.length)]!;
    const miles =
      code === 2 ? 15 + random() * 8 : code === 3 ? 16 + random() * 10 : 0.3 + random() * 6;
    const fare = code === 2 ? 70 : 3 + miles * 2.5 + random() * 4;
    const minute = Math.floor(random() * 60 * 24 * 28);
    const pickup = new Date(Date.UTC(2024, 0, 1) + minute * 60_000).toISOString().slice(0, 19);
    lines.push(
      `${1 + Math.floor(random() * 2)},${pickup},${1 + Math.floor(random() * 4)},${miles.toFixed(2)},${code},${fare.toFixed(2)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

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
