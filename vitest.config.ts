import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineConfig } from "vitest/config";

const root = import.meta.dirname;
const packageNames = readdirSync(join(root, "packages"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

// Tests run against the sources, not dist: every subpath of every package that names a
// `@tinkerbox/source` file in its exports map is aliased to that file.
const alias = packageNames.flatMap((name) => {
  const dir = join(root, "packages", name);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  return Object.entries(pkg.exports ?? {}).flatMap(([subpath, target]) => {
    const source = (target as Record<string, unknown>)?.["@tinkerbox/source"];
    if (typeof source !== "string") return [];
    const specifier = `${pkg.name}${subpath === "." ? "" : subpath.slice(1)}`;
    const escaped = specifier.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    return [{ find: new RegExp(`^${escaped}$`), replacement: resolve(dir, source) }];
  });
});

export default defineConfig({
  resolve: { alias },
  test: {
    reporters: ["default", "./scripts/tally-reporter.ts"],
    testTimeout: 30_000,
    // A test that ran no expect() fails instead of passing: the tally counts only tests that
    // asserted something. (node:assert and a fast-check property returning a boolean do not count
    // as assertions; assert through expect.)
    expect: { requireAssertions: true },
    // Tags mark tests `pnpm test:unit` may leave out; the gate (`pnpm test`, CI) runs every one.
    tags: [
      { name: "slow", description: "takes seconds: sweeps, big fixtures, many processes" },
      {
        name: "peer",
        description:
          "drives a real peer tool (git-crypt, nmap, masscan, gpg, Verdaccio, chromium, socat)",
      },
      { name: "root", description: "needs root or Linux network namespaces" },
    ],
    hookTimeout: 60_000,
    projects: [
      ...packageNames.map((name) => ({
        extends: true as const,
        test: {
          name,
          root: join(root, "packages", name),
          include: ["test/**/*.test.ts"],
        },
      })),
      {
        extends: true as const,
        test: { name: "repo", root, include: ["test/**/*.test.ts"] },
      },
    ],
  },
});
