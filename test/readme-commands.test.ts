// Every command the Markdown shows works as written (issue #13 point 7):
// 1. each `pnpm <script>` command in any README or guide reaches the root script it names, and
//    not a pnpm built-in of the same name (`pnpm docs` opens a package's home page);
// 2. each `node <file>` / `bash <file>` command names a file that exists;
// 3. each fenced block marked `<!-- runnable -->` runs as written (from the repository root, or the
//    marker's `cwd=`) and exits 0; `pnpm` in it is pnpm 10.34.9, as the root README says.
import { execFile } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, pnpmCommand, repoRoot } from "./helpers.js";
import { pnpmInvocation, runnableBlocks, shellCommands } from "./markdown.js";

/** The repository's Markdown a reader runs commands from. */
function markdownFiles(): string[] {
  const inDir = (dir: string, pick: (name: string) => boolean) =>
    existsSync(join(repoRoot, dir))
      ? readdirSync(join(repoRoot, dir))
          .filter(pick)
          .map((name) => join(dir, name))
      : [];
  const perWorkspace = (group: string) =>
    inDir(group, () => true)
      .map((dir) => join(dir, "README.md"))
      .filter((file) => existsSync(join(repoRoot, file)));
  return [
    "README.md",
    ...inDir("docs", (name) => name.endsWith(".md")),
    ...perWorkspace("packages"),
    ...perWorkspace("examples"),
  ];
}

const files = markdownFiles().map((file) => ({
  file,
  text: readFileSync(join(repoRoot, file), "utf8"),
}));
const rootScripts = (
  JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  }
).scripts;
/** pnpm commands the docs mean as pnpm's own (installing), not as scripts. */
const pnpmBuiltins = new Set(["install", "i", "add", "dlx", "publish"]);
/**
 * Commands known to be wrong in Markdown other engineers own, each with where it still appears.
 * Their tests are `it.fails`: they pass while the command is still wrong and fail once every
 * file is fixed, so the entry is then deleted and the command is checked like any other.
 */
const knownWrong = new Map<string, string>();

/** Where each distinct command appears, for the failure messages. */
function commandsBy(select: (command: string) => boolean): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const { file, text } of files) {
    for (const command of shellCommands(text)) {
      if (!select(command)) continue;
      found.set(command, [...(found.get(command) ?? []), file]);
    }
  }
  return found;
}

/** The environment without the npm_config_* variables a parent pnpm sets for scripts. */
function cleanEnv(extraPath?: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_(config|lifecycle|package)_/i.test(key)),
  );
  if (extraPath) env.PATH = `${extraPath}${delimiter}${env.PATH ?? ""}`;
  return env;
}

function sh(script: string, cwd: string, env: NodeJS.ProcessEnv, timeout: number) {
  return new Promise<{ code: number; output: string }>((resolvePromise) => {
    execFile(
      "sh",
      ["-ec", script],
      { cwd, env, timeout, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolvePromise({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

const shellQuote = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;

// A folder on PATH whose `pnpm` is pnpm 10.34.9, as the README's alias makes it. It runs pnpm's
// own script with node (found once through npx), not npx on every call.
let shimDir: string;
beforeAll(async () => {
  shimDir = mkdtempSync(join(tmpdir(), "tinkerbox-pnpm-shim-"));
  let [command, args] = pnpmCommand();
  if (command === "npx") {
    const found = await sh(
      "npx -y -p pnpm@10.34.9 sh -c 'command -v pnpm'",
      repoRoot,
      cleanEnv(),
      120_000,
    );
    expect(found.code, found.output).toBe(0);
    [command, args] = [process.execPath, [realpathSync(found.output.trim())]];
  }
  const quoted = [command, ...args].map(shellQuote).join(" ");
  writeFileSync(join(shimDir, "pnpm"), `#!/bin/sh\nexec ${quoted} "$@"\n`);
  chmodSync(join(shimDir, "pnpm"), 0o755);
});
afterAll(() => {
  if (shimDir) rmSync(shimDir, { recursive: true, force: true });
});

describe("Markdown command reader", () => {
  it("finds marked blocks, their folder and line, and refuses a marker without a block", () => {
    const text = [
      "# t", // 1
      "<!-- runnable -->", // 2
      "```sh", // 3
      "pnpm demo --list", // 4
      "```", // 5
      "```sh", // 6
      "not marked", // 7
      "```", // 8
      "<!-- runnable cwd=packages/x -->", // 9
      "", // 10
      "~~~bash", // 11
      "a && b", // 12
      "c", // 13
      "~~~", // 14
    ].join("\n");
    expect(runnableBlocks(text)).toEqual([
      { line: 3, cwd: ".", script: "pnpm demo --list" },
      { line: 11, cwd: "packages/x", script: "a && b\nc" },
    ]);
    expect(() => runnableBlocks("<!-- runnable -->\nplain text\n")).toThrow(
      "line 1: <!-- runnable --> is not followed by a fenced code block",
    );
  });

  it("reads commands from shell blocks and inline code, split at && and without comments", () => {
    const text = [
      "Run `pnpm lint` / `pnpm format`, or:",
      "```sh",
      "$ npx -y pnpm@10.34.9 install && npx -y pnpm@10.34.9 demo  # all of them",
      "```",
      "```",
      "packages/<name>/   not a shell block",
      "```",
    ].join("\n");
    expect(shellCommands(text)).toEqual([
      "pnpm lint",
      "pnpm format",
      "npx -y pnpm@10.34.9 install",
      "npx -y pnpm@10.34.9 demo",
    ]);
    expect(pnpmInvocation("pnpm bench [package]")).toEqual({ word: "bench", args: [] });
    expect(pnpmInvocation("pnpm demo <example>")).toEqual({ word: "demo", args: ["example"] });
    expect(pnpmInvocation("npx -y pnpm@10.34.9 test")).toEqual({ word: "test", args: [] });
    expect(pnpmInvocation("pnpm@10.34.9")).toBeUndefined();
    expect(pnpmInvocation("npm install")).toBeUndefined();
  });
});

describe("pnpm commands in the Markdown reach the script they name", { tags: ["slow"] }, () => {
  const commands = commandsBy((command) => pnpmInvocation(command) !== undefined);
  // A stand-in project with the root's script names, each printing its own name and arguments:
  // what runs is decided by pnpm's own parsing, exactly as for a reader.
  let stub: string;
  beforeAll(() => {
    stub = mkdtempSync(join(tmpdir(), "tinkerbox-readme-stub-"));
    const scripts = Object.fromEntries(
      Object.keys(rootScripts).map((name) => [
        name,
        `node -e "console.log('STUB-SCRIPT ${name}', JSON.stringify(process.argv.slice(1)))" --`,
      ]),
    );
    writeFileSync(
      join(stub, "package.json"),
      `${JSON.stringify({ name: "tinkerbox-readme-stub", private: true, scripts }, null, 2)}\n`,
    );
  });
  afterAll(() => {
    if (stub) rmSync(stub, { recursive: true, force: true });
  });

  it("finds the README's commands", () => {
    // The root README's two commands and its everyday ones are all read.
    expect([...commands.keys()]).toEqual(
      expect.arrayContaining([
        "npx -y pnpm@10.34.9 demo",
        "npx -y pnpm@10.34.9 test",
        "pnpm build",
      ]),
    );
  });

  const entries = [...commands.entries()].map(([command, where]) => ({
    command,
    where: [...new Set(where)].join(", "),
    ...pnpmInvocation(command)!,
  }));
  const builtins = entries.filter((entry) => pnpmBuiltins.has(entry.word));
  const filtered = entries.filter((entry) => /^(--filter|-F)$/.test(entry.word));
  const scripts = entries.filter((entry) => !builtins.includes(entry) && !filtered.includes(entry));

  // Commands that differ only in their plain arguments (`pnpm demo spark-etl-local`, `pnpm demo
  // <example>`) reach pnpm the same way: each shape runs once, with every command of that shape
  // checked to name a root script. Flags stay as written (`pnpm test --help` could be pnpm's).
  const shape = ({ word, args }: (typeof entries)[number]) =>
    [word, ...args.map((arg) => (arg.startsWith("-") ? arg : "<arg>"))].join(" ");
  const shapes = new Map<string, (typeof entries)[number][]>();
  for (const entry of scripts)
    shapes.set(shape(entry), [...(shapes.get(shape(entry)) ?? []), entry]);

  // The command as a reader types it, with placeholders filled in (`<example>` → `example`) and
  // optional arguments left out; `npx -y pnpm@10.34.9` is the same pnpm as the shim's.
  async function reaches(same: (typeof entries)[number][]) {
    for (const { command, where, word, args } of same) {
      const script = word === "run" ? args[0]! : word;
      expect(Object.keys(rootScripts), `${where}: \`${command}\` names no root script`).toContain(
        script,
      );
    }
    const { command, where, word, args } = same[0]!;
    const script = word === "run" ? args[0]! : word;
    const scriptArgs = word === "run" ? args.slice(1) : args;
    const typed = ["pnpm", word, ...args.map(shellQuote)].join(" ");
    const { code, output } = await sh(typed, stub, cleanEnv(shimDir), 60_000);
    expect(output, `${where}: \`${command}\` did not run the ${script} script`).toContain(
      `STUB-SCRIPT ${script} ${JSON.stringify(scriptArgs)}`,
    );
    expect(code).toBe(0);
  }

  for (const [key, same] of shapes) {
    const commandsText = same.map((entry) => `\`${entry.command}\` (${entry.where})`).join("; ");
    const wrong = knownWrong.get(same[0]!.command);
    if (wrong)
      it.fails(
        `pnpm ${key} is still wrong (delete it from knownWrong once fixed): ${wrong}`,
        () => reaches(same),
        90_000,
      );
    else it(`pnpm ${key}: ${commandsText}`, () => reaches(same), 90_000);
  }

  it.each(builtins)("`$command` ($where) is pnpm's own command", ({ command, where, word }) => {
    expect(rootScripts, `${where}: \`${command}\` is meant as pnpm's own`).not.toHaveProperty(word);
  });

  it.each(filtered)(
    "`$command` ($where) names a package and its script",
    ({ command, where, args }) => {
      const [name, first, second] = args;
      const script = first === "run" ? second : first;
      const dirs = ["packages", "examples"].flatMap((group) =>
        readdirSync(join(repoRoot, group)).map((dir) => join(repoRoot, group, dir)),
      );
      const manifests = dirs.map(
        (dir) =>
          JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
            name: string;
            scripts?: Record<string, string>;
          },
      );
      const pkg = manifests.find((manifest) => manifest.name === name);
      expect(pkg, `${where}: \`${command}\`: no package ${name}`).toBeDefined();
      expect(Object.keys(pkg?.scripts ?? {}), `${where}: \`${command}\``).toContain(script);
    },
  );
});

describe("node and bash commands in the Markdown name files that exist", () => {
  const commands = commandsBy((command) =>
    /^(node|bash|sh)\s+[\w./-]+\.(m?js|ts|sh)\b|^bash\s+\.ci\//.test(command),
  );

  it("finds the README's scaffolding and CI commands", () => {
    expect([...commands.keys()]).toEqual(
      expect.arrayContaining([
        'node scripts/new-package.mjs <name> "<one-line description>"',
        "bash .ci/run",
      ]),
    );
  });

  it.each([...commands.entries()])("`%s` (%s)", (command, where) => {
    const file = command.split(/\s+/)[1]!;
    expect(existsSync(join(repoRoot, file)), `${where.join(", ")}: ${file} does not exist`).toBe(
      true,
    );
  });
});

const blocks = files.flatMap(({ file, text }) =>
  runnableBlocks(text).map((block) => ({ ...block, file })),
);

describe("blocks marked <!-- runnable --> run as written", { tags: ["slow"] }, () => {
  beforeAll(ensureBuilt, 300_000);

  it("the root README marks at least one block", () => {
    expect(blocks.map((block) => block.file)).toContain("README.md");
  });

  it.each(blocks.map((block) => [`${block.file}:${block.line}`, block] as const))(
    "%s",
    async (_, block) => {
      const cwd = join(repoRoot, block.cwd);
      expect(existsSync(cwd), `cwd=${block.cwd} does not exist`).toBe(true);
      expect(relative(repoRoot, cwd).startsWith("..")).toBe(false);
      const { code, output } = await sh(block.script, cwd, cleanEnv(shimDir), 120_000);
      expect(code, `${block.file}:${block.line} exited ${code}:\n${output}`).toBe(0);
    },
    150_000,
  );
});
