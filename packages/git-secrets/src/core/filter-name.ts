import { GitSecretsError } from "../errors.js";
import { checkKeyName, type SealFormat } from "./keys.js";

/**
 * The gitattributes filter/diff driver name for a key: `git-seal` or `git-crypt` for the default
 * key, `git-seal-<name>` / `git-crypt-<name>` for a named one (git-crypt's own convention).
 */
export function filterName(format: SealFormat, keyName: string | undefined): string {
  if (keyName === undefined || keyName === "default") return format;
  checkKeyName(keyName);
  return `${format}-${keyName}`;
}

/** The inverse of {@link filterName}; undefined for drivers that are not ours. */
export function parseFilterName(name: string): { format: SealFormat; keyName: string } | undefined {
  for (const format of ["git-seal", "git-crypt"] as const) {
    if (name === format) return { format, keyName: "default" };
    if (name.startsWith(`${format}-`)) {
      const keyName = name.slice(format.length + 1);
      if (/^[A-Za-z0-9_-]{1,128}$/.test(keyName)) return { format, keyName };
    }
  }
  return undefined;
}

export function requireFilterName(name: string): { format: SealFormat; keyName: string } {
  const parsed = parseFilterName(name);
  if (!parsed) {
    throw new GitSecretsError(
      "INVALID_ARGUMENT",
      `"${name}" is not a git-seal filter name (git-seal[-<key>] or git-crypt[-<key>])`,
    );
  }
  return parsed;
}

/** The line `init` asks the user to add to .gitattributes. */
export function attributeLine(
  pattern: string,
  format: SealFormat,
  keyName: string | undefined,
): string {
  const name = filterName(format, keyName);
  return `${pattern} filter=${name} diff=${name}`;
}
