import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { type GitOptions, runGit } from "./git.js";

/**
 * rerere ("reuse recorded resolution") keeps the pre- and post-image of every conflicted file
 * in `.git/rr-cache`, outside the object database, so conflicts in encrypted files leave
 * their plaintext there. git turns it on with `rerere.enabled`, or by default when the
 * rr-cache directory exists (git-config(1)).
 */
export async function rerereEnabled(
  top: string,
  gitDir: string,
  git: GitOptions,
): Promise<boolean> {
  const { stdout, code } = await runGit(top, ["config", "--bool", "--get", "rerere.enabled"], {
    ...git,
    allowFailure: true,
  });
  if (code === 0) return stdout.toString("utf8").trim() === "true";
  return existsSync(join(gitDir, "rr-cache"));
}

/** The warning for a repository with encrypted files and rerere on, or none. */
export async function rerereWarnings(
  repo: { top: string; gitDir: string; git: GitOptions },
  hasEncrypted: boolean,
): Promise<string[]> {
  if (!hasEncrypted || !(await rerereEnabled(repo.top, repo.gitDir, repo.git))) return [];
  return [
    "rerere is enabled: it keeps the plaintext of conflicted encrypted files in .git/rr-cache, outside git's objects. Turn it off with git-seal unlock --disable-rerere (or git config rerere.enabled false && rm -rf .git/rr-cache)",
  ];
}

/** Turns rerere off for the repository and removes its cache. */
export async function disableRerere(
  repo: { top: string; gitDir: string },
  git: GitOptions,
): Promise<void> {
  await runGit(repo.top, ["config", "--local", "rerere.enabled", "false"], git);
  await rm(join(repo.gitDir, "rr-cache"), { recursive: true, force: true });
}
