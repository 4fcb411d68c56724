// Tiny CSV and Spark-output helpers shared by the job scripts.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function log(level, message) {
  const time = new Date().toISOString().replace("T", " ").slice(0, 19);
  console.log(`${time} ${level} ${process.env.LIVY_BATCH_NAME ?? "job"}: ${message}`);
}

export function readCsv(path) {
  const [header, ...rows] = readFileSync(path, "utf8").trim().split("\n");
  const columns = header.split(",");
  return rows.map((row) =>
    Object.fromEntries(row.split(",").map((value, i) => [columns[i], value])),
  );
}

/** Reads every part file of a Spark-style output directory. */
export function readOutput(dir) {
  if (!existsSync(join(dir, "_SUCCESS")))
    throw new Error(`${dir} is not a finished output (no _SUCCESS)`);
  return readdirSync(dir)
    .filter((name) => name.startsWith("part-"))
    .sort()
    .flatMap((name) => readCsv(join(dir, name)));
}

/**
 * Writes rows like Spark's DataFrameWriter in mode "errorifexists" (the default) or "overwrite":
 * an existing path fails the job, part files first, `_SUCCESS` last.
 */
export function writeOutput(dir, rows, overwrite) {
  if (existsSync(dir)) {
    if (!overwrite) {
      console.error(
        `Exception in thread "main" org.apache.spark.sql.AnalysisException: path file:${dir} already exists.`,
      );
      process.exit(1);
    }
    log("INFO", `overwriting ${dir}`);
    rmSync(dir, { recursive: true });
  }
  mkdirSync(dir, { recursive: true });
  const columns = Object.keys(rows[0] ?? {});
  const body = [columns.join(","), ...rows.map((row) => columns.map((c) => row[c]).join(","))].join(
    "\n",
  );
  writeFileSync(join(dir, "part-00000.csv"), `${body}\n`);
  writeFileSync(join(dir, "_SUCCESS"), "");
  log("INFO", `wrote ${rows.length} rows to ${dir}`);
}
