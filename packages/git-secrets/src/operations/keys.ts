import { readFile } from "node:fs/promises";
import { writeSecretFile } from "../adapters/files.js";
import { defaultCommand, writeFilterConfig, writeStrict } from "../adapters/filter-config.js";
import { checkGitVersion } from "../adapters/git.js";
import {
  listStoredKeys,
  readStoredKey,
  type StoredKey,
  writeStoredKey,
} from "../adapters/key-store.js";
import { filterName } from "../core/filter-name.js";
import {
  checkKeyName,
  generateKey,
  keyIds,
  looksLikeKeyFile,
  parseKey,
  type SealFormat,
  type SealKey,
  serializeKey,
} from "../core/keys.js";
import {
  isPassphraseProtected,
  type PassphraseCost,
  unwrapWithPassphrase,
  wrapWithPassphrase,
} from "../core/passphrase.js";
import { loadSodium } from "../core/sodium.js";
import { GitSecretsError } from "../errors.js";
import { type CommandOptions, openRepo, type RepoOptions } from "./context.js";

/** A key as the repository knows it. */
export interface KeyInfo {
  /** `default` or the name given with `-k`. */
  keyName: string;
  format: SealFormat;
  /** The gitattributes driver name: `git-seal`, `git-seal-<name>`, `git-crypt`, `git-crypt-<name>`. */
  filterName: string;
  /** Key ids of every entry, newest first. */
  keyIds: string[];
  /** Where the key file is stored (mode 0600). */
  keyPath: string;
}

/** Options of {@link init}. */
export interface InitOptions extends RepoOptions, CommandOptions {
  /**
   * Key name, like git-crypt's `-k`.
   * @defaultValue `"default"`
   */
  keyName?: string | undefined;
  /**
   * Blob format. `git-crypt` writes git-crypt 0.7 blobs and key files.
   * @defaultValue `"git-seal"`
   */
  format?: SealFormat | undefined;
  /**
   * Randomness for the key (tests pass a seeded source).
   * @defaultValue libsodium's CSPRNG
   */
  random?: ((length: number) => Uint8Array) | undefined;
  /**
   * Strict mode (`git-seal.strict`): plaintext blobs in encrypted paths are refused on
   * checkout, `unlock` and `readFile` instead of passed through with a warning.
   * @defaultValue `true`
   */
  strict?: boolean | undefined;
}

/** What {@link init} did and what the user should do next. */
export interface InitResult extends KeyInfo {
  /** The attributes to put after a pattern in .gitattributes, e.g. `filter=git-seal diff=git-seal`. */
  attributes: string;
  /** A ready .gitattributes line for `*.secret`, to adapt. */
  exampleLine: string;
}

/** Creates a key in the repository, stores it (0600) and configures the filter. */
export async function init(options: InitOptions = {}): Promise<InitResult> {
  const repo = await openRepo(options);
  await checkGitVersion(repo.top, repo.git);
  const format = options.format ?? "git-seal";
  if (format !== "git-seal" && format !== "git-crypt") {
    throw new GitSecretsError(
      "INVALID_ARGUMENT",
      `unknown format "${String(format)}": use git-seal or git-crypt`,
    );
  }
  const keyName = options.keyName ?? "default";
  checkKeyName(keyName);
  if (await readStoredKey(repo.gitDir, format, keyName)) {
    throw new GitSecretsError(
      "ALREADY_INITIALIZED",
      `this repository already has a ${format} key named "${keyName}"; choose another key name or use unlock`,
    );
  }
  const sodium = await loadSodium();
  const key = generateKey({
    format,
    name: keyName,
    random: options.random ?? ((n) => sodium.randombytes_buf(n)),
  });
  const keyPath = await writeStoredKey(repo.gitDir, format, keyName, serializeKey(key));
  const filter = filterName(format, keyName);
  await writeFilterConfig(repo.top, filter, options.command ?? defaultCommand(), repo.git);
  await writeStrict(repo.top, options.strict ?? true, repo.git);
  const attributes = `filter=${filter} diff=${filter}`;
  return {
    keyName,
    format,
    filterName: filter,
    keyIds: keyIds(key),
    keyPath,
    attributes,
    exampleLine: `*.secret ${attributes}`,
  };
}

/** Where a key comes from: the bytes of a key file, or its path. */
export interface KeySource {
  /**
   * The key file's bytes (plain or passphrase-protected).
   * @defaultValue none: `keyFile` is read instead
   */
  key?: Uint8Array | undefined;
  /**
   * Path of the key file (plain or passphrase-protected).
   * @defaultValue none: `key` is used instead
   */
  keyFile?: string | undefined;
  /**
   * Passphrase for a passphrase-protected key file.
   * @defaultValue none (a protected key file then fails with `PASSPHRASE_REQUIRED`)
   */
  passphrase?: string | undefined;
}

/** Reads a key from bytes or a file, opening passphrase protection when needed. */
export async function loadKey(source: KeySource): Promise<{ key: SealKey; bytes: Uint8Array }> {
  let data: Uint8Array;
  if (source.key) data = source.key;
  else if (source.keyFile) {
    try {
      data = new Uint8Array(await readFile(source.keyFile));
    } catch (cause) {
      throw new GitSecretsError(
        "KEY_NOT_FOUND",
        `cannot read key file ${source.keyFile}: ${(cause as Error).message}`,
        {
          cause,
          path: source.keyFile,
        },
      );
    }
  } else throw new GitSecretsError("INVALID_ARGUMENT", "give a key (bytes) or a keyFile (path)");
  if (isPassphraseProtected(data)) {
    if (source.passphrase === undefined) {
      throw new GitSecretsError(
        "PASSPHRASE_REQUIRED",
        `${source.keyFile ?? "the key file"} is passphrase-protected: give its passphrase`,
        source.keyFile === undefined ? {} : { path: source.keyFile },
      );
    }
    data = unwrapWithPassphrase(await loadSodium(), data, source.passphrase);
  } else if (!looksLikeKeyFile(data)) {
    throw new GitSecretsError(
      "CORRUPT_KEY_FILE",
      `${source.keyFile ?? "the data"} is not a git-seal or git-crypt key file`,
    );
  }
  return { key: parseKey(data), bytes: data };
}

/** Options of {@link importKey}. */
export interface ImportKeyOptions extends RepoOptions, KeySource {
  /**
   * Store under this name instead of the name the key file carries.
   * @defaultValue the key file's name, else `"default"`
   */
  keyName?: string | undefined;
}

/**
 * Stores a key file in the repository's key store (0600) without touching the work tree or
 * the filter configuration; {@link unlock} does this and then configures and checks out.
 */
export async function importKey(options: ImportKeyOptions): Promise<KeyInfo> {
  const repo = await openRepo(options);
  const { key, bytes } = await loadKey(options);
  const keyName = options.keyName ?? key.name ?? "default";
  checkKeyName(keyName);
  const existing = await readStoredKey(repo.gitDir, key.format, keyName);
  // A key that extends the stored one by newer epochs (after a rotation) replaces it.
  const extendsStored =
    existing !== undefined && keyIds(existing.key).every((id) => keyIds(key).includes(id));
  if (existing && !extendsStored) {
    throw new GitSecretsError(
      "ALREADY_INITIALIZED",
      `a different ${key.format} key named "${keyName}" (${keyIds(existing.key).join(", ")}) is already stored; lock it first or pick another key name`,
      { foundKeyId: keyIds(key)[0], expectedKeyIds: keyIds(existing.key) },
    );
  }
  // The stored copy carries the name it is stored under, as git-crypt's does.
  const stored =
    key.name === (keyName === "default" ? undefined : keyName)
      ? bytes
      : serializeKey({ ...key, name: keyName === "default" ? undefined : keyName } as SealKey);
  const keyPath = await writeStoredKey(repo.gitDir, key.format, keyName, stored);
  return {
    keyName,
    format: key.format,
    filterName: filterName(key.format, keyName),
    keyIds: keyIds(key),
    keyPath,
  };
}

/** Options of {@link exportKey}. */
export interface ExportKeyOptions extends RepoOptions, PassphraseCost {
  /**
   * Which key.
   * @defaultValue the only key stored, else `"default"`
   */
  keyName?: string | undefined;
  /**
   * Protect the exported file with this passphrase (Argon2id + XChaCha20-Poly1305); at least
   * 12 characters.
   * @defaultValue none: the plain key file
   */
  passphrase?: string | undefined;
  /**
   * Also write the key file here, atomically with mode 0600.
   * @defaultValue none: only returned
   */
  output?: string | undefined;
  /**
   * Randomness for salt and nonce.
   * @defaultValue libsodium's CSPRNG
   */
  random?: ((length: number) => Uint8Array) | undefined;
}

/**
 * The key file of a stored key. Without a passphrase it is the plain key file — for a
 * git-crypt key, byte-compatible with `git-crypt export-key`, so `git-crypt unlock` takes it.
 */
export async function exportKey(options: ExportKeyOptions = {}): Promise<Uint8Array> {
  const repo = await openRepo(options);
  const stored = await findStoredKey(repo.gitDir, options.keyName, repo.worktreeGitDir);
  let data = stored.bytes;
  if (options.passphrase !== undefined) {
    data = wrapWithPassphrase(await loadSodium(), data, options.passphrase, {
      cost: options.cost,
      opsLimit: options.opsLimit,
      memLimit: options.memLimit,
      random: options.random,
    });
  }
  if (options.output) await writeSecretFile(options.output, data);
  return data;
}

/** The stored key of that name (either format), or the only stored key when no name is given. */
export async function findStoredKey(
  gitDir: string,
  keyName: string | undefined,
  worktreeGitDir?: string,
): Promise<StoredKey> {
  const all = await listStoredKeys(gitDir, worktreeGitDir);
  const matches =
    keyName === undefined
      ? all.length === 1
        ? all
        : all.filter((k) => k.keyName === "default")
      : all.filter((k) => k.keyName === keyName);
  const found = matches[0];
  if (!found && keyName === undefined && all.length > 1) {
    throw new GitSecretsError(
      "INVALID_ARGUMENT",
      `several keys are stored (${all.map((k) => k.keyName).join(", ")}) and none is named "default": name one (-k)`,
    );
  }
  if (!found) {
    throw new GitSecretsError(
      "KEY_NOT_FOUND",
      keyName === undefined
        ? "no key is stored in this repository (it is locked, or was never initialised): run git-seal unlock <key file> or git-seal init"
        : `no key named "${keyName}" is stored in this repository; stored: ${all.map((k) => k.keyName).join(", ") || "none"}`,
    );
  }
  if (matches.length > 1) {
    throw new GitSecretsError(
      "INVALID_ARGUMENT",
      `both a git-seal and a git-crypt key are named "${found.keyName}"; this is ambiguous`,
    );
  }
  return found;
}

/** Writes the filter configuration for `filter`, pointing git at `options.command`. */
export async function configure(
  top: string,
  filter: string,
  options: CommandOptions,
  git: Parameters<typeof writeFilterConfig>[3],
) {
  await writeFilterConfig(top, filter, options.command ?? defaultCommand(), git);
}
