import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, execFileAsync, repoRoot } from "./helpers.js";

const demo = join(repoRoot, "scripts", "demo.mjs");

describe("pnpm demo", () => {
  beforeAll(ensureBuilt, 120_000);

  it("rejects an unknown example and lists the valid ones", async () => {
    const failure = await execFileAsync(process.execPath, [demo, "no-such-example"], {
      cwd: repoRoot,
    }).then(
      () => {
        throw new Error("demo accepted an unknown example");
      },
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure.code).toBe(2);
    expect(failure.stderr).toContain("unknown example: no-such-example");
    expect(failure.stderr).toMatch(/valid examples: .*spark-etl-local/);
  });

  it("runs one example and reports it in the table", async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      [demo, "--no-build", "spark-etl-local"],
      {
        cwd: repoRoot,
      },
    );
    expect(stdout).toMatch(/\| spark-etl-local\s+\| .+ \| out\/spark-etl-local\s+\| \d+\.\d\s+\|/);
    expect(stdout).not.toContain("git-secrets-hello");
  });
});
