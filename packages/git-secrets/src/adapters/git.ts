import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { GitSecretsError } from "../errors.js";

/** How to run git: the binary (default `git` on PATH) and extra environment. */
export interface GitOptions {
  /**
   * The git executable.
   * @defaultValue `"git"` (from PATH)
   */
  git?: string | undefined;
  /**
   * Extra environment for git (merged over `process.env`).
   * @defaultValue `{}`
   */
  env?: Record<string, string | undefined> | undefined;
  /**
   * Stops the operation: the running git process is killed and the call rejects with `ABORTED`.
   * @defaultValue no signal (runs to the end)
   */
  signal?: AbortSignal | undefined;
}

export interface GitResult {
  stdout: Buffer;
  stderr: string;
  code: number;
}

/**
 * Stages `paths` (changes, additions and deletions) and, when anything among them differs from
 * HEAD, commits exactly those paths with `message`. `afterStage` runs once they are staged (to
 * register an undo). Returns whether a commit was made.
 */
export async function commitPaths(
  top: string,
  paths: readonly string[],
  message: string,
  options: GitOptions,
  afterStage?: () => void,
): Promise<boolean> {
  if (paths.length === 0) return false;
  await runGit(top, ["add", "-A", "--", ...paths], options);
  afterStage?.();
  const staged = await runGit(top, ["diff", "--cached", "--quiet", "--", ...paths], {
    ...options,
    allowFailure: true,
  });
  if (staged.code === 0) return false;
  await runGit(top, ["commit", "-q", "-m", message, "--", ...paths], options);
  return true;
}

/** Runs git in `cwd`; rejects with `GIT_FAILED` on a non-zero exit unless `allowFailure`. */
export function runGit(
  cwd: string,
  args: readonly string[],
  options: GitOptions & { input?: Uint8Array | string; allowFailure?: boolean } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(aborted(args, options.signal.reason));
      return;
    }
    const child = spawn(options.git ?? "git", args, {
      cwd,
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
      signal: options.signal,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.stdin.on("error", () => {});
    child.on("error", (cause) =>
      cause.name === "AbortError"
        ? reject(aborted(args, cause))
        : reject(
            new GitSecretsError(
              "GIT_FAILED",
              `could not run git ${args[0] ?? ""}: ${cause.message}`,
              {
                cause,
              },
            ),
          ),
    );
    child.on("close", (code) => {
      if (options.signal?.aborted) {
        reject(aborted(args, options.signal.reason)); // a no-op when "error" came first
        return;
      }
      const stdout = Buffer.concat(out);
      const stderr = Buffer.concat(err).toString("utf8");
      if (code !== 0 && !options.allowFailure) {
        reject(
          new GitSecretsError(
            "GIT_FAILED",
            `git ${args.join(" ")} failed (exit ${code}): ${stderr.trim()}`,
            {
              stderr,
            },
          ),
        );
        return;
      }
      resolve({ stdout, stderr, code: code ?? -1 });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** Throws `ABORTED` when `signal` has been aborted: called before each step that writes. */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new GitSecretsError("ABORTED", "the operation was aborted", { cause: signal.reason });
  }
}

function aborted(args: readonly string[], cause: unknown): GitSecretsError {
  return new GitSecretsError("ABORTED", `git ${args[0] ?? ""} was aborted`, { cause });
}

/** Parses `git version 2.39.5` (and vendor suffixes such as `.windows.1`). */
export function parseGitVersion(text: string): [number, number, number] {
  const match = /git version (\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!match)
    throw new GitSecretsError(
      "GIT_FAILED",
      `cannot read git's version from ${JSON.stringify(text.trim())}`,
    );
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

/** The oldest git with the long-running filter process protocol (filter.<driver>.process). */
export const MIN_GIT_VERSION: readonly [number, number, number] = [2, 11, 0];

export function versionAtLeast(v: readonly number[], min: readonly number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const a = v[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** Throws `GIT_TOO_OLD` unless git supports the long-running filter protocol. */
export async function checkGitVersion(cwd: string, options: GitOptions = {}): Promise<string> {
  const { stdout } = await runGit(cwd, ["version"], options);
  const text = stdout.toString("utf8").trim();
  const version = parseGitVersion(text);
  if (!versionAtLeast(version, MIN_GIT_VERSION)) {
    throw new GitSecretsError(
      "GIT_TOO_OLD",
      `${text} is too old: git-seal needs git ≥ ${MIN_GIT_VERSION.join(".")} for the long-running filter process protocol`,
    );
  }
  return version.join(".");
}

/** Where a repository's files live. */
export interface RepoPaths {
  /** The top of the work tree. */
  top: string;
  /** The common git directory (shared by worktrees): keys are stored under it. */
  gitDir: string;
  /**
   * This work tree's own git directory (`git rev-parse --git-dir`): the common one in the main
   * work tree, `.git/worktrees/<name>` in a linked one — where git-crypt 0.7 keeps its keys.
   */
  worktreeGitDir: string;
}

export async function repoPaths(dir: string, options: GitOptions = {}): Promise<RepoPaths> {
  const result = await runGit(
    dir,
    ["rev-parse", "--show-toplevel", "--git-common-dir", "--git-dir"],
    {
      ...options,
      allowFailure: true,
    },
  ).catch((cause: unknown) => {
    if (cause instanceof GitSecretsError && cause.code === "ABORTED") throw cause;
    throw new GitSecretsError("NOT_A_REPOSITORY", `${dir} is not a git work tree`, {
      cause,
      path: dir,
    });
  });
  const [top, common, own] = result.stdout.toString("utf8").trim().split("\n");
  if (result.code !== 0 || !top || !common || !own) {
    throw new GitSecretsError(
      "NOT_A_REPOSITORY",
      `${dir} is not inside a git work tree: ${result.stderr.trim()}`,
      { path: dir, stderr: result.stderr },
    );
  }
  // git answers the common dir relative to the directory it ran in.
  return { top, gitDir: resolve(dir, common), worktreeGitDir: resolve(dir, own) };
}

/** The content of every blob in `oids`, read through one `git cat-file --batch`. */
export async function readBlobs(
  top: string,
  git: GitOptions,
  oids: readonly string[],
): Promise<Map<string, Uint8Array>> {
  const blobs = new Map<string, Uint8Array>();
  const unique = [...new Set(oids)];
  if (unique.length === 0) return blobs;
  const { stdout } = await runGit(top, ["cat-file", "--batch"], {
    ...git,
    input: `${unique.join("\n")}\n`,
  });
  let offset = 0;
  while (offset < stdout.length) {
    const newline = stdout.indexOf(0x0a, offset);
    if (newline < 0) break;
    const [oid, type, size] = stdout.toString("latin1", offset, newline).split(" ");
    offset = newline + 1;
    if (type === "missing" || !oid) continue;
    const length = Number(size);
    blobs.set(oid, new Uint8Array(stdout.buffer, stdout.byteOffset + offset, length));
    offset += length + 1;
  }
  return blobs;
}

/** Splits NUL-separated git output. */
export function splitNul(data: Buffer): string[] {
  const text = data.toString("utf8");
  const parts = text.split("\0");
  if (parts[parts.length - 1] === "") parts.pop();
  return parts;
}
