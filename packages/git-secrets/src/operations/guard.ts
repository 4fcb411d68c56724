import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import { defaultCommand } from "../adapters/filter-config.js";
import { type GitOptions, readBlobs, runGit, splitNul } from "../adapters/git.js";
import { isEncryptedBlob } from "../core/codec.js";
import {
  type DetectOptions,
  findSecrets,
  rulesFor,
  type SecretFinding,
  type SecretRule,
} from "../core/detectors.js";
import { parseFilterName } from "../core/filter-name.js";
import { GitSecretsError } from "../errors.js";
import { type CommandOptions, gitOptions, openRepo, type RepoOptions } from "./context.js";
import { scanFiles } from "./scan.js";

/** Options of {@link guard} and {@link scan}. */
export interface GuardOptions extends RepoOptions, DetectOptions {}

/** What {@link guard} found in the staged changes. */
export interface GuardResult {
  /** True when the commit may go ahead. */
  ok: boolean;
  /** Staged files that an attribute marks encrypted but whose staged blob is plaintext. */
  plaintext: string[];
  /** Likely secrets in the staged content of files that are not encrypted. */
  findings: SecretFinding[];
  /** Staged files examined. */
  files: number;
}

/** The repository's own patterns (`git config --add git-seal.guard.pattern …`, `…allowed`), one git process. */
async function configuredPatterns(
  dir: string,
  git: GitOptions,
): Promise<{ patterns: string[]; allowed: string[] }> {
  const { stdout, code } = await runGit(
    dir,
    ["config", "-z", "--get-regexp", "^git-seal\\.guard\\.(pattern|allowed)$"],
    { ...git, allowFailure: true },
  );
  const patterns: string[] = [];
  const allowed: string[] = [];
  if (code !== 0) return { patterns, allowed }; // 1: none set
  for (const record of splitNul(stdout)) {
    const newline = record.indexOf("\n");
    if (newline < 0) continue; // a key without a value (`[git-seal "guard"] pattern`)
    const name = record.slice(0, newline).toLowerCase();
    (name === "git-seal.guard.pattern" ? patterns : allowed).push(record.slice(newline + 1));
  }
  return { patterns, allowed };
}

async function detection(
  dir: string,
  options: GuardOptions,
): Promise<{ rules: SecretRule[]; allowed: RegExp[] }> {
  const configured = await configuredPatterns(dir, gitOptions(options));
  const rules = rulesFor({
    ...options,
    extraPatterns: [...(options.extraPatterns ?? []), ...configured.patterns],
  });
  const allowed = [...(options.allowed ?? []), ...configured.allowed].map((a) => new RegExp(a));
  return { rules, allowed };
}

/**
 * The staged additions and modifications, with their blob ids, from one `git diff --cached
 * --raw` (which, unlike diff-index, also answers before the first commit, against the empty
 * tree). Paths are relative to the top of the work tree wherever git runs (`diff.relative` is
 * overridden). Submodules and symbolic links are left out: git never filters them.
 */
async function stagedBlobs(
  dir: string,
  git: GitOptions,
): Promise<{ files: number; blobs: { path: string; oid: string }[] }> {
  const result = await runGit(
    dir,
    [
      "-c",
      "diff.relative=false",
      "diff",
      "--cached",
      "--raw",
      "--no-abbrev", // porcelain diff shortens object ids otherwise
      "-z",
      "--no-color",
      "--no-ext-diff",
      "--diff-filter=ACMRT",
      "--no-renames",
      "--",
    ],
    git,
  );
  const staged: { path: string; oid: string }[] = [];
  const fields = splitNul(result.stdout);
  for (let i = 0; i + 1 < fields.length; i += 2) {
    // ":<old mode> <new mode> <old oid> <new oid> <status>", then the path.
    const [, mode, , oid] = (fields[i] as string).split(" ");
    if (!oid || mode === "160000" || mode === "120000") continue;
    staged.push({ path: fields[i + 1] as string, oid });
  }
  return { files: Math.floor(fields.length / 2), blobs: staged };
}

/**
 * The pre-commit check: blocks a commit in which a file an attribute marks encrypted would be
 * stored as plaintext (the filter was not configured, or the repository is locked), or in
 * which the staged content of another file holds a likely secret. Reads only staged blobs,
 * with five git processes however many files are staged (rev-parse, config and diff at once,
 * then check-attr and one cat-file --batch at once), before the first commit too.
 */
export async function guard(options: GuardOptions = {}): Promise<GuardResult> {
  const dir = options.dir ?? process.cwd();
  const git = gitOptions(options);
  // diff and config need no work-tree top: they start with rev-parse, not after it.
  const [repo, { files, blobs: staged }, detect] = await Promise.all([
    openRepo(options),
    stagedBlobs(dir, git),
    detection(dir, options),
  ]);
  const [attrs, blobs] = await Promise.all([
    staged.length === 0
      ? undefined
      : runGit(repo.top, ["check-attr", "-z", "--stdin", "filter"], {
          ...repo.git,
          input: `${staged.map((f) => f.path).join("\0")}\0`,
        }),
    readBlobs(
      repo.top,
      repo.git,
      staged.map((f) => f.oid),
    ),
  ]);
  const filterOf = new Map<string, string>();
  const fields = attrs ? splitNul(attrs.stdout) : [];
  for (let i = 0; i + 2 < fields.length; i += 3) {
    filterOf.set(fields[i] as string, fields[i + 2] as string);
  }
  const plaintext: string[] = [];
  const findings: SecretFinding[] = [];
  for (const file of staged) {
    const blob = blobs.get(file.oid);
    if (!blob) continue;
    if (parseFilterName(filterOf.get(file.path) ?? "")) {
      // Encrypted files may hold secrets (that is what they are for), but not as plaintext.
      if (!isEncryptedBlob(blob)) plaintext.push(file.path);
      continue;
    }
    if (isEncryptedBlob(blob)) continue;
    findings.push(...findSecrets(blob, file.path, detect.rules, detect.allowed));
  }
  return {
    ok: plaintext.length === 0 && findings.length === 0,
    plaintext: plaintext.sort(),
    findings,
    files,
  };
}

const HOOK_MARK = "# git-seal leak guard";

/** Options of {@link installGuard}. */
export interface InstallGuardOptions extends RepoOptions, CommandOptions {
  /**
   * Replace a pre-commit hook that git-seal did not write.
   * @defaultValue `false` (refuse with `ALREADY_INITIALIZED`)
   */
  force?: boolean | undefined;
}

/** Writes the pre-commit hook (`git rev-parse --git-path hooks/pre-commit`, so `core.hooksPath` is honoured). */
export async function installGuard(options: InstallGuardOptions = {}): Promise<{ path: string }> {
  const repo = await openRepo(options);
  const { stdout } = await runGit(
    repo.top,
    ["rev-parse", "--git-path", "hooks/pre-commit"],
    repo.git,
  );
  const relative = stdout.toString("utf8").trim();
  const path = isAbsolute(relative) ? relative : join(repo.top, relative);
  if (existsSync(path) && !options.force) {
    const existing = await readFile(path, "utf8");
    if (!existing.includes(HOOK_MARK)) {
      throw new GitSecretsError(
        "ALREADY_INITIALIZED",
        `${path} is a pre-commit hook git-seal did not write; add "git-seal guard" to it, or force`,
        { path },
      );
    }
  }
  const command = options.command ?? defaultCommand();
  await mkdir(dirname(path), { recursive: true });
  await writeFile(
    path,
    `#!/bin/sh\n${HOOK_MARK} (git-seal guard install). Bypass once: git commit --no-verify\nexec ${command} guard\n`,
  );
  await chmod(path, 0o755);
  return { path };
}

/** Work-tree files being read while `scan` searches the current one. */
const READ_AHEAD = 8;

/** Options of {@link scan}. */
export interface ScanOptions extends GuardOptions {
  /**
   * Every blob reachable from any ref (`git rev-list --all --objects`) instead of the work tree.
   * @defaultValue `false`
   */
  history?: boolean | undefined;
}

/** What {@link scan} found. */
export interface ScanResult {
  findings: (SecretFinding & { blob?: string | undefined })[];
  /** Files (work tree) or blobs (history) read. */
  scanned: number;
  /** Bytes read. */
  bytes: number;
  /** How to get rid of what was found, for people. */
  advice: string[];
}

/**
 * Finds likely secrets in the work tree (tracked and untracked files, ignored ones left out,
 * files marked encrypted skipped) or in every blob of the history. Encrypted blobs are skipped.
 */
export async function scan(options: ScanOptions = {}): Promise<ScanResult> {
  const [repo, detect] = await Promise.all([
    openRepo(options),
    detection(options.dir ?? process.cwd(), options),
  ]);
  const findings: ScanResult["findings"] = [];
  let scanned = 0;
  let bytes = 0;
  if (options.history) {
    const { stdout } = await runGit(
      repo.top,
      ["rev-list", "--all", "--objects", "--no-object-names"],
      repo.git,
    );
    const oids = stdout.toString("latin1").split("\n").filter(Boolean);
    const named = await runGit(repo.top, ["rev-list", "--all", "--objects"], repo.git);
    const pathOf = new Map<string, string>();
    for (const line of named.stdout.toString("utf8").split("\n")) {
      const space = line.indexOf(" ");
      if (space > 0 && !pathOf.has(line.slice(0, space)))
        pathOf.set(line.slice(0, space), line.slice(space + 1));
    }
    const types = await runGit(
      repo.top,
      ["cat-file", "--batch-check=%(objectname) %(objecttype)"],
      {
        ...repo.git,
        input: `${oids.join("\n")}\n`,
      },
    );
    const blobsOnly = types.stdout
      .toString("latin1")
      .split("\n")
      .filter((l) => l.endsWith(" blob"))
      .map((l) => l.slice(0, l.indexOf(" ")));
    const blobs = await readBlobs(repo.top, repo.git, blobsOnly);
    for (const [oid, blob] of blobs) {
      scanned++;
      bytes += blob.length;
      if (isEncryptedBlob(blob)) continue;
      for (const f of findSecrets(blob, pathOf.get(oid) ?? oid, detect.rules, detect.allowed)) {
        findings.push({ ...f, blob: oid });
      }
    }
  } else {
    const infos = await scanFiles(repo.top, repo, repo.git, { untracked: true });
    const paths = infos.filter((f) => f.filterName === undefined).map((f) => f.path);
    // Reads run ahead of the search, a few at a time: one file after another, each read's
    // open/stat/read/close round trips through the thread pool would leave the CPU idle.
    const read = (path: string) => readFile(join(repo.top, path)).catch(() => undefined);
    const ahead: (Promise<Buffer | undefined> | undefined)[] = paths.slice(0, READ_AHEAD).map(read);
    for (let i = 0; i < paths.length; i++) {
      const data = await ahead[i];
      ahead[i] = undefined;
      const later = paths[i + READ_AHEAD];
      if (later !== undefined) ahead[i + READ_AHEAD] = read(later);
      if (data === undefined) continue; // deleted in the work tree
      scanned++;
      bytes += data.length;
      findings.push(...findSecrets(data, paths[i] as string, detect.rules, detect.allowed));
    }
  }
  const advice: string[] = [];
  if (findings.length > 0) {
    const paths = [...new Set(findings.map((f) => f.path))];
    advice.push(
      "Revoke or change every secret found first: a pushed secret must be considered known.",
    );
    if (options.history) {
      advice.push(
        `Then rewrite history without them, e.g. git filter-repo --invert-paths ${paths.map((p) => `--path '${p}'`).join(" ")} (or --replace-text a file listing the values), force-push, and have everyone re-clone.`,
      );
    } else {
      advice.push(
        "Move the values into a file .gitattributes marks encrypted (filter=git-seal), or add git-seal:allow to a line that is not a secret.",
      );
    }
  }
  return { findings, scanned, bytes, advice };
}
