import { readFile } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { runGit } from "../adapters/git.js";
import { listStoredKeys } from "../adapters/key-store.js";
import { createCodec, isEncryptedBlob } from "../core/codec.js";
import {
  type ConfigReport,
  type ConfigSchema,
  checkEntries,
  formatOf,
  parseConfig,
  parseSchema,
  resolveEntries,
} from "../core/config-formats.js";
import { keyIds } from "../core/keys.js";
import { nativeBlobKeyId } from "../core/native-format.js";
import { GitSecretsError } from "../errors.js";
import { openRepo, type RepoOptions } from "./context.js";

/** Options of {@link configCheck}. */
export interface ConfigCheckOptions extends RepoOptions {
  /** The schema file (YAML or JSON): `required` keys and `defaults`. Relative to `dir`. */
  schema: string;
  /** Environment files (.properties, .env, .json, .yaml), relative to `dir`. */
  files: readonly string[];
  /**
   * Also list the required keys added to the schema since this git ref, so the people who
   * deploy are told what to set.
   * @defaultValue none
   */
  since?: string | undefined;
}

/** What {@link configCheck} found. */
export interface ConfigCheckResult {
  /** One report per file, in the order given. */
  files: ConfigReport[];
  /** Required keys in the schema now that it did not require at `since` (with descriptions). */
  addedSince: { key: string; description: string }[] | undefined;
  /** True when no file misses a required key. */
  ok: boolean;
}

/**
 * Reads a file of the work tree as plaintext: a file still encrypted there (a locked
 * repository) is decrypted with the stored key.
 */
async function readPlain(
  top: string,
  gitDir: string,
  worktreeGitDir: string,
  path: string,
): Promise<string> {
  let data: Uint8Array;
  try {
    data = new Uint8Array(await readFile(path));
  } catch (cause) {
    throw new GitSecretsError(
      "FILE_NOT_FOUND",
      `cannot read ${relative(top, path)}: ${(cause as Error).message}`,
      {
        cause,
        path,
      },
    );
  }
  if (isEncryptedBlob(data)) {
    const id = nativeBlobKeyId(data);
    const keys = await listStoredKeys(gitDir, worktreeGitDir);
    const key = keys.find((k) => id === undefined || keyIds(k.key).includes(id)) ?? keys[0];
    if (!key) {
      throw new GitSecretsError(
        "KEY_NOT_FOUND",
        `${relative(top, path)} is encrypted and the repository is locked: unlock it first`,
        {
          path,
        },
      );
    }
    data = (await createCodec(key.key)).open(data, relative(top, path));
  }
  return new TextDecoder().decode(data);
}

async function loadSchema(
  dir: string,
  top: string,
  gitDir: string,
  worktreeGitDir: string,
  schema: string,
): Promise<ConfigSchema> {
  const path = isAbsolute(schema) ? schema : resolve(dir, schema);
  return await parseSchema(await readPlain(top, gitDir, worktreeGitDir, path), schema);
}

/**
 * Checks environment files against a schema: per file the required keys it misses, keys the
 * schema does not know, and keys that override a default; with `since`, the required keys
 * added to the schema since that ref. Encrypted files are read decrypted.
 */
export async function configCheck(options: ConfigCheckOptions): Promise<ConfigCheckResult> {
  const repo = await openRepo(options);
  const dir = options.dir ?? process.cwd();
  const schema = await loadSchema(dir, repo.top, repo.gitDir, repo.worktreeGitDir, options.schema);
  const files: ConfigReport[] = [];
  for (const file of options.files) {
    const path = isAbsolute(file) ? file : resolve(dir, file);
    const entries = await parseConfig(
      await readPlain(repo.top, repo.gitDir, repo.worktreeGitDir, path),
      formatOf(file),
      file,
    );
    files.push(checkEntries(schema, entries, file));
  }
  let addedSince: ConfigCheckResult["addedSince"];
  if (options.since !== undefined) {
    const schemaPath = relative(
      repo.top,
      isAbsolute(options.schema) ? options.schema : resolve(dir, options.schema),
    );
    const old = await runGit(repo.top, ["cat-file", "blob", `${options.since}:${schemaPath}`], {
      ...repo.git,
      allowFailure: true,
    });
    let before: ConfigSchema = { required: new Map(), defaults: new Map() };
    if (old.code === 0) before = await parseSchema(old.stdout.toString("utf8"), schemaPath);
    else {
      const ref = await runGit(
        repo.top,
        ["rev-parse", "--verify", "-q", `${options.since}^{commit}`],
        {
          ...repo.git,
          allowFailure: true,
        },
      );
      if (ref.code !== 0) {
        throw new GitSecretsError("FILE_NOT_FOUND", `ref ${options.since} does not exist`, {
          stderr: old.stderr,
        });
      }
      // The schema did not exist then: every required key is new.
    }
    addedSince = [...schema.required]
      .filter(([key]) => !before.required.has(key))
      .map(([key, description]) => ({ key, description }));
  }
  return { files, addedSince, ok: files.every((f) => f.missing.length === 0) };
}

/** Options of {@link configResolve}. */
export interface ConfigResolveOptions extends RepoOptions {
  /** The schema file, relative to `dir`. */
  schema: string;
  /** The environment's file, relative to `dir`. */
  file: string;
}

/** The effective configuration of one environment: the schema's defaults overridden by its file. */
export async function configResolve(
  options: ConfigResolveOptions,
): Promise<Record<string, string>> {
  const repo = await openRepo(options);
  const dir = options.dir ?? process.cwd();
  const schema = await loadSchema(dir, repo.top, repo.gitDir, repo.worktreeGitDir, options.schema);
  const path = isAbsolute(options.file) ? options.file : join(dir, options.file);
  const entries = await parseConfig(
    await readPlain(repo.top, repo.gitDir, repo.worktreeGitDir, path),
    formatOf(options.file),
    options.file,
  );
  const report = checkEntries(schema, entries, options.file);
  if (report.missing.length > 0) {
    throw new GitSecretsError(
      "INVALID_ARGUMENT",
      `${options.file} misses required key(s) ${report.missing.join(", ")}: there is no effective configuration without them`,
      { path: options.file, paths: report.missing },
    );
  }
  return Object.fromEntries(resolveEntries(schema, entries));
}
