import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { filterName } from "../core/filter-name.js";
import { checkKeyName, parseKey, type SealFormat, type SealKey } from "../core/keys.js";
import { GitSecretsError } from "../errors.js";
import { writeSecretFile } from "./files.js";

/**
 * Keys live in the common git directory, never in the work tree: `.git/git-seal/keys/<name>`
 * for git-seal keys and `.git/git-crypt/keys/<name>` for git-crypt keys — the very place
 * git-crypt keeps them, so both tools see an unlocked git-crypt repository as unlocked.
 */
export function keyPath(gitDir: string, format: SealFormat, keyName: string): string {
  checkKeyName(keyName);
  return join(gitDir, format, "keys", keyName);
}

/** A key found in the repository's key store. */
export interface StoredKey {
  format: SealFormat;
  keyName: string;
  filterName: string;
  path: string;
  bytes: Uint8Array;
  key: SealKey;
}

/**
 * The stored key of that format and name. git-seal keeps keys in the common git directory so
 * every linked work tree sees them; git-crypt 0.7 keeps its keys under `git rev-parse
 * --git-dir`, which in a linked work tree is `.git/worktrees/<name>`, so a git-crypt key is
 * also looked for there (`worktreeGitDir`).
 */
export async function readStoredKey(
  gitDir: string,
  format: SealFormat,
  keyName: string,
  worktreeGitDir?: string,
): Promise<StoredKey | undefined> {
  const found = await readKeyAt(gitDir, format, keyName);
  if (found || format !== "git-crypt" || !worktreeGitDir || worktreeGitDir === gitDir) return found;
  return readKeyAt(worktreeGitDir, format, keyName);
}

async function readKeyAt(
  gitDir: string,
  format: SealFormat,
  keyName: string,
): Promise<StoredKey | undefined> {
  const path = keyPath(gitDir, format, keyName);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new GitSecretsError(
      "KEY_NOT_FOUND",
      `cannot read key ${path}: ${(cause as Error).message}`,
      {
        cause,
        path,
      },
    );
  }
  const key = parseKey(bytes);
  if (key.format !== format) {
    throw new GitSecretsError(
      "CORRUPT_KEY_FILE",
      `${path} holds a ${key.format} key, expected ${format}`,
      { path },
    );
  }
  return { format, keyName, filterName: filterName(format, keyName), path, bytes, key };
}

/** Every key stored in the repository. */
export async function listStoredKeys(
  gitDir: string,
  worktreeGitDir?: string,
): Promise<StoredKey[]> {
  const found: StoredKey[] = [];
  for (const format of ["git-seal", "git-crypt"] as const) {
    const dirs = [gitDir];
    if (format === "git-crypt" && worktreeGitDir && worktreeGitDir !== gitDir) {
      dirs.push(worktreeGitDir);
    }
    const names = new Set<string>();
    for (const dir of dirs) {
      try {
        for (const name of await readdir(join(dir, format, "keys"))) names.add(name);
      } catch {
        // no keys of this format there
      }
    }
    for (const name of [...names].sort()) {
      if (!/^[A-Za-z0-9_-]{1,128}$/.test(name)) continue;
      const stored = await readStoredKey(gitDir, format, name, worktreeGitDir);
      if (stored) found.push(stored);
    }
  }
  return found;
}

export async function writeStoredKey(
  gitDir: string,
  format: SealFormat,
  keyName: string,
  bytes: Uint8Array,
): Promise<string> {
  const path = keyPath(gitDir, format, keyName);
  await writeSecretFile(path, bytes);
  return path;
}

export async function removeStoredKey(
  gitDir: string,
  format: SealFormat,
  keyName: string,
): Promise<void> {
  await rm(keyPath(gitDir, format, keyName), { force: true });
}
