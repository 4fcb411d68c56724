import { GitSecretsError } from "../errors.js";

type YamlParse = (text: string) => unknown;
let yaml: Promise<YamlParse> | undefined;
/** The YAML parser is loaded on first use, so the filter process never pays for it. */
function loadYaml(): Promise<YamlParse> {
  yaml ??= import("yaml").then(
    (m) =>
      (m as { parse?: YamlParse }).parse ?? (m as { default: { parse: YamlParse } }).default.parse,
  );
  return yaml;
}

/** The configuration formats `config check` and `config resolve` read. */
export type ConfigFormat = "properties" | "env" | "json" | "yaml";

/** Flat key → value pairs, in file order. Nested JSON/YAML keys are joined with dots. */
export type ConfigEntries = Map<string, string>;

/** The format a file name stands for: `.properties`, `.env` (also `prod.env`, `.env.prod`), `.json`, `.yaml`/`.yml`. */
export function formatOf(path: string): ConfigFormat {
  const name = path.split("/").pop() ?? path;
  if (/\.properties$/i.test(name)) return "properties";
  if (/\.json$/i.test(name)) return "json";
  if (/\.ya?ml$/i.test(name)) return "yaml";
  if (/\.env$/i.test(name) || /^\.env(\.|$)/i.test(name)) return "env";
  throw new GitSecretsError(
    "INVALID_ARGUMENT",
    `${path}: unknown configuration format (use .properties, .env, .json, .yaml or .yml)`,
    { path },
  );
}

function bad(path: string, line: number, message: string): GitSecretsError {
  return new GitSecretsError("INVALID_ARGUMENT", `${path}:${line}: ${message}`, { path });
}

/** java.util.Properties#load: comments (# !), continuations, `=`/`:`/blank separators, escapes. */
export function parseProperties(text: string, path = "properties"): ConfigEntries {
  const entries: ConfigEntries = new Map();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let logical = (lines[i] as string).replace(/^[ \t\f]+/, "");
    if (logical === "" || logical.startsWith("#") || logical.startsWith("!")) continue;
    // A line ending in an odd number of backslashes continues on the next one.
    while (/(?:^|[^\\])(?:\\\\)*\\$/.test(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + (lines[++i] as string).replace(/^[ \t\f]+/, "");
    }
    let k = 0;
    let key = "";
    while (k < logical.length) {
      const c = logical[k] as string;
      if (c === "\\") {
        key += logical.slice(k, k + 2);
        k += 2;
        continue;
      }
      if (c === "=" || c === ":" || c === " " || c === "\t" || c === "\f") break;
      key += c;
      k++;
    }
    let rest = logical.slice(k).replace(/^[ \t\f]*/, "");
    if (rest.startsWith("=") || rest.startsWith(":")) rest = rest.slice(1).replace(/^[ \t\f]*/, "");
    entries.set(unescapeProperties(key, path, start), unescapeProperties(rest, path, start));
  }
  return entries;
}

function unescapeProperties(text: string, path: string, line: number): string {
  return text.replace(
    /\\(u([0-9a-fA-F]{0,4})|.)/g,
    (all, what: string, hex: string | undefined) => {
      if (what.startsWith("u") && hex !== undefined) {
        if (hex.length !== 4) throw bad(path, line, `malformed \\u escape "${all}"`);
        return String.fromCharCode(Number.parseInt(hex, 16));
      }
      return { t: "\t", n: "\n", r: "\r", f: "\f" }[what] ?? what;
    },
  );
}

/** dotenv: `KEY=value`, `export KEY=value`, # comments, single quotes literal, double quotes with escapes and newlines. */
export function parseDotenv(text: string, path = ".env"): ConfigEntries {
  const entries: ConfigEntries = new Map();
  const lines = text.split(/\r\n|\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(trimmed);
    if (!match)
      throw bad(path, i + 1, `expected KEY=value, got ${JSON.stringify(trimmed.slice(0, 40))}`);
    const key = match[1] as string;
    let value = match[2] as string;
    const quote = value[0];
    if (quote === '"' || quote === "'" || quote === "`") {
      let body = value.slice(1);
      const start = i + 1;
      while (!closes(body, quote)) {
        if (i + 1 >= lines.length) throw bad(path, start, `unterminated ${quote} quote`);
        body += `\n${lines[++i] as string}`;
      }
      const end = closingIndex(body, quote);
      value = body.slice(0, end);
      if (quote === '"') {
        value = value.replace(
          /\\([nrt"\\$])/g,
          (_, c: string) => ({ n: "\n", r: "\r", t: "\t" })[c] ?? c,
        );
      }
    } else {
      value = value.replace(/\s+#.*$/, "").trim();
    }
    entries.set(key, value);
  }
  return entries;
}

function closingIndex(body: string, quote: string): number {
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "\\" && quote === '"') {
      i++;
      continue;
    }
    if (body[i] === quote) return i;
  }
  return -1;
}

function closes(body: string, quote: string): boolean {
  return closingIndex(body, quote) >= 0;
}

function flatten(value: unknown, prefix: string, out: ConfigEntries): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      flatten(v, prefix ? `${prefix}.${k}` : k, out);
    }
    return;
  }
  if (prefix === "") return;
  out.set(prefix, typeof value === "string" ? value : JSON.stringify(value));
}

/** Any supported format, nested keys joined with dots, values as strings (JSON text for arrays). */
export async function parseConfig(
  text: string,
  format: ConfigFormat,
  path = "config",
): Promise<ConfigEntries> {
  if (format === "properties") return parseProperties(text, path);
  if (format === "env") return parseDotenv(text, path);
  let data: unknown;
  try {
    data = format === "json" ? JSON.parse(text) : (await loadYaml())(text);
  } catch (cause) {
    throw new GitSecretsError(
      "INVALID_ARGUMENT",
      `${path}: not valid ${format.toUpperCase()}: ${(cause as Error).message}`,
      { cause, path },
    );
  }
  if (data !== null && data !== undefined && (typeof data !== "object" || Array.isArray(data))) {
    throw new GitSecretsError(
      "INVALID_ARGUMENT",
      `${path}: the top level must be a mapping of keys`,
      { path },
    );
  }
  const out: ConfigEntries = new Map();
  flatten(data ?? {}, "", out);
  return out;
}

/**
 * A schema: the keys every environment must set (credentials, hosts) and the keys with
 * defaults that ship in the code.
 *
 * ```yaml
 * required:            # a list, or a mapping of key → description
 *   DB_PASSWORD: the database password
 * defaults:
 *   DB_PORT: 5432
 * ```
 */
export interface ConfigSchema {
  /** Keys that need an explicit value per environment, with an optional description. */
  required: Map<string, string>;
  /** Keys with a default that ships with the code. */
  defaults: ConfigEntries;
}

export async function parseSchema(text: string, path = "schema"): Promise<ConfigSchema> {
  const format = /\.json$/i.test(path) ? "json" : "yaml";
  let data: unknown;
  try {
    data = format === "json" ? JSON.parse(text) : (await loadYaml())(text);
  } catch (cause) {
    throw new GitSecretsError(
      "INVALID_ARGUMENT",
      `${path}: not a valid schema: ${(cause as Error).message}`,
      {
        cause,
        path,
      },
    );
  }
  const root = (data ?? {}) as { required?: unknown; defaults?: unknown };
  if (typeof root !== "object" || Array.isArray(root)) {
    throw new GitSecretsError(
      "INVALID_ARGUMENT",
      `${path}: a schema is a mapping with required and defaults`,
      { path },
    );
  }
  const required = new Map<string, string>();
  if (Array.isArray(root.required)) for (const k of root.required) required.set(String(k), "");
  else if (root.required && typeof root.required === "object") {
    for (const [k, v] of Object.entries(root.required)) required.set(k, v == null ? "" : String(v));
  } else if (root.required !== undefined) {
    throw new GitSecretsError("INVALID_ARGUMENT", `${path}: required must be a list or a mapping`, {
      path,
    });
  }
  const defaults: ConfigEntries = new Map();
  if (root.defaults !== undefined) {
    if (
      typeof root.defaults !== "object" ||
      root.defaults === null ||
      Array.isArray(root.defaults)
    ) {
      throw new GitSecretsError("INVALID_ARGUMENT", `${path}: defaults must be a mapping`, {
        path,
      });
    }
    flatten(root.defaults, "", defaults);
  }
  for (const key of required.keys()) {
    if (defaults.has(key)) {
      throw new GitSecretsError(
        "INVALID_ARGUMENT",
        `${path}: ${key} is both required and has a default`,
        { path },
      );
    }
  }
  return { required, defaults };
}

/** What one environment file lacks or adds, measured against the schema. */
export interface ConfigReport {
  path: string;
  /** Required keys the file does not set (or sets empty). */
  missing: string[];
  /** Keys neither required nor defaulted: typos, or keys the schema should list. */
  unknown: string[];
  /** Keys with a default that the file sets to another value. */
  overriding: string[];
}

export function checkEntries(
  schema: ConfigSchema,
  entries: ConfigEntries,
  path: string,
): ConfigReport {
  const missing = [...schema.required.keys()].filter((k) => (entries.get(k) ?? "") === "");
  const unknown = [...entries.keys()].filter(
    (k) => !schema.required.has(k) && !schema.defaults.has(k),
  );
  const overriding = [...entries.keys()].filter(
    (k) => schema.defaults.has(k) && schema.defaults.get(k) !== entries.get(k),
  );
  return { path, missing, unknown, overriding };
}

/** Defaults overridden by the environment's values. */
export function resolveEntries(schema: ConfigSchema, entries: ConfigEntries): ConfigEntries {
  const out: ConfigEntries = new Map(schema.defaults);
  for (const [k, v] of entries) out.set(k, v);
  return out;
}
