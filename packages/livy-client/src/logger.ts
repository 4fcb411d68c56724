/**
 * The logger every `@tinkerbox` package accepts: `console`, pino, winston and the AWS SDK v3
 * logger fit. Optional everywhere; without one nothing is printed.
 */
export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}
