// Tests that cannot fail do not creep back (issue #13): no bare `return;` in a test file (a test
// that cannot run says so with it.skipIf / ctx.skip(reason)). Helper modules next to the tests
// (servers, proxies) may return early from their own handlers; only `*.test.ts` files are read.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./helpers.js";

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "fixtures" ? [] : testFiles(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** `file:line` of every line that is only `return;` (an early exit that passes silently). */
function bareReturns(files: string[]): string[] {
  return files.flatMap((file) =>
    readFileSync(file, "utf8")
      .split("\n")
      .flatMap((line, index) =>
        /^\s*return;\s*(\/\/.*)?$/.test(line) ? [`${relative(repoRoot, file)}:${index + 1}`] : [],
      ),
  );
}

describe("test hygiene", () => {
  it("finds a bare `return;` and nothing else", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinkerbox-hygiene-"));
    const file = join(dir, "sample.test.ts");
    writeFileSync(
      file,
      [
        "it('x', () => {",
        "  if (a) {",
        "    return;",
        "  }",
        "  if (b) return;",
        "  return value;",
        "});",
      ].join("\n"),
    );
    const found = bareReturns([file]).map((at) => at.slice(at.lastIndexOf(":") + 1));
    rmSync(dir, { recursive: true, force: true });
    expect(found).toEqual(["3"]);
  });

  it("no test file returns early with a bare `return;`", () => {
    const packages = join(repoRoot, "packages");
    const files = [
      ...readdirSync(packages).flatMap((name) => {
        try {
          return testFiles(join(packages, name, "test"));
        } catch {
          return []; // a package without a test folder
        }
      }),
      ...testFiles(join(repoRoot, "test")).filter((file) => !file.endsWith("test-hygiene.test.ts")),
    ];
    expect(files.length).toBeGreaterThan(10);
    expect(bareReturns(files)).toEqual([]);
  });
});
