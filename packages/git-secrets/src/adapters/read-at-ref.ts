import * as nodeFs from "node:fs";
import { isAbsolute, join } from "node:path";
import type * as IsoGit from "isomorphic-git";
import { createCodec, isEncryptedBlob } from "../core/codec.js";
import { isGitCryptBlob } from "../core/gitcrypt-format.js";
import { parseKey, type SealFormat, type SealKey } from "../core/keys.js";
import { nativeBlobKeyId } from "../core/native-format.js";
import { isPassphraseProtected, unwrapWithPassphrase } from "../core/passphrase.js";
import { loadSodium } from "../core/sodium.js";
import { GitSecretsError } from "../errors.js";

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
  /** The git directory. Default: `<dir>/.git`. */
  gitdir?: string | undefined;
  /** A branch, tag, `HEAD` or (abbreviated) commit id. Default: `HEAD`. */
  ref?: string | undefined;
  /** The fs isomorphic-git reads through. Default: node:fs. */
  fs?: IsoGit.FsClient | undefined;
  /** isomorphic-git's object cache, reused across calls for speed. */
  cache?: object | undefined;
}

/** Options of {@link readFile}. */
export interface ReadFileOptions extends AtRefOptions {
  /** Path of the file inside the repository, with `/` separators. */
  path: string;
  /**
   * The key: a parsed key, or a key file's bytes (plain or passphrase-protected). Default:
   * the key stored in the repository (`.git/git-seal/keys/default` or `.git/git-crypt/keys/default`).
   */
  key?: SealKey | Uint8Array | undefined;
  /** Passphrase when `key` is a passphrase-protected key file. */
  passphrase?: string | undefined;
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

async function keyFor(options: ReadFileOptions, format: SealFormat): Promise<SealKey> {
  let data: Uint8Array;
  if (options.key && !(options.key instanceof Uint8Array)) return options.key;
  if (options.key instanceof Uint8Array) data = options.key;
  else {
    const gitdir = options.gitdir ?? join(options.dir, ".git");
    const path = join(
      isAbsolute(gitdir) ? gitdir : join(process.cwd(), gitdir),
      format,
      "keys",
      "default",
    );
    try {
      data = new Uint8Array(await nodeFs.promises.readFile(path));
    } catch (cause) {
      throw new GitSecretsError(
        "KEY_NOT_FOUND",
        `${options.path} is encrypted and no key was given (none stored at ${path})`,
        {
          cause,
          path: options.path,
        },
      );
    }
  }
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

/**
 * The plaintext of `path` as committed at `ref`, decrypted with `key`, read straight from the
 * object database by isomorphic-git (loose objects or packfiles): no work tree, no checkout,
 * no git binary. A file that is not encrypted is returned as stored.
 */
export async function readFile(options: ReadFileOptions): Promise<Uint8Array> {
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
  if (!isEncryptedBlob(blob)) return blob;
  const key = await keyFor(options, isGitCryptBlob(blob) ? "git-crypt" : "git-seal");
  return (await createCodec(key)).open(blob, options.path);
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
