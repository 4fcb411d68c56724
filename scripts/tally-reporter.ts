import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { Reporter, SerializedError, TestModule, Vitest } from "vitest/node";

/** One vitest run's counts, as written to `.vitest-report/node-<major>.json`. */
export interface Tally {
  node: string;
  /** The `--tags-filter` expressions of the run (empty: every test was selected). */
  tagsFilter: string[];
  /** Tests that ran and passed. With `expect.requireAssertions` a test without an assertion fails. */
  passed: number;
  failed: number;
  /** Tests that were selected but did not run: `it.skip`, `it.skipIf`, `ctx.skip(note)`, `it.todo`. */
  skipped: number;
  /** Tests a `--tags-filter` left out on purpose (`pnpm test:unit`); never set in the gate. */
  leftOut: number;
  /** Test files that failed outside any test (import or hook errors) plus unhandled errors. */
  errors: number;
  skippedTests: Array<{ project: string; file: string; name: string; note?: string }>;
}

export const tallyDir = ".vitest-report";

/**
 * Writes the run's passed/failed/skipped counts to `.vitest-report/node-<major>.json` without
 * printing anything, so the run still ends with vitest's own summary line; `scripts/tally.mjs`
 * (called by .ci/run) turns the files into plain tally lines and lists every skipped test.
 */
export default class TallyReporter implements Reporter {
  private tagsFilter: string[] = [];
  private root = process.cwd();

  onInit(vitest: Vitest): void {
    this.tagsFilter = vitest.config.tagsFilter ?? [];
    this.root = vitest.config.root;
  }

  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
  ): void {
    const tally: Tally = {
      node: process.versions.node,
      tagsFilter: this.tagsFilter,
      passed: 0,
      failed: 0,
      skipped: 0,
      leftOut: 0,
      errors: unhandledErrors.length,
      skippedTests: [],
    };
    for (const module of testModules) {
      let failedTests = 0;
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === "passed") tally.passed++;
        else if (result.state === "failed") {
          tally.failed++;
          failedTests++;
        } else {
          // "pending": the run ended (bail, interrupt) before the test ran.
          const note = result.state === "skipped" ? result.note : "not run: the run ended first";
          if (
            this.tagsFilter.length > 0 &&
            test.tags.length > 0 &&
            result.state === "skipped" &&
            !note
          ) {
            // A tagged test skipped without a note while a tag filter is active: the filter left
            // it out (a test skipped for a reason of its own says why with ctx.skip(note)).
            tally.leftOut++;
            continue;
          }
          tally.skipped++;
          tally.skippedTests.push({
            project: test.project.name,
            file: relative(this.root, module.moduleId),
            name: test.fullName,
            ...(note ? { note } : {}),
          });
        }
      }
      if (module.state() === "failed" && failedTests === 0) tally.errors++;
    }
    const dir = join(this.root, tallyDir);
    mkdirSync(dir, { recursive: true });
    const major = process.versions.node.split(".")[0];
    writeFileSync(join(dir, `node-${major}.json`), `${JSON.stringify(tally, null, 2)}\n`);
  }
}
