import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, execFileAsync, repoRoot } from "./helpers.js";

const demo = join(repoRoot, "scripts", "demo.mjs");
// The examples as the folder holds them (read here, not through the script's own helper).
const exampleNames = readdirSync(join(repoRoot, "examples"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

async function failing(args: string[]) {
  return execFileAsync(process.execPath, [demo, ...args], { cwd: repoRoot }).then(
    () => {
      throw new Error(`demo ${args.join(" ")} succeeded`);
    },
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe("pnpm demo: arguments", () => {
  it("rejects an unknown example with exit 2 and lists every valid one", async () => {
    const failure = await failing(["no-such-example"]);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toContain("unknown example: no-such-example");
    const listed = /valid examples: (.*)/.exec(failure.stderr)?.[1]?.split(", ");
    expect(listed).toEqual(exampleNames);
  });

  it("names every unknown example when several are wrong, and runs none", async () => {
    const failure = await failing(["spark-etl-local", "nope-1", "nope-2"]);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toContain("unknown examples: nope-1, nope-2");
    expect(failure.stdout).toBe("");
  });

  it("rejects an unknown option with exit 2 and its usage", async () => {
    const failure = await failing(["--no-such-option"]);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toContain("unknown option: --no-such-option");
    expect(failure.stderr).toContain("usage: pnpm demo [--no-build] [example...]");
  });

  it("--list prints the example names, one per line", async () => {
    const { stdout } = await execFileAsync(process.execPath, [demo, "--list"], { cwd: repoRoot });
    expect(stdout.trim().split("\n")).toEqual(exampleNames);
  });
});

describe("pnpm demo: running", { tags: ["slow"] }, () => {
  beforeAll(ensureBuilt, 300_000);

  it("runs only the named example and reports it as the one row of the table", async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      [demo, "--no-build", "spark-etl-local"],
      { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 },
    );
    // The closing table (the example's own output comes before it): header, separator, then
    // exactly one row, so no other example ran.
    const lines = stdout.trimEnd().split("\n");
    const header = lines.findLastIndex((line) =>
      /^\| example\s+\| what it showed\s+\| output\s+\| seconds\s+\|$/.test(line),
    );
    expect(header).toBeGreaterThan(-1);
    const table = lines.slice(header);
    expect(table).toHaveLength(3);
    expect(table[1]).toMatch(/^\|-+\|-+\|-+\|-+\|$/);
    const cells = table[2]!.split("|").map((cell) => cell.trim());
    expect(cells[1]).toBe("spark-etl-local");
    expect(cells[3]).toBe("out/spark-etl-local");
    expect(cells[4]).toMatch(/^\d+\.\d$/);
    // The row says what the example's own result.json says it showed.
    const resultFile = join(repoRoot, "out", "spark-etl-local", "result.json");
    const result = JSON.parse(readFileSync(resultFile, "utf8")) as { showed: string };
    expect(result.showed.length).toBeGreaterThan(0);
    expect(cells[2]).toBe(result.showed);
    for (const other of exampleNames.filter((name) => name !== "spark-etl-local")) {
      expect(stdout, `${other} ran`).not.toContain(`▶ ${other}:`);
    }
  });
});
