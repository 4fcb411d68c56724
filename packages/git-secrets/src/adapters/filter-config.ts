import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { GitSecretsError } from "../errors.js";
import { type GitOptions, runGit } from "./git.js";

/** Quotes one word for the POSIX shell git runs filter commands with. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * The command git should run to reach git-seal when the caller names none: this very
 * install's `cli.cjs` under the running node (`dist/` holds it next to the API; the CommonJS
 * build starts a few milliseconds faster, which every git command pays), else the `git-seal`
 * bin from PATH.
 */
export function defaultCommand(): string {
  try {
    const here = dirname(fileURLToPath(import.meta.url));
    const cli = join(here, "cli.cjs");
    if (existsSync(cli)) return `${shellQuote(process.execPath)} ${shellQuote(cli)}`;
  } catch {
    // not loaded from a file URL: fall back to the bin on PATH
  }
  return "git-seal";
}

/** The git config entries (in .git/config) that wire a filter name to git-seal. */
export function filterConfig(filter: string, command: string): Record<string, string> {
  return {
    [`filter.${filter}.process`]: `${command} filter-process --filter ${filter}`,
    [`filter.${filter}.clean`]: `${command} clean --filter ${filter}`,
    [`filter.${filter}.smudge`]: `${command} smudge --filter ${filter}`,
    [`filter.${filter}.required`]: "true",
    [`diff.${filter}.textconv`]: `${command} textconv --filter ${filter}`,
    [`merge.${filter}.name`]: `${filter}: three-way merge of the decrypted versions`,
    [`merge.${filter}.driver`]: `${command} merge --filter ${filter} %O %A %B %L %P`,
  };
}

/** The local config entry that turns strict mode on (`git config git-seal.strict true`). */
export const STRICT_CONFIG = "git-seal.strict";

/**
 * Whether strict mode is on: `git-seal.strict` in the repository's config. Unset means off
 * (repositories from before strict mode); `init` and `unlock` set it on unless told otherwise.
 */
export async function readStrict(
  top: string,
  options: GitOptions = {},
): Promise<boolean | undefined> {
  const { stdout, code } = await runGit(top, ["config", "--bool", "--get", STRICT_CONFIG], {
    ...options,
    allowFailure: true,
  });
  if (code !== 0) return undefined;
  return stdout.toString("utf8").trim() === "true";
}

export async function writeStrict(
  top: string,
  strict: boolean,
  options: GitOptions = {},
): Promise<void> {
  await runGit(top, ["config", "--local", STRICT_CONFIG, String(strict)], options);
}

export async function writeFilterConfig(
  top: string,
  filter: string,
  command: string,
  options: GitOptions = {},
): Promise<void> {
  for (const [name, value] of Object.entries(filterConfig(filter, command))) {
    await runGit(top, ["config", "--local", name, value], options);
  }
}

export async function removeFilterConfig(
  top: string,
  filter: string,
  options: GitOptions = {},
): Promise<void> {
  for (const section of [`filter.${filter}`, `diff.${filter}`, `merge.${filter}`]) {
    await runGit(top, ["config", "--local", "--remove-section", section], {
      ...options,
      allowFailure: true,
    });
  }
}

export async function readFilterConfig(
  top: string,
  filter: string,
  options: GitOptions = {},
): Promise<Record<string, string>> {
  const escaped = filter.replaceAll("-", "\\-");
  const { stdout } = await runGit(
    top,
    ["config", "--local", "-z", "--get-regexp", `^(filter|diff|merge)\\.${escaped}\\.`],
    { ...options, allowFailure: true },
  );
  const found: Record<string, string> = {};
  for (const record of stdout.toString("utf8").split("\0")) {
    if (!record) continue;
    const newline = record.indexOf("\n");
    if (newline < 0) found[record] = "";
    else found[record.slice(0, newline)] = record.slice(newline + 1);
  }
  return found;
}

/**
 * Refuses to go on when the filter configuration for `filter` is missing (git would store
 * plaintext) or stale (it runs another git-seal than `command`, or lacks an entry).
 */
export async function checkFilterConfig(
  top: string,
  filter: string,
  command: string,
  options: GitOptions = {},
): Promise<void> {
  const actual = await readFilterConfig(top, filter, options);
  if (!Object.keys(actual).some((name) => name.startsWith("filter."))) {
    throw new GitSecretsError(
      "FILTER_NOT_CONFIGURED",
      `the repository holds key "${filter}" but .git/config has no filter.${filter} entries, so git would store plaintext; run \`git-seal unlock\` to configure it`,
    );
  }
  for (const [name, value] of Object.entries(filterConfig(filter, command))) {
    if (actual[name.toLowerCase()] !== value && actual[name] !== value) {
      throw new GitSecretsError(
        "FILTER_CONFIG_STALE",
        `${name} is ${JSON.stringify(actual[name.toLowerCase()] ?? actual[name] ?? null)} but should be ${JSON.stringify(value)}; run \`git-seal unlock\` to refresh the filter configuration`,
      );
    }
  }
}
