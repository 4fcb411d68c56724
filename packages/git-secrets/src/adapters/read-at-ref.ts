import * as nodeFs from "node:fs";
import { isAbsolute, join } from "node:path";
import type * as IsoGit from "isomorphic-git";
import { type AttributeRule, filterFor, parseAttributes } from "../core/attributes.js";
import { createCodec, isEncryptedBlob } from "../core/codec.js";
import { parseFilterName } from "../core/filter-name.js";
import { isGitCryptBlob } from "../core/gitcrypt-format.js";
import { keyIds, parseKey, type SealFormat, type SealKey } from "../core/keys.js";
import { nativeBlobKeyId } from "../core/native-format.js";
import { isPassphraseProtected, unwrapWithPassphrase } from "../core/passphrase.js";
import { loadSodium } from "../core/sodium.js";
import { GitSecretsError } from "../errors.js";
import { type Logger, silentLogger } from "../logger.js";
import { plaintextInEncryptedPath, plaintextWarning } from "./filter-process.js";

type Git = typeof IsoGit;
let loading: Promise<Git> | undefined;
function loadGit(): Promise<Git> {
  loading ??= import("isomorphic-git").then(
    (m) => ((m as Git & { default?: Git }).default ?? m) as Git,
  );
  return loading;
}

/** Options shared by {@link readFile} and {@link listEncrypted}. */
export interface AtRefOptions {
  /** The repository's work-tree directory (or a bare repository with `gitdir`). */
  dir: string;
  /**
   * The git directory.
   * @defaultValue `<dir>/.git`
   */
  gitdir?: string | undefined;
  /**
   * A branch, tag, `HEAD` or (abbreviated) commit id.
   * @defaultValue `"HEAD"`
   */
  ref?: string | undefined;
  /**
   * The fs isomorphic-git reads through.
   * @defaultValue `node:fs`
   */
  fs?: IsoGit.FsClient | undefined;
  /**
   * isomorphic-git's object cache, reused across calls for speed.
   * @defaultValue a fresh cache per call
   */
  cache?: object | undefined;
}

/** Options of {@link readFile}. */
export interface ReadFileOptions extends AtRefOptions {
  /** Path of the file inside the repository, with `/` separators. */
  path: string;
  /**
   * The key: a parsed key, or a key file's bytes (plain or passphrase-protected).
   * @defaultValue the keys stored in the repository (`.git/git-seal/keys/*`,
   * `.git/git-crypt/keys/*`): the one whose key id the blob names, else `default` first
   */
  key?: SealKey | Uint8Array | undefined;
  /**
   * Passphrase when `key` is a passphrase-protected key file.
   * @defaultValue none (a protected key file then fails with `PASSPHRASE_REQUIRED`)
   */
  passphrase?: string | undefined;
  /**
   * A plaintext blob in a path the `.gitattributes` at `ref` (and `.git/info/attributes`) mark
   * encrypted: `true` throws `PLAINTEXT_IN_ENCRYPTED_PATH`; `false` returns it and warns on
   * `logger`. Use {@link readFileDetailed} to get the answer as data instead.
   * @defaultValue `true`
   */
  strict?: boolean | undefined;
  /**
   * Receives the warning for a plaintext blob in an encrypted path when `strict` is false.
   * @defaultValue silent
   */
  logger?: Logger | undefined;
}

/** What {@link readFileDetailed} found. */
export interface ReadFileResult {
  /** The plaintext (decrypted, or the blob as stored when it was not encrypted). */
  content: Uint8Array;
  /** The blob in git was ciphertext. */
  encrypted: boolean;
  /** Marked encrypted but stored as plaintext: someone committed it past the filter. */
  plaintextInEncryptedPath: boolean;
}

async function resolveCommit(
  git: Git,
  options: AtRefOptions,
  fs: IsoGit.FsClient,
): Promise<string> {
  const ref = options.ref ?? "HEAD";
  const base = { fs, dir: options.dir, gitdir: options.gitdir };
  try {
    return await git.resolveRef({ ...base, ref });
  } catch (first) {
    if (/^[0-9a-f]{4,40}$/i.test(ref)) {
      try {
        return await git.expandOid({ ...base, oid: ref.toLowerCase() });
      } catch {
        // fall through to the error below
      }
    }
    throw new GitSecretsError("FILE_NOT_FOUND", `ref ${ref} does not exist in ${options.dir}`, {
      cause: first,
    });
  }
}

/**
 * The keys stored in the repository for `format`, best match first: for a git-seal blob the
 * key whose entries include the blob's key id, otherwise `default` before the others.
 */
async function storedKeys(options: ReadFileOptions, format: SealFormat, keyId: string | undefined) {
  const gitdir = options.gitdir ?? join(options.dir, ".git");
  const dir = join(isAbsolute(gitdir) ? gitdir : join(process.cwd(), gitdir), format, "keys");
  let names: string[];
  try {
    names = await nodeFs.promises.readdir(dir);
  } catch {
    names = [];
  }
  const keys: SealKey[] = [];
  for (const name of names.sort((a, b) =>
    a === "default" ? -1 : b === "default" ? 1 : a < b ? -1 : 1,
  )) {
    try {
      keys.push(parseKey(new Uint8Array(await nodeFs.promises.readFile(join(dir, name)))));
    } catch {
      // not a key file: skip it
    }
  }
  if (keys.length === 0) {
    throw new GitSecretsError(
      "KEY_NOT_FOUND",
      `${options.path} is encrypted and no key was given (none stored in ${dir})`,
      { path: options.path },
    );
  }
  const matching = keyId === undefined ? [] : keys.filter((k) => keyIds(k).includes(keyId));
  return matching.length > 0 ? matching : keys;
}

async function keyFor(options: ReadFileOptions): Promise<SealKey> {
  if (options.key && !(options.key instanceof Uint8Array)) return options.key;
  let data = options.key as Uint8Array;
  if (isPassphraseProtected(data)) {
    if (options.passphrase === undefined) {
      throw new GitSecretsError(
        "PASSPHRASE_REQUIRED",
        "the key file is passphrase-protected: give its passphrase",
      );
    }
    data = unwrapWithPassphrase(await loadSodium(), data, options.passphrase);
  }
  return parseKey(data);
}

/** The `filter` attribute of `path` at commit `oid`, from every .gitattributes on its way. */
async function filterAt(
  git: Git,
  fs: IsoGit.FsClient,
  options: ReadFileOptions,
  oid: string,
): Promise<string | undefined> {
  const dirs = [""];
  const parts = options.path.split("/").slice(0, -1);
  for (let i = 1; i <= parts.length; i++) dirs.push(parts.slice(0, i).join("/"));
  const rules: AttributeRule[] = [];
  for (const dir of dirs) {
    const filepath = dir === "" ? ".gitattributes" : `${dir}/.gitattributes`;
    try {
      const { blob } = await git.readBlob({
        fs,
        dir: options.dir,
        gitdir: options.gitdir,
        oid,
        filepath,
        cache: options.cache,
      });
      rules.push(...parseAttributes(new TextDecoder().decode(blob), dir));
    } catch {
      // no .gitattributes in that directory
    }
  }
  const gitdir = options.gitdir ?? join(options.dir, ".git");
  try {
    const info = await nodeFs.promises.readFile(join(gitdir, "info", "attributes"), "utf8");
    rules.push(...parseAttributes(info, ""));
  } catch {
    // no .git/info/attributes
  }
  return filterFor(rules, options.path);
}

/**
 * The plaintext of `path` as committed at `ref`, decrypted with `key`, read straight from the
 * object database by isomorphic-git (loose objects or packfiles): no work tree, no checkout,
 * no git binary. A file that is not encrypted is returned as stored — unless the attributes
 * mark it encrypted (see `strict`).
 */
export async function readFile(options: ReadFileOptions): Promise<Uint8Array> {
  const result = await readFileDetailed({ ...options, strict: options.strict ?? true });
  if (result.plaintextInEncryptedPath) {
    (options.logger ?? silentLogger).warn(plaintextWarning(options.path));
  }
  return result.content;
}

/**
 * {@link readFile} that answers with what it found: whether the blob was encrypted and
 * whether the attributes say it should be. Throws for a plaintext blob in an encrypted path
 * only when `strict` is `true` (here it defaults to `false`: the marker is in the result).
 */
export async function readFileDetailed(options: ReadFileOptions): Promise<ReadFileResult> {
  const git = await loadGit();
  const fs = options.fs ?? nodeFs;
  const oid = await resolveCommit(git, options, fs);
  let blob: Uint8Array;
  try {
    ({ blob } = await git.readBlob({
      fs,
      dir: options.dir,
      gitdir: options.gitdir,
      oid,
      filepath: options.path,
      cache: options.cache,
    }));
  } catch (cause) {
    throw new GitSecretsError(
      "FILE_NOT_FOUND",
      `${options.path} does not exist at ${options.ref ?? "HEAD"}`,
      {
        cause,
        path: options.path,
      },
    );
  }
  if (!isEncryptedBlob(blob)) {
    const filter = await filterAt(git, fs, options, oid);
    const marked = filter !== undefined && parseFilterName(filter) !== undefined;
    if (marked && options.strict) throw plaintextInEncryptedPath(options.path);
    return {
      content: blob,
      encrypted: false,
      plaintextInEncryptedPath: marked,
    };
  }
  const done = (content: Uint8Array): ReadFileResult => ({
    content,
    encrypted: true,
    plaintextInEncryptedPath: false,
  });
  if (options.key) return done((await createCodec(await keyFor(options))).open(blob, options.path));
  // No key given: use the repository's own store, as the filter would.
  const format: SealFormat = isGitCryptBlob(blob) ? "git-crypt" : "git-seal";
  const candidates = await storedKeys(options, format, nativeBlobKeyId(blob));
  let failure: unknown;
  for (const key of candidates) {
    try {
      return done((await createCodec(key)).open(blob, options.path));
    } catch (error) {
      failure ??= error;
    }
  }
  throw failure;
}

/** One encrypted file found at a ref. */
export interface EncryptedFile {
  path: string;
  format: SealFormat;
  /** The key id in a git-seal blob's header (git-crypt blobs carry none). */
  keyId: string | undefined;
  /** The blob's object id. */
  oid: string;
  /** The blob's size in bytes (ciphertext). */
  size: number;
}

/**
 * Every file at `ref` whose blob is encrypted (by content: the format's magic bytes), with
 * its format and key id. Needs no key.
 */
export async function listEncrypted(options: AtRefOptions): Promise<EncryptedFile[]> {
  const git = await loadGit();
  const fs = options.fs ?? nodeFs;
  const commit = await resolveCommit(git, options, fs);
  const found: EncryptedFile[] = [];
  await git.walk({
    fs,
    dir: options.dir,
    gitdir: options.gitdir,
    cache: options.cache,
    trees: [git.TREE({ ref: commit })],
    map: async (path, entries) => {
      const entry = entries?.[0];
      if (!entry || path === ".") return true;
      if ((await entry.type()) !== "blob") return true;
      const content = await entry.content();
      if (content && isEncryptedBlob(content)) {
        found.push({
          path,
          format: isGitCryptBlob(content) ? "git-crypt" : "git-seal",
          keyId: nativeBlobKeyId(content),
          oid: await entry.oid(),
          size: content.length,
        });
      }
      return true;
    },
  });
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
