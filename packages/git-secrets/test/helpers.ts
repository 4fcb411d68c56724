import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { shellQuote } from "../src/index.js";

export const PKG = resolve(import.meta.dirname, "..");
export const FIXTURES = join(PKG, "test", "fixtures");
const CLI = join(PKG, "src", "cli.ts");

/**
 * The CLI git runs in tests: src/cli.ts bundled once per test process by tsup (the same
 * bundler as the published build) into packages/git-secrets/node_modules/.cache, so its
 * dependencies resolve as they do when installed, and every git command starts a plain node
 * instead of paying tsx's transpiling start-up. Call {@link prepareCli} in `beforeAll`.
 */
export let CLI_ARGS: string[] = [];
export let CLI_COMMAND = "";
let prepared: Promise<void> | undefined;
let cliDir: string | undefined;

export function prepareCli(): Promise<void> {
  prepared ??= (async () => {
    const outDir = mkdtempSync(join(PKG, "node_modules", ".cache-git-seal-test-"));
    cliDir = outDir;
    process.on("exit", () => rmSync(outDir, { recursive: true, force: true }));
    const { build } = await import("tsup");
    await build({
      entry: { cli: CLI },
      outDir,
      format: ["esm"],
      platform: "node",
      target: "node20",
      dts: false,
      sourcemap: false,
      splitting: false,
      shims: true,
      silent: true,
      config: false,
      external: ["libsodium-wrappers-sumo", "isomorphic-git", "yaml"],
      outExtension: () => ({ js: ".mjs" }),
    });
    CLI_ARGS = [join(outDir, "cli.mjs")];
    CLI_COMMAND = [process.execPath, ...CLI_ARGS].map(shellQuote).join(" ");
  })();
  return prepared;
}

/**
 * A temporary HOME with its own global git config, so the machine's config never matters.
 * Child processes (git, git-crypt, the CLI) inherit it through process.env.
 */
export async function sandbox(): Promise<{ root: string; cleanup: () => void }> {
  await prepareCli();
  const root = mkdtempSync(join(tmpdir(), "git-seal-test-"));
  const home = join(root, "home");
  mkdirSync(home);
  const globalConfig = join(home, ".gitconfig");
  writeFileSync(
    globalConfig,
    "[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n",
  );
  Object.assign(process.env, {
    HOME: home,
    GIT_CONFIG_GLOBAL: globalConfig,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
  });
  return {
    root,
    cleanup: () => {
      rmSync(root, { recursive: true, force: true });
      if (cliDir) rmSync(cliDir, { recursive: true, force: true });
    },
  };
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export function gitResult(cwd: string, args: string[], input?: string | Buffer) {
  const r = spawnSync("git", args, { cwd, input, encoding: "buffer" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString("utf8") };
}

/** Runs the git-seal CLI from source. */
export function seal(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [...CLI_ARGS, ...args], {
    cwd,
    env: { ...process.env, ...env },
    encoding: "buffer",
    timeout: 120_000,
  });
  return {
    code: r.status,
    stdout: r.stdout.toString("utf8"),
    stderr: r.stderr.toString("utf8"),
    raw: r.stdout,
  };
}

export function newRepo(root: string, name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  git(dir, "init", "-q");
  return dir;
}

/** Every object in the repository, raw, through one `git cat-file --batch-all-objects --batch`. */
export function allObjects(dir: string): Buffer {
  return execFileSync("git", ["cat-file", "--batch-all-objects", "--batch"], {
    cwd: dir,
    maxBuffer: 1 << 30,
  });
}

/** True when `name` is an executable on PATH (some tools, such as ssh-keygen, have no --version). */
export function hasBinary(name: string): boolean {
  return spawnSync("sh", ["-c", 'command -v "$1" >/dev/null', "sh", name]).status === 0;
}

/**
 * A peer tool that .ci/apt-packages installs: in CI (`CI=true`) its absence is a failure;
 * elsewhere the tests that need it are skipped (`describe.skipIf(!present)`), and vitest
 * counts them as skipped.
 */
export function requireTool(name: string): boolean {
  const present = hasBinary(name);
  if (!present && process.env.CI === "true")
    throw new Error(
      `${name} is not installed, but CI must run the tests that drive it (.ci/apt-packages)`,
    );
  return present;
}

export function requireGitCrypt(): boolean {
  return requireTool("git-crypt");
}
