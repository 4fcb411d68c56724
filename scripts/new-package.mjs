#!/usr/bin/env node
// Scaffolds packages/<name> with the layout every tinkerbox package shares.
// Usage: node scripts/new-package.mjs <name> "<one-line description>"
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

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
      description,
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
  "src/index.ts": `export { ${pascal}Error, type ${pascal}ErrorCode } from "./errors.js";\n`,
  "src/errors.ts": `/** Every code a {@link ${pascal}Error} can carry. */\nexport type ${pascal}ErrorCode = "INVALID_ARGUMENT";\n\n/** The one error class of @tinkerbox/${name}; \`code\` says what went wrong. */\nexport class ${pascal}Error extends Error {\n  override readonly name = "${pascal}Error";\n  readonly code: ${pascal}ErrorCode;\n\n  constructor(code: ${pascal}ErrorCode, message: string, options?: { cause?: unknown }) {\n    super(message, options);\n    this.code = code;\n  }\n}\n`,
  "test/errors.test.ts": `import { describe, expect, it } from "vitest";\nimport { ${pascal}Error } from "../src/index.js";\n\ndescribe("${pascal}Error", () => {\n  it("carries its code and cause", () => {\n    const cause = new Error("root");\n    const error = new ${pascal}Error("INVALID_ARGUMENT", "bad", { cause });\n    expect(error).toBeInstanceOf(Error);\n    expect(error.code).toBe("INVALID_ARGUMENT");\n    expect(error.cause).toBe(cause);\n    expect(error.name).toBe("${pascal}Error");\n  });\n});\n`,
  "README.md": `# @tinkerbox/${name}\n\n${description}\n\n\`\`\`sh\nnpm install @tinkerbox/${name}\n\`\`\`\n\nSee the guide: [docs/${name}.md](../../docs/${name}.md).\n`,
};
for (const [file, text] of Object.entries(files)) {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), text);
}
console.log(
  `created packages/${name}; add docs/${name}.md, a row in README.md, and run pnpm install`,
);
