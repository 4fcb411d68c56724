import { type GitOptions, type RepoPaths, repoPaths } from "../adapters/git.js";
import { type Logger, silentLogger } from "../logger.js";

/** Options every repository operation takes. */
export interface RepoOptions extends GitOptions {
  /**
   * A directory inside the repository's work tree.
   * @defaultValue `process.cwd()`
   */
  dir?: string | undefined;
  /**
   * Receives warnings (plaintext in an encrypted path, rerere enabled, …).
   * @defaultValue silent
   */
  logger?: Logger | undefined;
}

/** Options of the operations that write the filter configuration or check it. */
export interface CommandOptions {
  /**
   * The shell command git runs to reach git-seal, written into `filter.<name>.process` and
   * friends. The CLI passes its own path.
   * @defaultValue `"<node>" "<this install's dist/cli.cjs>"`, falling back to `git-seal` on PATH
   */
  command?: string | undefined;
}

export function gitOptions(options: RepoOptions): GitOptions {
  return { git: options.git, env: options.env, signal: options.signal };
}

export function loggerOf(options: { logger?: Logger | undefined }): Logger {
  return options.logger ?? silentLogger;
}

export async function openRepo(options: RepoOptions): Promise<RepoPaths & { git: GitOptions }> {
  const git = gitOptions(options);
  const paths = await repoPaths(options.dir ?? process.cwd(), git);
  return { ...paths, git };
}
