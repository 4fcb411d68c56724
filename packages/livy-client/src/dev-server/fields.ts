import { HttpFailure } from "./http.js";

/** Field types of Livy's request classes, as Jackson reads them. */
export type FieldType = "string" | "string[]" | "int" | "conf";

/** One of Livy's request classes: its Java class name (for messages) and fields. */
export interface RequestClass {
  className: string;
  fields: Record<string, FieldType>;
}

export const CREATE_BATCH_REQUEST: RequestClass = {
  className: "org.apache.livy.server.batch.CreateBatchRequest",
  fields: {
    file: "string",
    proxyUser: "string",
    className: "string",
    args: "string[]",
    jars: "string[]",
    pyFiles: "string[]",
    files: "string[]",
    driverMemory: "string",
    driverCores: "int",
    executorMemory: "string",
    executorCores: "int",
    numExecutors: "int",
    archives: "string[]",
    queue: "string",
    name: "string",
    conf: "conf",
  },
};

export const CREATE_SESSION_REQUEST: RequestClass = {
  className: "org.apache.livy.server.interactive.CreateInteractiveRequest",
  fields: {
    kind: "string",
    proxyUser: "string",
    jars: "string[]",
    pyFiles: "string[]",
    files: "string[]",
    driverMemory: "string",
    driverCores: "int",
    executorMemory: "string",
    executorCores: "int",
    numExecutors: "int",
    archives: "string[]",
    queue: "string",
    name: "string",
    conf: "conf",
    heartbeatTimeoutInSecond: "int",
    ttl: "string",
  },
};

export const EXECUTE_REQUEST: RequestClass = {
  className: "org.apache.livy.server.interactive.ExecuteRequest",
  fields: { code: "string", kind: "string" },
};

export const COMPLETION_REQUEST: RequestClass = {
  className: "org.apache.livy.server.interactive.CompletionRequest",
  fields: { code: "string", kind: "string", cursor: "int" },
};

const SOURCE = " at [Source: (org.eclipse.jetty.server.HttpInputOverHTTP); line: 1";

/**
 * Parses a JSON body like Jackson: malformed JSON, an empty body and unknown fields are 400 with
 * Jackson's message as a bare JSON string (Livy's JsonServlet answers `BadRequest(e.getMessage)`);
 * scalars are coerced as Jackson's defaults do (`"2"` → 2 for an int, 2 → `"2"` for a string,
 * 2.7 → 2 for an int).
 */
export function parseRequest(text: string, type: RequestClass): Record<string, unknown> {
  if (text.trim() === "") {
    throw new HttpFailure(
      400,
      `No content to map due to end-of-input\n${SOURCE}, column: 0]`,
      "string",
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new HttpFailure(400, malformedMessage(text, error as Error), "string");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpFailure(
      400,
      `Cannot deserialize value of type \`${type.className}\` from ${Array.isArray(body) ? "Array value (token `JsonToken.START_ARRAY`)" : `${describe(body)}`}\n${SOURCE}, column: 1]`,
      "string",
    );
  }
  const out: Record<string, unknown> = {};
  const known = Object.keys(type.fields);
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const fieldType = type.fields[key];
    if (!fieldType) {
      throw new HttpFailure(
        400,
        `Unrecognized field "${key}" (class ${type.className}), not marked as ignorable (${known.length} known properties: ${known.map((k) => `"${k}"`).join(", ")})\n${SOURCE}] (through reference chain: ${type.className}["${key}"])`,
        "string",
      );
    }
    if (value === null) continue;
    out[key] = coerce(value, fieldType, `${type.className}["${key}"]`);
  }
  return out;
}

function coerce(value: unknown, type: FieldType, where: string): unknown {
  const fail = (target: string): never => {
    throw new HttpFailure(
      400,
      `Cannot deserialize value of type \`${target}\` from ${describe(value)}\n${SOURCE}] (through reference chain: ${where})`,
      "string",
    );
  };
  switch (type) {
    case "string":
      if (typeof value === "string") return value;
      if (typeof value === "number" || typeof value === "boolean") return String(value);
      return fail("java.lang.String");
    case "int": {
      if (typeof value === "number" && Number.isFinite(value))
        return int32(Math.trunc(value), fail);
      if (typeof value === "string" && /^\s*[-+]?\d+\s*$/.test(value))
        return int32(Number(value.trim()), fail);
      return fail("int");
    }
    case "string[]":
      if (!Array.isArray(value)) return fail("scala.collection.immutable.List<java.lang.String>");
      return value.map((item) => coerce(item, "string", where));
    case "conf": {
      if (typeof value !== "object" || Array.isArray(value))
        return fail("scala.collection.immutable.Map<java.lang.String,java.lang.String>");
      const conf: Record<string, string> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (item !== null) conf[key] = coerce(item, "string", where) as string;
      }
      return conf;
    }
  }
}

function int32(value: number, fail: (target: string) => never): number {
  return value >= -2147483648 && value <= 2147483647 ? value : fail("int");
}

function describe(value: unknown): string {
  if (typeof value === "string") return `String ${JSON.stringify(value)}`;
  if (typeof value === "number") return `Number ${value}`;
  if (typeof value === "boolean")
    return `Boolean value (token \`JsonToken.VALUE_${String(value).toUpperCase()}\`)`;
  if (Array.isArray(value)) return "Array value (token `JsonToken.START_ARRAY`)";
  if (value === null) return "Null value";
  return "Object value (token `JsonToken.START_OBJECT`)";
}

function malformedMessage(text: string, error: Error): string {
  // V8 names the offending position ("… in JSON at position 7"); Jackson names the character.
  const position = /position (\d+)/.exec(error.message);
  const token = /Unexpected token '?(.)'?,/.exec(error.message)?.[1];
  const at = position ? Number(position[1]) : token ? outsideStrings(text, token) : -1;
  if (at < 0 || at >= text.length) {
    return `Unexpected end-of-input: expected close marker\n${SOURCE}, column: ${text.length + 1}]`;
  }
  const ch = text[at]!;
  return `Unexpected character ('${ch}' (code ${ch.charCodeAt(0)})): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n${SOURCE}, column: ${at + 1}]`;
}

/** The first index of `char` outside JSON string literals, or -1. */
function outsideStrings(text: string, char: string): number {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === char) return i;
    else if (c === '"') inString = true;
  }
  return -1;
}

/** Livy's session kinds and their aliases (`org.apache.livy.sessions.Kind`), plus the dev-only `javascript`. */
export function canonicalKind(kind: string): string {
  const aliases: Record<string, string> = {
    spark: "spark",
    scala: "spark",
    pyspark: "pyspark",
    python: "pyspark",
    sparkr: "sparkr",
    r: "sparkr",
    sql: "sql",
    shared: "shared",
    javascript: "javascript",
  };
  const canonical = aliases[kind];
  if (!canonical) throw new HttpFailure(400, `Invalid kind: ${kind}`);
  return canonical;
}
