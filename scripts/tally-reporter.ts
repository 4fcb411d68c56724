import { writeFileSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";

/**
 * Writes passed/failed/skipped counts to .vitest-report.json without printing anything, so the
 * run still ends with vitest's own summary line; .ci/run turns the file into a plain tally line.
 */
export default class TallyReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const tally = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") tally.passed++;
        else if (state === "failed") tally.failed++;
        else tally.skipped++;
      }
    }
    writeFileSync(".vitest-report.json", `${JSON.stringify(tally)}\n`);
  }
}
