import { inspect } from "node:util";
import type { Logger } from "./context.js";

/** The text that replaces a secret. */
export const REDACTED = "***";

/**
 * Every form in which `secret` can show up in text: raw, URL-encoded (`encodeURIComponent`
 * and form encoding with `+` for space), JSON-escaped (once and twice, for JSON inside JSON),
 * `util.inspect`-escaped, and base64 (standard, unpadded and URL-safe).
 */
export function secretForms(secret: string): string[] {
  if (secret.length === 0) return [];
  const json = JSON.stringify(secret).slice(1, -1);
  const base64 = Buffer.from(secret, "utf8").toString("base64");
  const forms = [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    json,
    JSON.stringify(json).slice(1, -1),
    inspect(secret).slice(1, -1),
    base64,
    base64.replace(/=+$/, ""),
    Buffer.from(secret, "utf8").toString("base64url"),
  ];
  // Base64 of a value inside a longer text ("user:secret") depends on its offset mod 3 and on
  // the bytes around it: cover each alignment by the characters that encode only its own bytes
  // (at least 8, so nothing short is matched).
  const bytes = Buffer.byteLength(secret, "utf8");
  for (const pad of ["", "a", "aa"]) {
    const encoded = Buffer.from(pad + secret, "utf8").toString("base64");
    const stable = encoded.slice(pad ? 4 : 0, Math.floor((pad.length + bytes) / 3) * 4);
    if (stable.length >= 8) forms.push(stable);
  }
  return [...new Set(forms.filter((f) => f.length > 0))];
}

/** All forms of all `secrets`, longest first (so a longer form is replaced before a part of it). */
export function expandSecrets(secrets: readonly string[]): string[] {
  return [...new Set(secrets.flatMap(secretForms))].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of each secret, in each of its encoded forms, in `text`. */
export function redact(text: string, secrets: readonly string[]): string {
  return redactForms(text, expandSecrets(secrets));
}

function redactForms(text: string, forms: readonly string[]): string {
  let out = text;
  for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
  return out;
}

/** Redacts secrets in every string of a JSON-like value (objects, arrays), keeping its shape. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  const forms = expandSecrets(secrets);
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return redactForms(v, forms);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object" && !(v instanceof Date)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}

/**
 * A logger that formats each argument to text (objects and errors with `util.inspect`, so nested
 * values, causes and stacks are included) and removes `secrets` in every encoded form before
 * passing it on. `secrets` is read on every call, so values added later (refreshed artifact
 * credentials) are redacted too.
 */
export function redactingLogger(
  inner: Logger,
  secrets: readonly string[],
  prefix?: string,
): Logger {
  let cachedFor = "";
  let forms: string[] = [];
  const wrap =
    (level: keyof Logger) =>
    (...args: unknown[]) => {
      if (secrets.length === 0 && prefix === undefined) {
        inner[level](...args);
        return;
      }
      const key = secrets.join("\u0000");
      if (key !== cachedFor) {
        forms = expandSecrets(secrets);
        cachedFor = key;
      }
      const parts = args.map((a) =>
        redactForms(
          typeof a === "string"
            ? a
            : inspect(a, { depth: 6, breakLength: Number.POSITIVE_INFINITY }),
          forms,
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
