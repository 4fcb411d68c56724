import { checkFilterConfig, defaultCommand } from "../adapters/filter-config.js";
import { repoPaths, runGit } from "../adapters/git.js";
import { listStoredKeys } from "../adapters/key-store.js";
import { GitSecretsError } from "../errors.js";
import { type CommandOptions, gitOptions, type RepoOptions } from "./context.js";
import { type FileInfo, scanFiles } from "./scan.js";

/** One file as `status` reports it. */
export interface StatusEntry {
  path: string;
  /** True when a git-seal/git-crypt filter attribute matches it. */
  encrypted: boolean;
  keyName: string | undefined;
  filterName: string | undefined;
  staged: FileInfo["staged"];
  /** True for a file that should be encrypted but whose staged blob is plaintext. */
  problem: boolean;
}

/** Options of {@link status}. */
export interface StatusOptions extends RepoOptions, CommandOptions {
  /**
   * Only files that should be encrypted (`-e`) or only the others (`-u`).
   * @defaultValue every file
   */
  only?: "encrypted" | "unencrypted" | undefined;
  /**
   * Re-stage the files that should be encrypted but are stored in plaintext (`-f`).
   * @defaultValue `false`
   */
  fix?: boolean | undefined;
}

/** What {@link status} found. */
export interface StatusResult {
  files: StatusEntry[];
  /** Files that should be encrypted but whose staged blob is plaintext (after `fix`: those still so). */
  problems: string[];
  /** Files `fix` re-staged encrypted; commit them. Older commits still hold their plaintext. */
  fixed: string[];
}

/**
 * Which files are encrypted and which are not, flagging files whose staged blob is plaintext
 * although an attribute says it should be encrypted (committed before the attribute was set,
 * or added while the filter was not configured).
 */
export async function status(options: StatusOptions = {}): Promise<StatusResult> {
  const git = gitOptions(options);
  const start = options.dir ?? process.cwd();
  const command = options.command ?? defaultCommand();
  const scan = { untracked: true, cache: true };
  // Locating the repository, checking the configuration and scanning run side by side; the
  // first failure in that order wins.
  const located = repoPaths(start, git);
  const [where, keys, scanned] = await Promise.allSettled([
    located,
    located.then(async ({ top, gitDir, worktreeGitDir }) => {
      const found = await listStoredKeys(gitDir, worktreeGitDir);
      for (const key of found) await checkFilterConfig(top, key.filterName, command, git);
      return found;
    }),
    scanFiles(start, located, git, scan),
  ]);
  if (where.status === "rejected") throw where.reason;
  if (keys.status === "rejected") throw keys.reason;
  if (scanned.status === "rejected") throw scanned.reason;
  const repo = { ...where.value, git };
  const stored = keys.value;
  let infos = scanned.value;
  const problemsOf = (list: FileInfo[]) =>
    list.filter((f) => f.filterName !== undefined && f.staged === "plaintext").map((f) => f.path);
  let fixed: string[] = [];
  if (options.fix) {
    const broken = problemsOf(infos);
    if (broken.length > 0) {
      const have = new Set(stored.map((k) => k.filterName));
      const missing = infos.filter(
        (f) => broken.includes(f.path) && !have.has(f.filterName as string),
      );
      if (missing.length > 0) {
        throw new GitSecretsError(
          "KEY_NOT_FOUND",
          `cannot fix ${missing.map((f) => f.path).join(", ")}: key ${missing[0]?.filterName} is not unlocked`,
          { paths: missing.map((f) => f.path) },
        );
      }
      await runGit(
        repo.top,
        ["add", "--renormalize", "--pathspec-from-file=-", "--pathspec-file-nul"],
        {
          ...repo.git,
          input: `${broken.join("\0")}\0`,
        },
      );
      infos = await scanFiles(repo.top, repo, git, scan);
      const still = new Set(problemsOf(infos));
      fixed = broken.filter((p) => !still.has(p));
    }
  }
  const files = infos
    .map((f) => ({
      path: f.path,
      encrypted: f.filterName !== undefined,
      keyName: f.keyName,
      filterName: f.filterName,
      staged: f.staged,
      problem: f.filterName !== undefined && f.staged === "plaintext",
    }))
    .filter((f) =>
      options.only === "encrypted"
        ? f.encrypted
        : options.only === "unencrypted"
          ? !f.encrypted
          : true,
    );
  return { files, problems: problemsOf(infos), fixed };
}

/** One encrypted file as `ls` reports it. */
export interface ListEntry {
  path: string;
  keyName: string;
  filterName: string;
  format: "git-seal" | "git-crypt";
  staged: FileInfo["staged"];
  /** For a staged git-seal blob, the key id in its header. */
  keyId: string | undefined;
}

/** Which files are encrypted (by attribute) and under which key. Works locked or unlocked. */
export async function ls(options: RepoOptions = {}): Promise<ListEntry[]> {
  const git = gitOptions(options);
  const start = options.dir ?? process.cwd();
  const located = repoPaths(start, git);
  const [where, scanned] = await Promise.allSettled([
    located,
    scanFiles(start, located, git, { untracked: true, cache: true }),
  ]);
  if (where.status === "rejected") throw where.reason;
  if (scanned.status === "rejected") throw scanned.reason;
  const infos = scanned.value;
  return infos
    .filter((f) => f.filterName !== undefined)
    .map((f) => ({
      path: f.path,
      keyName: f.keyName as string,
      filterName: f.filterName as string,
      format: f.format as "git-seal" | "git-crypt",
      staged: f.staged,
      keyId: f.blobKeyId,
    }));
}
