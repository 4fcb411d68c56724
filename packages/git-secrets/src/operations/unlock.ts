import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import {
  readFilterConfig,
  readStrict,
  removeFilterConfig,
  writeStrict,
} from "../adapters/filter-config.js";
import { plaintextInEncryptedPath, plaintextWarning } from "../adapters/filter-process.js";
import {
  checkAborted,
  checkGitVersion,
  type GitOptions,
  readBlobs,
  runGit,
  splitNul,
} from "../adapters/git.js";
import { type GpgOptions, openGitCryptGpgKeys } from "../adapters/gpg.js";
import {
  listStoredKeys,
  readStoredKey,
  removeStoredKey,
  type StoredKey,
} from "../adapters/key-store.js";
import { disableRerere, rerereWarnings } from "../adapters/rerere.js";
import { type Codec, createCodec, isEncryptedBlob } from "../core/codec.js";
import { filterName } from "../core/filter-name.js";
import { keyIds, parseKey, type SealKey } from "../core/keys.js";
import { GitSecretsError } from "../errors.js";
import type { Logger } from "../logger.js";
import { uncommittedPaths } from "./clean.js";
import { type CommandOptions, loggerOf, openRepo, type RepoOptions } from "./context.js";
import {
  configure,
  findStoredKey,
  importKey,
  type KeyInfo,
  type KeySource,
  loadKey,
} from "./keys.js";
import {
  defaultIdentityPath,
  type IdentitySource,
  loadIdentity,
  MEMBERS_DIR,
  memberKeys,
} from "./members.js";
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
    // Ciphertext other than the staged blob is a change; plaintext is unchanged if it seals to it.
    if (
      codec &&
      !isEncryptedBlob(content) &&
      blobId(codec.seal(content), file.oid.length) === file.oid
    )
      continue;
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
    `cannot ${action}: ${action === "lock" ? "the work tree has" : "encrypted files have"} uncommitted changes (${shown}); commit or stash them, or force`,
    { paths: changed },
  );
}

/**
 * Opens every encrypted blob the keys cover, in memory, before anything is written: unlock is
 * all or nothing. A key that opens none of them is the wrong key; one that opens some but
 * not others meets tampered or damaged blobs. Plaintext blobs in encrypted paths are refused
 * in strict mode and reported on the logger otherwise.
 */
async function verifyBlobs(
  top: string,
  git: GitOptions,
  files: readonly FileInfo[],
  codecs: ReadonlyMap<string, Codec>,
  strict: boolean,
  logger: Logger,
): Promise<void> {
  const blobs = await readBlobs(
    top,
    git,
    files.flatMap((f) => (f.oid ? [f.oid] : [])),
  );
  const plaintext: string[] = [];
  const failures: { path: string; error: GitSecretsError; filter: string }[] = [];
  const opened = new Map<string, number>();
  for (const file of files) {
    const blob = file.oid ? blobs.get(file.oid) : undefined;
    const codec = file.filterName ? codecs.get(file.filterName) : undefined;
    if (!blob || !codec || !file.filterName) continue;
    if (!isEncryptedBlob(blob)) {
      plaintext.push(file.path);
      continue;
    }
    try {
      codec.open(blob, file.path);
      opened.set(file.filterName, (opened.get(file.filterName) ?? 0) + 1);
    } catch (error) {
      if (!(error instanceof GitSecretsError)) throw error;
      failures.push({ path: file.path, error, filter: file.filterName });
    }
  }
  if (failures.length > 0) {
    const first = failures[0] as (typeof failures)[number];
    const codec = codecs.get(first.filter) as Codec;
    const ids = keyIds(codec.key);
    const shown = failures
      .slice(0, 5)
      .map((f) => f.path)
      .join(", ");
    const more = failures.length > 5 ? `, … (${failures.length} files)` : "";
    const noneOpened = !opened.get(first.filter);
    if (first.error.code === "WRONG_KEY" || (noneOpened && codec.key.format === "git-crypt")) {
      throw new GitSecretsError(
        "WRONG_KEY",
        first.error.foundKeyId
          ? `${first.path} is sealed with key ${first.error.foundKeyId}, but the key given is ${ids.join(", ")}; nothing was changed`
          : `the ${codec.key.format} key ${ids.join(", ")} does not decrypt ${shown}${more}: it is not the key this repository was encrypted with; nothing was changed`,
        {
          cause: first.error,
          path: first.path,
          paths: failures.map((f) => f.path),
          expectedKeyIds: ids,
          ...(first.error.foundKeyId ? { foundKeyId: first.error.foundKeyId } : {}),
        },
      );
    }
    throw new GitSecretsError(
      first.error.code,
      `unlock changed nothing: ${failures.length} encrypted file(s) do not open (${shown}${more}): ${first.error.message}`,
      { cause: first.error, path: first.path, paths: failures.map((f) => f.path) },
    );
  }
  if (plaintext.length > 0) {
    if (strict) {
      const error = plaintextInEncryptedPath(plaintext[0] as string);
      throw new GitSecretsError(
        "PLAINTEXT_IN_ENCRYPTED_PATH",
        `unlock changed nothing: ${plaintext.length} file(s) marked encrypted are plaintext in git (${plaintext.slice(0, 5).join(", ")}). ${error.message}`,
        { path: plaintext[0] as string, paths: plaintext },
      );
    }
    for (const path of plaintext) logger.warn(plaintextWarning(path));
  }
}

/** Options of {@link unlock}. */
export interface UnlockOptions extends RepoOptions, CommandOptions, KeySource, IdentitySource {
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
  /**
   * Unlock with a key git-crypt shared with GPG (`git-crypt add-gpg-user`): the files
   * `.git-crypt/keys/<name>/0/<fingerprint>.gpg` are opened with the system `gpg`. `true`
   * uses gpg's defaults; an object names the binary and the GnuPG home.
   * @defaultValue `false`
   */
  gpg?: boolean | GpgOptions | undefined;
  /**
   * Refuse plaintext blobs in encrypted paths (`git-seal.strict`): unlock then changes
   * nothing, and the filter refuses to check such blobs out.
   * @defaultValue the repository's setting, else `true` (written to .git/config)
   */
  strict?: boolean | undefined;
  /**
   * Turn rerere off for this repository (`rerere.enabled false`) and drop its cache, which
   * keeps the plaintext of conflicted files outside git's objects.
   * @defaultValue `false` (only a warning when rerere is on)
   */
  disableRerere?: boolean | undefined;
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
  /** Whether strict mode is on now (`git-seal.strict`). */
  strict: boolean;
  /** Things to fix that are no failure (rerere keeping conflicted plaintext); also sent to `logger.warn`. */
  warnings: string[];
}

/**
 * Makes the key available (from a key file, a passphrase-protected one, or the key already
 * stored in .git), writes the filter configuration and re-checks out the encrypted files.
 * Without a key source it refreshes a stale or missing configuration from the stored keys.
 */
export async function unlock(options: UnlockOptions = {}): Promise<UnlockResult> {
  const repo = await openRepo(options);
  await checkGitVersion(repo.top, repo.git);
  const targets: {
    filter: string;
    name: string;
    key: SealKey;
    bytes?: Uint8Array;
    stored?: StoredKey;
  }[] = [];
  const asMember = async (source: IdentitySource) => {
    const identity = await loadIdentity(source);
    for (const found of await memberKeys(repo.top, identity)) {
      if (options.keyName && found.keyName !== options.keyName) continue;
      const { key, bytes, keyName } = found;
      targets.push({ filter: filterName(key.format, keyName), name: keyName, key, bytes });
    }
  };
  if (options.key || options.keyFile) {
    const { key, bytes } = await loadKey(options);
    const name = options.keyName ?? key.name ?? "default";
    targets.push({ filter: filterName(key.format, name), name, key, bytes });
  } else if (options.identity !== undefined) {
    await asMember(options);
  } else if (options.gpg) {
    // git-crypt's GPG members: .git-crypt/keys/<name>/0/<fingerprint>.gpg, opened by gpg.
    const gpg = options.gpg === true ? {} : options.gpg;
    for (const found of await openGitCryptGpgKeys(repo.top, { ...gpg, signal: options.signal })) {
      const key = parseKey(found.bytes);
      if (options.keyName && found.keyName !== options.keyName) continue;
      targets.push({
        filter: filterName(key.format, found.keyName),
        name: found.keyName,
        key,
        bytes: found.bytes,
      });
    }
  } else {
    const stored = options.keyName
      ? [await findStoredKey(repo.gitDir, options.keyName, repo.worktreeGitDir)]
      : await listStoredKeys(repo.gitDir, repo.worktreeGitDir);
    // A member's clone: no key stored yet, but the user has an identity and the repository
    // has keys sealed for members.
    if (
      stored.length === 0 &&
      existsSync(defaultIdentityPath()) &&
      existsSync(join(repo.top, MEMBERS_DIR, "keys"))
    ) {
      await asMember({
        identity: defaultIdentityPath(),
        identityPassphrase: options.identityPassphrase,
      });
    } else if (stored.length === 0) {
      throw new GitSecretsError(
        "KEY_NOT_FOUND",
        "no key is stored in this repository: give the key file to unlock with, or your identity (git-seal keygen, then a member runs add-user)",
      );
    }
    for (const s of stored) {
      targets.push({ filter: s.filterName, name: s.keyName, key: s.key, stored: s });
    }
  }
  const progress = options.onProgress ?? (() => {});
  const { codecs, files } = await trackedFilesUnder(
    repo,
    targets.map((t) => [t.filter, t.key]),
    progress,
  );
  progress({ phase: "verify", done: 0, total: files.length });
  const logger = loggerOf(options);
  const configured = await readStrict(repo.top, repo.git);
  const strict = options.strict ?? configured ?? true;
  await verifyBlobs(repo.top, repo.git, files, codecs, strict, logger);
  if (!options.force)
    refuseChanges(await changedFiles(repo.top, repo.git, files, codecs), "unlock");
  const warnings = await rerereWarnings(repo, files.length > 0 || targets.length > 0);
  progress({ phase: "verify", done: files.length, total: files.length });
  checkAborted(options.signal);

  // From here on every change is undone if a later step fails.
  const undo: (() => Promise<unknown>)[] = [];
  try {
    const keys: KeyInfo[] = [];
    for (const target of targets) {
      if (target.bytes) {
        const existing = await readStoredKey(repo.gitDir, target.key.format, target.name);
        const info = await importKey({
          ...options,
          dir: repo.top,
          key: target.bytes,
          keyFile: undefined,
          passphrase: undefined,
        });
        if (!existing) undo.push(() => removeStoredKey(repo.gitDir, info.format, info.keyName));
        keys.push(info);
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
      const before = await readFilterConfig(repo.top, target.filter, repo.git);
      if (Object.keys(before).length === 0) {
        undo.push(() => removeFilterConfig(repo.top, target.filter, repo.git));
      }
      await configure(repo.top, target.filter, options, repo.git);
    }
    if (
      configured === undefined ||
      (options.strict !== undefined && options.strict !== configured)
    ) {
      await writeStrict(repo.top, strict, repo.git);
    }
    if (options.disableRerere) await disableRerere(repo, repo.git);
    const paths = files.map((f) => f.path);
    progress({ phase: "checkout", done: 0, total: paths.length });
    await recheckout(repo.top, repo.git, paths);
    progress({ phase: "checkout", done: paths.length, total: paths.length });
    for (const warning of options.disableRerere ? [] : warnings) logger.warn(warning);
    return { keys, files: paths, strict, warnings: options.disableRerere ? [] : warnings };
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => {});
    throw error;
  }
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
    ? await listStoredKeys(repo.gitDir, repo.worktreeGitDir)
    : [await findStoredKey(repo.gitDir, options.keyName, repo.worktreeGitDir)];
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
  if (!options.force) {
    // Like git-crypt, lock wants a clean work tree (untracked files aside), not only clean
    // encrypted files: returning files to ciphertext mid-edit is how changes get lost.
    const [encrypted, tracked] = await Promise.all([
      changedFiles(repo.top, repo.git, files, codecs),
      uncommittedPaths(repo.top, repo.git),
    ]);
    refuseChanges([...new Set([...encrypted, ...tracked])], "lock");
  }
  progress({ phase: "verify", done: files.length, total: files.length });
  checkAborted(options.signal);
  for (const key of chosen) await removeFilterConfig(repo.top, key.filterName, repo.git);
  const paths = files.map((f) => f.path);
  progress({ phase: "checkout", done: 0, total: paths.length });
  await recheckout(repo.top, repo.git, paths);
  progress({ phase: "checkout", done: paths.length, total: paths.length });
  // The key goes last: if anything above failed, the repository can still be unlocked.
  for (const key of chosen) await rm(key.path, { force: true });
  return { keyNames: chosen.map((k) => k.keyName), files: paths };
}
