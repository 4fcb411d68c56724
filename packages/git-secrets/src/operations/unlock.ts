import { rm } from "node:fs/promises";
import { join } from "node:path";
import { removeFilterConfig } from "../adapters/filter-config.js";
import { checkGitVersion, type GitOptions, runGit, splitNul } from "../adapters/git.js";
import { listStoredKeys, removeStoredKey, type StoredKey } from "../adapters/key-store.js";
import { filterName } from "../core/filter-name.js";
import { keyIds } from "../core/keys.js";
import { GitSecretsError } from "../errors.js";
import { type CommandOptions, openRepo, type RepoOptions } from "./context.js";
import {
  configure,
  findStoredKey,
  importKey,
  type KeyInfo,
  type KeySource,
  loadKey,
} from "./keys.js";
import { scanFiles } from "./scan.js";

/** Tracked files (among `paths`) whose work-tree or index state differs from HEAD. */
async function changedFiles(
  top: string,
  git: GitOptions,
  paths: readonly string[],
): Promise<string[]> {
  if (paths.length === 0) return [];
  const wanted = new Set(paths);
  const { stdout } = await runGit(
    top,
    ["status", "--porcelain=v1", "-z", "--untracked-files=no"],
    git,
  );
  const records = splitNul(stdout);
  const changed: string[] = [];
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as string;
    const xy = record.slice(0, 2);
    const path = record.slice(3);
    if (xy[0] === "R" || xy[0] === "C") i++; // the original path follows
    if (wanted.has(path)) changed.push(path);
  }
  return changed;
}

/**
 * Rewrites `paths` from the index through whatever filter is configured now. The files are
 * removed first because git skips entries whose stat data says they are up to date.
 */
async function recheckout(top: string, git: GitOptions, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  for (const path of paths) await rm(join(top, path), { force: true });
  await runGit(top, ["checkout-index", "-u", "-z", "--stdin"], {
    ...git,
    input: `${paths.join("\0")}\0`,
  });
}

function refuseChanges(changed: string[], action: string): void {
  if (changed.length === 0) return;
  const shown =
    changed.slice(0, 10).join(", ") + (changed.length > 10 ? `, … (${changed.length} files)` : "");
  throw new GitSecretsError(
    "UNCOMMITTED_CHANGES",
    `cannot ${action}: encrypted files have uncommitted changes (${shown}); commit or stash them, or force`,
    { paths: changed },
  );
}

/** Options of {@link unlock}. */
export interface UnlockOptions extends RepoOptions, CommandOptions, KeySource {
  /** Store the key under this name instead of the one in the key file; without a key source, unlock only this stored key. */
  keyName?: string | undefined;
  /** Overwrite uncommitted changes to encrypted files. Default: false (refuse). */
  force?: boolean | undefined;
}

/** What {@link unlock} did. */
export interface UnlockResult {
  keys: KeyInfo[];
  /** Files re-checked out as plaintext. */
  files: string[];
}

/**
 * Makes the key available (from a key file, a passphrase-protected one, or the key already
 * stored in .git), writes the filter configuration and re-checks out the encrypted files.
 * Without a key source it refreshes a stale or missing configuration from the stored keys.
 */
export async function unlock(options: UnlockOptions = {}): Promise<UnlockResult> {
  const repo = await openRepo(options);
  await checkGitVersion(repo.top, repo.git);
  const targets: { filter: string; key?: Uint8Array; stored?: StoredKey }[] = [];
  if (options.key || options.keyFile) {
    const { key, bytes } = await loadKey(options);
    const name = options.keyName ?? key.name ?? "default";
    targets.push({ filter: filterName(key.format, name), key: bytes });
  } else {
    const stored = options.keyName
      ? [await findStoredKey(repo.gitDir, options.keyName)]
      : await listStoredKeys(repo.gitDir);
    if (stored.length === 0) {
      throw new GitSecretsError(
        "KEY_NOT_FOUND",
        "no key is stored in this repository: give the key file to unlock with",
      );
    }
    for (const s of stored) targets.push({ filter: s.filterName, stored: s });
  }
  const filters = new Set(targets.map((t) => t.filter));
  const files = (await scanFiles(repo.top, repo.git))
    .filter(
      (f) => f.filterName !== undefined && filters.has(f.filterName) && f.staged !== "untracked",
    )
    .map((f) => f.path);
  if (!options.force) refuseChanges(await changedFiles(repo.top, repo.git, files), "unlock");

  const keys: KeyInfo[] = [];
  for (const target of targets) {
    if (target.key) {
      keys.push(
        await importKey({
          ...options,
          dir: repo.top,
          key: target.key,
          keyFile: undefined,
          passphrase: undefined,
        }),
      );
    } else if (target.stored) {
      const s = target.stored;
      keys.push({
        keyName: s.keyName,
        format: s.format,
        filterName: s.filterName,
        keyIds: keyIds(s.key),
        keyPath: s.path,
      });
    }
    await configure(repo.top, target.filter, options, repo.git);
  }
  await recheckout(repo.top, repo.git, files);
  return { keys, files };
}

/** Options of {@link lock}. */
export interface LockOptions extends RepoOptions {
  /** Which key to lock. Default: the only stored key, else `default`. */
  keyName?: string | undefined;
  /** Lock every stored key. */
  all?: boolean | undefined;
  /** Lock even when encrypted files have uncommitted changes (those changes are lost). */
  force?: boolean | undefined;
}

/** What {@link lock} did. */
export interface LockResult {
  keyNames: string[];
  /** Files returned to ciphertext. */
  files: string[];
}

/**
 * Removes the filter configuration and the stored key, and returns the encrypted files in
 * the work tree to ciphertext. Refuses when they have uncommitted changes unless `force`.
 */
export async function lock(options: LockOptions = {}): Promise<LockResult> {
  const repo = await openRepo(options);
  const chosen = options.all
    ? await listStoredKeys(repo.gitDir)
    : [await findStoredKey(repo.gitDir, options.keyName)];
  if (chosen.length === 0)
    throw new GitSecretsError(
      "KEY_NOT_FOUND",
      "no key is stored: the repository is already locked",
    );
  const filters = new Set(chosen.map((k) => k.filterName));
  const files = (await scanFiles(repo.top, repo.git))
    .filter(
      (f) => f.filterName !== undefined && filters.has(f.filterName) && f.staged !== "untracked",
    )
    .map((f) => f.path);
  if (!options.force) refuseChanges(await changedFiles(repo.top, repo.git, files), "lock");
  for (const key of chosen) await removeFilterConfig(repo.top, key.filterName, repo.git);
  await recheckout(repo.top, repo.git, files);
  // The key goes last: if anything above failed, the repository can still be unlocked.
  for (const key of chosen) await removeStoredKey(repo.gitDir, key.format, key.keyName);
  return { keyNames: chosen.map((k) => k.keyName), files };
}
