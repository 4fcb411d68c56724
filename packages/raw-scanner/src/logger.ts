/**
 * Where the scanner reports what a user may want to know (skipped reserved blocks, probes given
 * up, discarded self-connects). `console` fits, as does the AWS SDK's logger. Silent by default:
 * nothing is printed unless a logger is given.
 */
export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}
