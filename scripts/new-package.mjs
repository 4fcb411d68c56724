#!/usr/bin/env node
// Scaffolds packages/<name> with the layout every tinkerbox package shares.
// Usage: node scripts/new-package.mjs <name> "<one-line description>"
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bin, run } from "./lib.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [name, description = ""] = process.argv.slice(2);
if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) {
  console.error('usage: node scripts/new-package.mjs <kebab-name> "<description>"');
  process.exit(2);
}
const dir = join(root, "packages", name);
if (existsSync(dir)) {
  console.error(`packages/${name} already exists`);
  process.exit(1);
}
const pascal = name.replace(/(^|-)([a-z])/g, (_, __, c) => c.toUpperCase());

const files = {
  "package.json": `${JSON.stringify(
    {
      name: `@tinkerbox/${name}`,
      version: "0.0.0",
      // Private until it does what its README says (root README, Conventions for package authors).
      private: true,
      description: `Scaffold: no functionality yet. ${description}`,
      license: "MIT",
      type: "module",
      sideEffects: false,
      engines: { node: ">=20.17" },
      exports: {
        ".": {
          "@tinkerbox/source": "./src/index.ts",
          import: { types: "./dist/index.d.ts", default: "./dist/index.js" },
          require: { types: "./dist/index.d.cts", default: "./dist/index.cjs" },
        },
        "./package.json": "./package.json",
      },
      main: "./dist/index.cjs",
      module: "./dist/index.js",
      types: "./dist/index.d.cts",
      files: ["dist", "src", "README.md", "CHANGELOG.md"],
      scripts: { build: "tsup" },
      publishConfig: { access: "public" },
      keywords: [],
    },
    null,
    2,
  )}\n`,
  "tsup.config.ts":
    'import { packageConfig } from "../../tsup.config.base";\n\nexport default packageConfig();\n',
  "tsconfig.json": `${JSON.stringify({ extends: "../../tsconfig.base.json", include: ["src"] }, null, 2)}\n`,
  "typedoc.json": `${JSON.stringify({ extends: ["../../typedoc.base.json"], entryPoints: ["src/index.ts"] }, null, 2)}\n`,
  "src/index.ts": `export { is${pascal}Error, ${pascal}Error, type ${pascal}ErrorCode } from "./errors.js";\nexport type { Logger } from "./logger.js";\n`,
  "src/logger.ts": `/**\n * Where the package reports what it does; \`console\` and the AWS SDK v3 logger fit. Options take\n * it as \`logger?: Logger\`, silent by default.\n */\nexport interface Logger {\n  debug(...args: unknown[]): void;\n  info(...args: unknown[]): void;\n  warn(...args: unknown[]): void;\n  error(...args: unknown[]): void;\n}\n`,
  "src/errors.ts": `/** Every code a {@link ${pascal}Error} can carry (the README's error table). */\nexport type ${pascal}ErrorCode = "INVALID_ARGUMENT";\n\n/** The one error class of @tinkerbox/${name}; \`code\` says what went wrong. */\nexport class ${pascal}Error extends Error {\n  override readonly name = "${pascal}Error";\n  readonly code: ${pascal}ErrorCode;\n\n  constructor(code: ${pascal}ErrorCode, message: string, options?: { cause?: unknown }) {\n    super(message, options);\n    this.code = code;\n  }\n}\n\n/** Whether \`value\` is a {@link ${pascal}Error} (also across copies of this package). */\nexport function is${pascal}Error(value: unknown): value is ${pascal}Error {\n  return (\n    value instanceof ${pascal}Error ||\n    (value instanceof Error && value.name === "${pascal}Error" && typeof (value as { code?: unknown }).code === "string")\n  );\n}\n`,
  "test/errors.test.ts": `import { describe, expect, it } from "vitest";\nimport { is${pascal}Error, ${pascal}Error } from "../src/index.js";\n\ndescribe("${pascal}Error", () => {\n  it("carries its code and cause, and the guard tells it from other errors", () => {\n    const cause = new Error("root");\n    const error = new ${pascal}Error("INVALID_ARGUMENT", "bad", { cause });\n    expect([error.name, error.code, error.cause]).toEqual(["${pascal}Error", "INVALID_ARGUMENT", cause]);\n    expect(is${pascal}Error(error)).toBe(true);\n    expect(is${pascal}Error(new Error("bad"))).toBe(false);\n    expect(is${pascal}Error({ name: "${pascal}Error", code: "INVALID_ARGUMENT" })).toBe(false);\n  });\n});\n`,
  "README.md": `# @tinkerbox/${name}\n\nScaffold: no functionality yet. ${description}\n\nThis package is private (not published) until it does what this README says.\n\nSee the guide: [docs/${name}.md](../../docs/${name}.md).\n\n## Errors\n\nEvery error is a \`${pascal}Error\` (\`is${pascal}Error(value)\` tells); its \`code\` is one of:\n\n| code | meaning |\n| --- | --- |\n| \`INVALID_ARGUMENT\` | an option or argument is out of range or malformed |\n`,
};
for (const [file, text] of Object.entries(files)) {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), text);
}
// The generated files in the repository's own format, so the scaffold passes `pnpm lint` as is.
await run(bin("biome"), ["check", "--write", join("packages", name)], { stdio: "ignore" });
console.log(
  `created packages/${name} (private until it works); add docs/${name}.md, a row in README.md, and run pnpm install`,
);
