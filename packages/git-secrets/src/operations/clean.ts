import { type GitOptions, runGit, splitNul } from "../adapters/git.js";
import { GitSecretsError } from "../errors.js";

/** Tracked files with staged or unstaged changes (`git status -uno`). */
export async function uncommittedPaths(top: string, git: GitOptions): Promise<string[]> {
  const { stdout } = await runGit(
    top,
    ["status", "--porcelain=v1", "-z", "--untracked-files=no"],
    git,
  );
  const paths: string[] = [];
  const records = splitNul(stdout);
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as string;
    paths.push(record.slice(3));
    if (record[0] === "R" || record[0] === "C") i++; // the rename's source follows
  }
  return paths;
}

/** Refuses with `UNCOMMITTED_CHANGES` unless the tracked files are committed. */
export async function checkClean(top: string, git: GitOptions, action: string): Promise<void> {
  const changed = await uncommittedPaths(top, git);
  if (changed.length === 0) return;
  const shown =
    changed.slice(0, 10).join(", ") + (changed.length > 10 ? `, … (${changed.length} files)` : "");
  throw new GitSecretsError(
    "UNCOMMITTED_CHANGES",
    `cannot ${action}: the work tree has uncommitted changes (${shown}); commit or stash them, or force`,
    { paths: changed },
  );
}
