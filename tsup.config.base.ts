import { readFileSync } from "node:fs";
import { join } from "node:path";
import { defineConfig, type Options } from "tsup";

type ExportTarget = string | { [condition: string]: ExportTarget };

interface PackageJson {
  exports?: Record<string, ExportTarget>;
  bin?: string | Record<string, string>;
}

const SOURCE_CONDITION = "@tinkerbox/source";

/**
 * The one build config every package shares. Entries come from the package's own
 * `exports` map (the `@tinkerbox/source` condition names the source of each subpath)
 * and from `bin`, so a package's tsup.config.ts is a single line.
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
  if (pkg.bin) {
    const bins = typeof pkg.bin === "string" ? { cli: pkg.bin } : pkg.bin;
    for (const file of Object.values(bins)) {
      const name = file.replace(/^\.\/dist\//, "").replace(/\.c?js$/, "");
      entry[name] ??= `src/${name}.ts`;
    }
  }
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
