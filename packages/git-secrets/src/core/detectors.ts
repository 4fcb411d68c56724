/**
 * Secret detectors for the leak guard and `scan`: the well-known credential shapes (the AWS
 * patterns of awslabs' git-secrets, private key blocks, GitHub/Slack/Stripe/Google tokens),
 * high-entropy values assigned to secret-sounding names, plus patterns of your own. Pure: bytes
 * in, findings out. A finding never carries the secret itself, only a redacted preview.
 *
 * The content is searched as bytes: each rule's literal hints are found with `Buffer#indexOf`
 * (native, memchr-fast), and only the lines around a hit are decoded (latin1, one byte per
 * character) for the rule's regular expression. Decoding whole files was most of the cost.
 */
export interface SecretRule {
  /** A stable id, e.g. `aws-access-key-id`. */
  id: string;
  description: string;
  /** Global regex; group 1, when present, is the secret part. */
  pattern: RegExp;
  /**
   * Literal strings (ASCII) of which every match holds one on the line where the match starts;
   * looked for case-insensitively when `pattern` has the `i` flag. Only lines holding one are
   * decoded and matched, together with the next two lines that hold more than whitespace (a
   * match may run on across whitespace, e.g. `key =` at the end of a line and the value on the
   * next). Without hints the regex runs over the whole content.
   * @defaultValue none
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
    hint: ["A3T", "AKIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "ASIA"],
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
    hint: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
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
    // "ken" stands for "token": a search starting at a rare letter skips faster than at a "t".
    hint: ["secret", "ken", "passw", "pwd", "credential", "key"],
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
  return bufferOf(data).subarray(0, 8000).indexOf(0) !== -1;
}

function bufferOf(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
}

/** Likely secrets in `data` (binary content is skipped, as git does for diffs). */
export function findSecrets(
  data: Uint8Array,
  path: string,
  rules: readonly SecretRule[],
  allowed: readonly RegExp[] = [],
): SecretFinding[] {
  if (data.length === 0 || isBinary(data)) return [];
  const content = new Content(bufferOf(data));
  const findings: SecretFinding[] = [];
  const report = (rule: SecretRule, m: RegExpExecArray, offset: number, lineText: string) => {
    const secret = m[1] ?? m[0];
    if (rule.accept && !rule.accept(secret)) return;
    if (lineText.includes("git-seal:allow") || allowed.some((a) => a.test(lineText))) return;
    findings.push({
      rule: rule.id,
      description: rule.description,
      path,
      line: content.lineOf(offset),
      redacted: redact(secret),
    });
  };
  for (const rule of rules) {
    if (rule.hint && rule.hint.length > 0) matchAroundHints(content, rule, report);
    else matchWhole(content, rule, report);
  }
  // A generic finding on a line a specific rule already named says nothing new.
  const named = new Set(findings.filter((f) => f.rule !== "generic-secret").map((f) => f.line));
  return findings
    .filter((f) => f.rule !== "generic-secret" || !named.has(f.line))
    .sort((a, b) => a.line - b.line || a.rule.localeCompare(b.rule));
}

type Report = (rule: SecretRule, m: RegExpExecArray, offset: number, lineText: string) => void;

/** The bytes being scanned, with what is derived from them made once and only when needed. */
class Content {
  private lowered: Buffer | undefined;
  private readonly found = new Map<string, number[]>();
  private text: string | undefined;
  private lineStarts: number[] | undefined;
  constructor(readonly bytes: Buffer) {}

  /** ASCII letters lower-cased, every other byte kept: for case-insensitive hints. */
  lower(): Buffer {
    this.lowered ??= lowerAscii(this.bytes);
    return this.lowered;
  }

  /** Where `needle` occurs (in the lower-cased bytes when `ignoreCase`), made once per needle. */
  hits(needle: string, ignoreCase: boolean): readonly number[] {
    const key = `${ignoreCase ? "i" : "c"}${needle}`;
    let found = this.found.get(key);
    if (!found) {
      const haystack = ignoreCase ? this.lower() : this.bytes;
      const bytes = needleOf(ignoreCase ? needle.toLowerCase() : needle);
      found = [];
      for (let i = haystack.indexOf(bytes); i >= 0; i = haystack.indexOf(bytes, i + 1)) {
        found.push(i);
      }
      this.found.set(key, found);
    }
    return found;
  }

  /** The whole content as latin1 text (one character per byte, so offsets agree). */
  whole(): string {
    this.text ??= this.bytes.toString("latin1");
    return this.text;
  }

  /** 1-based line of a byte offset. */
  lineOf(offset: number): number {
    if (!this.lineStarts) {
      const starts = [0];
      const b = this.bytes;
      for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) starts.push(i + 1);
      this.lineStarts = starts;
    }
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

const needles = new Map<string, Buffer>();
/** A hint as bytes, made once (a string needle would be encoded again on every search). */
function needleOf(hint: string): Buffer {
  let needle = needles.get(hint);
  if (!needle) {
    needle = Buffer.from(hint, "latin1");
    needles.set(hint, needle);
  }
  return needle;
}

/** Reused between calls (findSecrets is synchronous); large inputs get their own. */
let scratch = new Uint32Array(1 << 16);
const KEEP_SCRATCH_WORDS = 1 << 21; // 8 MiB

/**
 * `bytes` with A–Z lower-cased, four bytes at a time (SWAR): a byte gets 0x20 added exactly
 * when it lies in 0x41–0x5A, which the carries of two additions on its low seven bits show.
 * One copy and one pass over 32-bit words: several times faster than a byte loop, and than
 * decoding the bytes to a string.
 */
function lowerAscii(bytes: Uint8Array): Buffer {
  const words = (bytes.length + 3) >>> 2;
  let w = scratch;
  if (w.length < words) {
    w = new Uint32Array(words);
    if (words <= KEEP_SCRATCH_WORDS) scratch = w;
  }
  const out = Buffer.from(w.buffer, 0, bytes.length);
  out.set(bytes);
  for (let i = 0; i < words; i++) {
    const x = w[i] as number;
    const low = x & 0x7f7f7f7f;
    // High bit of each byte: ≥ 0x41 (low + 0x3f carries), not ≥ 0x5b, and not a byte ≥ 0x80.
    const upper = (low + 0x3f3f3f3f) & ~(low + 0x25252525) & ~x & 0x80808080;
    w[i] = x | (upper >>> 2);
  }
  return out;
}

/** The whitespace of JavaScript's `\s` within latin1: tab, LF, VT, FF, CR, space, NBSP. */
function isSpace(byte: number): boolean {
  return (byte >= 0x09 && byte <= 0x0d) || byte === 0x20 || byte === 0xa0;
}

function matchWhole(content: Content, rule: SecretRule, report: Report): void {
  const text = content.whole();
  const pattern = rule.pattern;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    if (m[0].length === 0) {
      pattern.lastIndex++;
      continue;
    }
    const lineStart = text.lastIndexOf("\n", m.index) + 1;
    let lineEnd = text.indexOf("\n", m.index);
    if (lineEnd < 0) lineEnd = text.length;
    report(rule, m, m.index, text.slice(lineStart, lineEnd));
  }
}

/**
 * The rule's regex run only on the lines holding a hint, as if it ran over the whole content:
 * matches are taken in order and never overlap (each search resumes where the last match
 * ended), and a window reaches far enough for every match that starts on its first line.
 */
function matchAroundHints(content: Content, rule: SecretRule, report: Report): void {
  const bytes = content.bytes;
  const ignoreCase = rule.pattern.flags.includes("i");
  const hits: number[] = [];
  for (const hint of rule.hint as string[]) hits.push(...content.hits(hint, ignoreCase));
  if (hits.length === 0) return;
  hits.sort((a, b) => a - b);
  const pattern = rule.pattern;
  const length = bytes.length;
  let consumed = 0; // where the whole-content search would resume
  let lineEnd = -1;
  for (const hit of hits) {
    if (hit <= lineEnd) continue; // this line was matched already
    const lineStart = bytes.lastIndexOf(0x0a, hit) + 1;
    lineEnd = bytes.indexOf(0x0a, hit);
    if (lineEnd < 0) lineEnd = length;
    if (consumed > lineEnd) continue; // inside a match that ran on from an earlier line
    let end = lineEnd;
    for (let step = 0; step < 2 && end < length; step++) {
      let next = end;
      while (next < length && isSpace(bytes[next] as number)) next++;
      if (next >= length) {
        end = length;
        break;
      }
      end = bytes.indexOf(0x0a, next);
      if (end < 0) end = length;
    }
    const window = bytes.toString("latin1", lineStart, end);
    const lineLength = lineEnd - lineStart;
    pattern.lastIndex = Math.max(0, consumed - lineStart);
    for (
      let m = pattern.exec(window);
      m !== null && m.index <= lineLength;
      m = pattern.exec(window)
    ) {
      if (m[0].length === 0) {
        pattern.lastIndex++;
        continue;
      }
      consumed = lineStart + m.index + m[0].length;
      report(rule, m, lineStart + m.index, window.slice(0, lineLength));
    }
  }
}
