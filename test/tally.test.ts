// The CI tally counts honestly: the numbers come from vitest itself (through the repository's
// own vitest.config.ts and scripts/tally-reporter.ts), a test without an assertion is a failure,
// skipped tests are counted and listed apart, and a skip fails CI.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./helpers.js";

const tallyScript = join(repoRoot, "scripts", "tally.mjs");

function node(args: string[], env: NodeJS.ProcessEnv, cwd = repoRoot) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolvePromise) => {
    execFile(process.execPath, args, { cwd, env, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** The environment without CI, so each case sets it on purpose. */
function envWith(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { CI: _ci, ...env } = process.env;
  return { ...env, ...extra };
}

const tally = (overrides: Record<string, unknown>) => ({
  node: "20.17.0",
  tagsFilter: [],
  passed: 0,
  failed: 0,
  skipped: 0,
  leftOut: 0,
  errors: 0,
  skippedTests: [],
  ...overrides,
});

describe("scripts/tally.mjs", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tinkerbox-tally-"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function reports(name: string, files: Record<string, object>): string {
    const at = join(dir, name);
    mkdirSync(at);
    for (const [file, content] of Object.entries(files)) {
      writeFileSync(join(at, file), JSON.stringify(content));
    }
    return at;
  }

  it("prints one line per Node version and passes when nothing failed or was skipped", async () => {
    const at = reports("clean", {
      "node-24.json": tally({ node: "24.11.1", passed: 7 }),
      "node-20.json": tally({ passed: 7 }),
    });
    const run = await node([tallyScript, at], envWith({ CI: "true" }));
    expect(run.stdout).toBe(
      "ci: 7 passed, 0 failed, 0 skipped (node 20.17.0)\nci: 7 passed, 0 failed, 0 skipped (node 24.11.1)\n",
    );
    expect(run.code).toBe(0);
  });

  const skippedRun = {
    "node-20.json": tally({
      passed: 5,
      skipped: 2,
      skippedTests: [
        { project: "raw-scanner", file: "test/scan.test.ts", name: "scan > nmap agrees" },
        {
          project: "git-secrets",
          file: "test/interop.test.ts",
          name: "interop > decrypts",
          note: "git-crypt is not installed",
        },
      ],
    }),
  };

  it("fails in CI when a test was skipped, naming each one with its reason", async () => {
    const run = await node(
      [tallyScript, reports("skipped-ci", skippedRun)],
      envWith({ CI: "true" }),
    );
    expect(run.stdout).toBe("ci: 5 passed, 0 failed, 2 skipped (node 20.17.0)\n");
    expect(run.stderr).toContain("ci: FAIL: 2 test(s) skipped under node 20.17.0:");
    expect(run.stderr).toContain("  - [raw-scanner] test/scan.test.ts › scan > nmap agrees\n");
    expect(run.stderr).toContain(
      "  - [git-secrets] test/interop.test.ts › interop > decrypts (git-crypt is not installed)\n",
    );
    expect(run.code).toBe(1);
  });

  it("only warns about skipped tests outside CI", async () => {
    const run = await node([tallyScript, reports("skipped-local", skippedRun)], envWith({}));
    expect(run.stderr).toContain("warning: 2 test(s) skipped under node 20.17.0:");
    expect(run.stderr).toContain("in CI (CI=true) this fails the run");
    expect(run.code).toBe(0);
  });

  it("shows tests a tag filter left out apart from skipped ones, and fails on failures", async () => {
    const at = reports("failed", {
      "node-20.json": tally({ passed: 3, failed: 1, leftOut: 4, errors: 1 }),
    });
    const run = await node([tallyScript, at], envWith({}));
    expect(run.stdout).toBe(
      "ci: 3 passed, 1 failed, 0 skipped, 4 left out by --tags-filter, 1 errors outside tests (node 20.17.0)\n",
    );
    expect(run.code).toBe(1);
  });

  it("fails when vitest wrote no tally", async () => {
    const run = await node([tallyScript, join(dir, "nothing-here")], envWith({ CI: "true" }));
    expect(run.stderr).toContain("ci: no vitest tally in");
    expect(run.code).toBe(1);
  });
});

describe("the tally reporter under the repository's vitest config", { tags: ["slow"] }, () => {
  let project: string;
  beforeAll(() => {
    // Inside the repository (under node_modules, which git and Biome ignore) so that the sample
    // test resolves `vitest` as the repository's tests do.
    const scratch = join(repoRoot, "node_modules", ".tmp");
    mkdirSync(scratch, { recursive: true });
    project = mkdtempSync(join(scratch, "tally-run-"));
    // The repository's own config (requireAssertions, tags, reporter), with one project: this one.
    writeFileSync(
      join(project, "vitest.config.ts"),
      [
        `import base from ${JSON.stringify(join(repoRoot, "vitest.config.ts"))};`,
        "export default {",
        "  ...base,",
        "  test: {",
        "    ...base.test,",
        `    reporters: [${JSON.stringify(join(repoRoot, "scripts", "tally-reporter.ts"))}],`,
        '    projects: [{ extends: true, test: { name: "sample", include: ["*.test.ts"] } }],',
        "  },",
        "};",
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(project, "sample.test.ts"),
      [
        'import { expect, it } from "vitest";',
        'it("asserts", () => { expect(1 + 1).toBe(2); });',
        'it("asserts nothing", () => {});',
        'it("returns early", () => { if (1 + 1 === 2) return; expect(1).toBe(2); });',
        'it.skipIf(true)("skipped without a note", () => { expect(1).toBe(1); });',
        'it("skipped with a note", (ctx) => { ctx.skip("the tool is missing"); });',
        'it("slow one", { tags: ["slow"] }, () => { expect(1).toBe(1); });',
        "",
      ].join("\n"),
    );
  });
  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  const vitest = join(repoRoot, "node_modules", "vitest", "vitest.mjs");
  const read = () =>
    JSON.parse(
      readFileSync(
        join(project, ".vitest-report", `node-${process.versions.node.split(".")[0]}.json`),
        "utf8",
      ),
    );

  it("counts a test without an assertion as failed and lists skips with their notes", async () => {
    const run = await node([vitest, "run"], envWith({}), project);
    expect(run.code).toBe(1);
    const counts = read();
    expect(counts).toMatchObject({ passed: 2, failed: 2, skipped: 2, leftOut: 0, errors: 0 });
    expect(counts.skippedTests).toEqual([
      { project: "sample", file: "sample.test.ts", name: "skipped without a note" },
      {
        project: "sample",
        file: "sample.test.ts",
        name: "skipped with a note",
        note: "the tool is missing",
      },
    ]);
  }, 120_000);

  it("counts tests the tag filter leaves out apart from skipped ones", async () => {
    const run = await node(
      [vitest, "run", "--tags-filter", "!slow && !peer && !root"],
      envWith({}),
      project,
    );
    expect(run.code).toBe(1);
    const counts = read();
    expect(counts).toMatchObject({ passed: 1, failed: 2, skipped: 2, leftOut: 1 });
    expect(counts.tagsFilter).toEqual(["!slow && !peer && !root"]);
  }, 120_000);
});
