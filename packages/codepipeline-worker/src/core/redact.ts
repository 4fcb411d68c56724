import { inspect } from "node:util";
import type { Logger } from "./context.js";

/** The text that replaces a secret. */
export const REDACTED = "***";

/** Replaces every occurrence of each secret in `text`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** A logger that formats each argument to text and removes `secrets` before passing it on. */
export function redactingLogger(
  inner: Logger,
  secrets: readonly string[],
  prefix?: string,
): Logger {
  const wrap =
    (level: keyof Logger) =>
    (...args: unknown[]) => {
      if (secrets.length === 0 && prefix === undefined) {
        inner[level](...args);
        return;
      }
      const parts = args.map((a) =>
        redact(
          typeof a === "string"
            ? a
            : inspect(a, { depth: 6, breakLength: Number.POSITIVE_INFINITY }),
          secrets,
        ),
      );
      inner[level](...(prefix === undefined ? parts : [prefix, ...parts]));
    };
  return { debug: wrap("debug"), info: wrap("info"), warn: wrap("warn"), error: wrap("error") };
}

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
