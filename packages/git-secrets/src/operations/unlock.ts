import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { removeFilterConfig } from "../adapters/filter-config.js";
import {
  checkAborted,
  checkGitVersion,
  type GitOptions,
  runGit,
  splitNul,
} from "../adapters/git.js";
import { listStoredKeys, removeStoredKey, type StoredKey } from "../adapters/key-store.js";
import { type Codec, createCodec } from "../core/codec.js";
import { filterName } from "../core/filter-name.js";
import { keyIds, type SealKey } from "../core/keys.js";
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
import { type FileInfo, scanFiles } from "./scan.js";

function blobId(data: Uint8Array, oidLength: number): string {
  const hash = createHash(oidLength === 64 ? "sha256" : "sha1");
  return hash.update(`blob ${data.length}\0`).update(data).digest("hex");
}

/** A codec per filter name, and the tracked files those filters cover, reporting the scan. */
async function trackedFilesUnder(
  repo: Parameters<typeof scanFiles>[1] & { top: string; git: GitOptions },
  keys: ReadonlyArray<readonly [filter: string, key: SealKey]>,
  progress: (event: SealProgressEvent) => void,
): Promise<{ codecs: Map<string, Codec>; files: FileInfo[] }> {
  const codecs = new Map<string, Codec>();
  for (const [filter, key] of keys) codecs.set(filter, await createCodec(key));
  progress({ phase: "scan", done: 0, total: 0 });
  const files = (await scanFiles(repo.top, repo, repo.git)).filter(
    (f) => f.filterName !== undefined && codecs.has(f.filterName) && f.staged !== "untracked",
  );
  progress({ phase: "scan", done: files.length, total: files.length });
  return { codecs, files };
}

/**
 * Encrypted files with uncommitted changes: staged (index ≠ HEAD) or in the work tree. A
 * work-tree file counts as unchanged when it is the staged blob itself (ciphertext, locked)
 * or seals to it (plaintext, unlocked) — deterministic encryption makes the second test
 * possible without relying on whichever filter configuration is in place.
 */
async function changedFiles(
  top: string,
  git: GitOptions,
  files: readonly FileInfo[],
  codecs: ReadonlyMap<string, Codec>,
): Promise<string[]> {
  if (files.length === 0) return [];
  const byPath = new Map(files.map((f) => [f.path, f]));
  const changed = new Set<string>();
  const head = await runGit(top, ["rev-parse", "--verify", "-q", "HEAD"], {
    ...git,
    allowFailure: true,
  });
  if (head.code === 0) {
    const staged = await runGit(
      top,
      ["diff-index", "--cached", "--name-only", "-z", "--no-renames", "HEAD", "--"],
      git,
    );
    for (const path of splitNul(staged.stdout)) if (byPath.has(path)) changed.add(path);
  }
  // Every file is compared here rather than through git diff-files, whose answer would
  // depend on the filter configuration being changed right now.
  for (const [path, file] of byPath) {
    if (!file.oid || changed.has(path)) continue;
    let content: Uint8Array;
    try {
      content = new Uint8Array(readFileSync(join(top, path)));
    } catch {
      changed.add(path); // deleted in the work tree
      continue;
    }
    if (blobId(content, file.oid.length) === file.oid) continue;
    const codec = file.filterName ? codecs.get(file.filterName) : undefined;
    if (codec && blobId(codec.seal(content), file.oid.length) === file.oid) continue;
    changed.add(path);
  }
  return files.map((f) => f.path).filter((p) => changed.has(p));
}

/**
 * Rewrites `paths` from the index through whatever filter is configured now. The files are
 * removed first because git skips entries whose stat data says they are up to date.
 */
async function recheckout(top: string, git: GitOptions, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  // Once files are removed they must come back: this step is not interruptible (the signal
  // is checked before it, never during it).
  const { signal: _ignored, ...uninterrupted } = git;
  // Synchronous on purpose: thousands of tiny unlinks are faster without the thread pool.
  for (const path of paths) rmSync(join(top, path), { force: true });
  await runGit(top, ["checkout-index", "-u", "-z", "--stdin"], {
    ...uninterrupted,
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

/**
 * Refuses a key that does not open the repository's blobs, before anything is written: a
 * git-seal blob names its key id; a git-crypt blob is test-decrypted (it carries no id).
 */
async function checkKeyFits(
  top: string,
  git: GitOptions,
  key: SealKey,
  files: FileInfo[],
): Promise<void> {
  const ids = keyIds(key);
  const sample = files.find((f) => f.staged === "encrypted");
  if (!sample?.oid) return;
  if (sample.blobKeyId !== undefined) {
    if (!ids.includes(sample.blobKeyId)) {
      throw new GitSecretsError(
        "WRONG_KEY",
        `${sample.path} is sealed with key ${sample.blobKeyId}, but the key given is ${ids.join(", ")}`,
        { path: sample.path, foundKeyId: sample.blobKeyId, expectedKeyIds: ids },
      );
    }
    return;
  }
  const { stdout } = await runGit(top, ["cat-file", "blob", sample.oid], git);
  try {
    (await createCodec(key)).open(new Uint8Array(stdout), sample.path);
  } catch (cause) {
    throw new GitSecretsError(
      "WRONG_KEY",
      `the ${key.format} key ${ids.join(", ")} does not decrypt ${sample.path}: it is not the key this repository was encrypted with`,
      { cause, path: sample.path, expectedKeyIds: ids },
    );
  }
}

/** Options of {@link unlock}. */
export interface UnlockOptions extends RepoOptions, CommandOptions, KeySource {
  /**
   * Store the key under this name instead of the one in the key file; without a key source,
   * unlock only this stored key.
   * @defaultValue the key file's name, else `"default"`; without a key source every stored key
   */
  keyName?: string | undefined;
  /**
   * Overwrite uncommitted changes to encrypted files.
   * @defaultValue `false` (refuse with `UNCOMMITTED_CHANGES`)
   */
  force?: boolean | undefined;
  /**
   * Called as each phase starts and ends; `done`/`total` count encrypted files.
   * @defaultValue none
   */
  onProgress?: ((event: SealProgressEvent) => void) | undefined;
}

/** Progress of {@link unlock} and {@link lock}. */
export interface SealProgressEvent {
  /** `scan`: listing encrypted files; `verify`: key and uncommitted-change checks; `checkout`: rewriting them. */
  phase: "scan" | "verify" | "checkout";
  done: number;
  total: number;
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
  const targets: { filter: string; key: SealKey; bytes?: Uint8Array; stored?: StoredKey }[] = [];
  if (options.key || options.keyFile) {
    const { key, bytes } = await loadKey(options);
    const name = options.keyName ?? key.name ?? "default";
    targets.push({ filter: filterName(key.format, name), key, bytes });
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
    for (const s of stored) targets.push({ filter: s.filterName, key: s.key, stored: s });
  }
  const progress = options.onProgress ?? (() => {});
  const { codecs, files } = await trackedFilesUnder(
    repo,
    targets.map((t) => [t.filter, t.key]),
    progress,
  );
  progress({ phase: "verify", done: 0, total: files.length });
  for (const target of targets) {
    await checkKeyFits(
      repo.top,
      repo.git,
      target.key,
      files.filter((f) => f.filterName === target.filter),
    );
  }
  if (!options.force)
    refuseChanges(await changedFiles(repo.top, repo.git, files, codecs), "unlock");
  progress({ phase: "verify", done: files.length, total: files.length });
  checkAborted(options.signal);

  const keys: KeyInfo[] = [];
  for (const target of targets) {
    if (target.bytes) {
      keys.push(
        await importKey({
          ...options,
          dir: repo.top,
          key: target.bytes,
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
  const paths = files.map((f) => f.path);
  progress({ phase: "checkout", done: 0, total: paths.length });
  await recheckout(repo.top, repo.git, paths);
  progress({ phase: "checkout", done: paths.length, total: paths.length });
  return { keys, files: paths };
}

/** Options of {@link lock}. */
export interface LockOptions extends RepoOptions {
  /**
   * Which key to lock.
   * @defaultValue the only stored key, else `"default"`
   */
  keyName?: string | undefined;
  /**
   * Lock every stored key.
   * @defaultValue `false`
   */
  all?: boolean | undefined;
  /**
   * Lock even when the work tree has uncommitted changes (changes to encrypted files are lost).
   * @defaultValue `false` (refuse with `UNCOMMITTED_CHANGES`)
   */
  force?: boolean | undefined;
  /**
   * Called as each phase starts and ends; `done`/`total` count encrypted files.
   * @defaultValue none
   */
  onProgress?: ((event: SealProgressEvent) => void) | undefined;
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
  if (chosen.length === 0) {
    throw new GitSecretsError(
      "KEY_NOT_FOUND",
      "no key is stored: the repository is already locked",
    );
  }
  const progress = options.onProgress ?? (() => {});
  const { codecs, files } = await trackedFilesUnder(
    repo,
    chosen.map((k) => [k.filterName, k.key]),
    progress,
  );
  progress({ phase: "verify", done: 0, total: files.length });
  if (!options.force) refuseChanges(await changedFiles(repo.top, repo.git, files, codecs), "lock");
  progress({ phase: "verify", done: files.length, total: files.length });
  checkAborted(options.signal);
  for (const key of chosen) await removeFilterConfig(repo.top, key.filterName, repo.git);
  const paths = files.map((f) => f.path);
  progress({ phase: "checkout", done: 0, total: paths.length });
  await recheckout(repo.top, repo.git, paths);
  progress({ phase: "checkout", done: paths.length, total: paths.length });
  // The key goes last: if anything above failed, the repository can still be unlocked.
  for (const key of chosen) await removeStoredKey(repo.gitDir, key.format, key.keyName);
  return { keyNames: chosen.map((k) => k.keyName), files: paths };
}
