/**
 * Where git-seal reports what a caller may want to know but that is no failure (a plaintext
 * blob in an encrypted path, rerere keeping conflicted plaintext). `console` fits, and so
 * does the AWS SDK's logger. Silent unless given.
 */
export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

const nothing = () => {};

/** The default: says nothing. */
export const silentLogger: Logger = {
  debug: nothing,
  info: nothing,
  warn: nothing,
  error: nothing,
};

/** A logger that writes `git-seal: <message>` lines to stderr, as git's own filters do. */
export function stderrLogger(prefix = "git-seal"): Logger {
  const line = (...args: unknown[]) =>
    process.stderr.write(
      `${prefix}: ${args.map((a) => (typeof a === "string" ? a : String(a))).join(" ")}\n`,
    );
  return { debug: nothing, info: line, warn: line, error: line };
}
