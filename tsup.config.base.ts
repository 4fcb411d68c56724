import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig, type Options } from "tsup";

type ExportTarget = string | { [condition: string]: ExportTarget };

interface PackageJson {
  exports?: Record<string, ExportTarget>;
}

const SOURCE_CONDITION = "@tinkerbox/source";

/**
 * The one build config every package shares. Entries come from the package's own
 * `exports` map (the `@tinkerbox/source` condition names the source of each subpath)
 * plus `src/cli.ts` when there is one, so a package's tsup.config.ts is a single line.
 */
export function packageConfig(overrides: Options = {}) {
  const dir = process.cwd();
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageJson;
  const entry: Record<string, string> = {};
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    if (typeof target !== "object" || typeof target[SOURCE_CONDITION] !== "string") continue;
    const name = subpath === "." ? "index" : subpath.replace(/^\.\//, "");
    entry[name] = target[SOURCE_CONDITION] as string;
  }
  // A CLI lives in src/cli.ts and builds to dist/cli.js; `bin` points at a small committed
  // launcher (bin/<name>.js) that imports it, so package managers can link the bin before a build.
  if (existsSync(join(dir, "src", "cli.ts"))) entry.cli ??= "src/cli.ts";
  return defineConfig({
    entry,
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    platform: "node",
    shims: true,
    splitting: true,
    treeshake: true,
    outExtension: ({ format }) => ({ js: format === "cjs" ? ".cjs" : ".js" }),
    ...overrides,
  });
}
