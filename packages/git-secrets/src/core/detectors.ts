/**
 * Secret detectors for the leak guard and `scan`: the well-known credential shapes (the AWS
 * patterns of awslabs' git-secrets, private key blocks, GitHub/Slack/Stripe/Google tokens),
 * high-entropy values assigned to secret-sounding names, plus patterns of your own. Pure: text
 * in, findings out. A finding never carries the secret itself, only a redacted preview.
 */
export interface SecretRule {
  /** A stable id, e.g. `aws-access-key-id`. */
  id: string;
  description: string;
  /** Global regex; group 1, when present, is the secret part. */
  pattern: RegExp;
  /**
   * A cheap substring test before the regex runs: lower-case words, also looked for in upper
   * case and capitalised (no lower-casing of the whole text, which costs more than the regexes).
   */
  hint?: string[] | undefined;
  /** Extra check of the secret part (entropy of generic values). */
  accept?: ((secret: string) => boolean) | undefined;
}

/** One likely secret. */
export interface SecretFinding {
  rule: string;
  description: string;
  path: string;
  /** 1-based line. */
  line: number;
  /** The first 4 characters, then `…` and the length: enough to find it, not enough to use it. */
  redacted: string;
}

/** Shannon entropy of `text` in bits per character. */
export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function highEntropy(secret: string): boolean {
  if (/^[a-z]+$|^[A-Z]+$|^\d+$/.test(secret)) return false; // one character class: words, numbers
  if (/^\$\{?[A-Za-z_]|^%\(|^<|^\{\{/.test(secret)) return false; // placeholders, templates
  // Code that reads the secret from elsewhere: process.env.KEY, os.environ["KEY"], getenv("KEY").
  if (/^[A-Za-z_$][\w$]*(?:\.[\w$]+)+$/.test(secret) || /[([]/.test(secret)) return false;
  const threshold = /^[0-9a-f]+$/i.test(secret) ? 3.0 : 3.5;
  return shannonEntropy(secret) >= threshold;
}

/** The built-in rules. */
export const DEFAULT_RULES: readonly SecretRule[] = [
  {
    id: "aws-access-key-id",
    description: "AWS access key id",
    pattern: /\b((?:A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16})\b/g,
  },
  {
    id: "aws-secret-access-key",
    description: "AWS secret access key",
    pattern:
      /(?:aws)?_?(?:secret)_?(?:access)?_?key["']?\s*(?::|=>|=)\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    hint: ["secret"],
  },
  {
    id: "private-key",
    description: "private key block",
    pattern: /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----/g,
    hint: ["PRIVATE KEY"],
  },
  {
    id: "github-token",
    description: "GitHub token",
    pattern: /\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{82})\b/g,
    hint: ["gh", "github_pat_"],
  },
  {
    id: "slack-token",
    description: "Slack token",
    pattern: /\b(xox[abposr]-[0-9A-Za-z-]{10,})\b/g,
    hint: ["xox"],
  },
  {
    id: "stripe-secret-key",
    description: "Stripe secret key",
    pattern: /\b((?:sk|rk)_live_[0-9A-Za-z]{24,})\b/g,
    hint: ["_live_"],
  },
  {
    id: "google-api-key",
    description: "Google API key",
    pattern: /\b(AIza[0-9A-Za-z_-]{35})\b/g,
    hint: ["AIza"],
  },
  {
    id: "generic-secret",
    description: "high-entropy value assigned to a secret-sounding name",
    pattern:
      /(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|access[_-]?key|credential|auth[_-]?key|private[_-]?key)[A-Za-z0-9_.-]*["']?\s*(?::|=>|=|:=)\s*["'`]?([^\s"'`,;]{16,})/gi,
    hint: ["secret", "token", "pass", "pwd", "key", "credential"],
    accept: highEntropy,
  },
];

/** Options of {@link findSecrets}. */
export interface DetectOptions {
  /**
   * Rules to use.
   * @defaultValue {@link DEFAULT_RULES} plus `extraPatterns`
   */
  rules?: readonly SecretRule[] | undefined;
  /**
   * More patterns (regex sources), like awslabs' `git secrets --add`; the whole match is the secret.
   * @defaultValue none
   */
  extraPatterns?: readonly string[] | undefined;
  /**
   * Regex sources of allowed matches (`git secrets --add --allowed`): a finding whose line
   * matches one is dropped. A line holding `git-seal:allow` is always allowed.
   * @defaultValue none
   */
  allowed?: readonly string[] | undefined;
}

export function rulesFor(options: DetectOptions = {}): SecretRule[] {
  const rules = [...(options.rules ?? DEFAULT_RULES)];
  for (const [i, source] of (options.extraPatterns ?? []).entries()) {
    rules.push({
      id: `custom-${i + 1}`,
      description: `custom pattern ${source}`,
      pattern: new RegExp(source, "g"),
    });
  }
  return rules;
}

export function redact(secret: string): string {
  return `${secret.slice(0, 4)}…(${secret.length} chars)`;
}

/** True for content git would call binary: a NUL byte in the first 8000 bytes. */
export function isBinary(data: Uint8Array): boolean {
  const end = Math.min(data.length, 8000);
  for (let i = 0; i < end; i++) if (data[i] === 0) return true;
  return false;
}

/** Likely secrets in `data` (binary content is skipped, as git does for diffs). */
export function findSecrets(
  data: Uint8Array,
  path: string,
  rules: readonly SecretRule[],
  allowed: readonly RegExp[] = [],
): SecretFinding[] {
  if (data.length === 0 || isBinary(data)) return [];
  const text = Buffer.from(data.buffer, data.byteOffset, data.length).toString("latin1");
  const findings: SecretFinding[] = [];
  let lineStarts: number[] | undefined;
  for (const rule of rules) {
    if (rule.hint && !rule.hint.some((h) => mentions(text, h))) continue;
    rule.pattern.lastIndex = 0;
    for (let m = rule.pattern.exec(text); m !== null; m = rule.pattern.exec(text)) {
      if (m[0].length === 0) {
        rule.pattern.lastIndex++;
        continue;
      }
      const secret = m[1] ?? m[0];
      if (rule.accept && !rule.accept(secret)) continue;
      const lineStart = text.lastIndexOf("\n", m.index) + 1;
      let lineEnd = text.indexOf("\n", m.index);
      if (lineEnd < 0) lineEnd = text.length;
      const lineText = text.slice(lineStart, lineEnd);
      if (lineText.includes("git-seal:allow") || allowed.some((a) => a.test(lineText))) continue;
      lineStarts ??= starts(text);
      findings.push({
        rule: rule.id,
        description: rule.description,
        path,
        line: lineOf(lineStarts, m.index),
        redacted: redact(secret),
      });
    }
  }
  // A generic finding on a line a specific rule already named says nothing new.
  const named = new Set(findings.filter((f) => f.rule !== "generic-secret").map((f) => f.line));
  return findings
    .filter((f) => f.rule !== "generic-secret" || !named.has(f.line))
    .sort((a, b) => a.line - b.line || a.rule.localeCompare(b.rule));
}

const seen = new Map<string, string[]>();
function mentions(text: string, word: string): boolean {
  let variants = seen.get(word);
  if (!variants) {
    variants = [
      ...new Set([word, word.toUpperCase(), (word[0] ?? "").toUpperCase() + word.slice(1)]),
    ];
    seen.set(word, variants);
  }
  return variants.some((v) => text.includes(v));
}

function starts(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) out.push(i + 1);
  return out;
}

function lineOf(lineStarts: number[], offset: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lineStarts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
