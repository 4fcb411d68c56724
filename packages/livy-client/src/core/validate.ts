import { LivyError } from "../errors.js";
import type {
  CompletionRequest,
  CreateBatchRequest,
  CreateSessionRequest,
  PageOptions,
  RunStatementRequest,
} from "./types.js";

// Requests are checked before anything is sent, so a typo in a field name or a number passed as a
// string fails here with the field named, instead of as an opaque 400 (or worse, a job that runs
// with a default) on the cluster.

// Livy's Kind accepts the aliases `scala`, `python` and `r` (org.apache.livy.sessions.Kind).
const STATEMENT_KINDS = ["spark", "scala", "pyspark", "python", "sparkr", "r", "sql", "javascript"];
const SESSION_KINDS = [...STATEMENT_KINDS, "shared"];

const RESOURCE_FIELDS = {
  proxyUser: "string",
  jars: "string[]",
  pyFiles: "string[]",
  files: "string[]",
  driverMemory: "memory",
  driverCores: "count",
  executorMemory: "memory",
  executorCores: "count",
  numExecutors: "count",
  archives: "string[]",
  queue: "string",
  name: "string",
  conf: "conf",
} as const;

const BATCH_FIELDS = {
  ...RESOURCE_FIELDS,
  file: "string",
  className: "string",
  args: "string[]",
} as const;

const SESSION_FIELDS = {
  ...RESOURCE_FIELDS,
  kind: "kind",
  heartbeatTimeoutInSecond: "nonNegative",
  ttl: "duration",
} as const;

type FieldType =
  | "string"
  | "string[]"
  | "memory"
  | "count"
  | "nonNegative"
  | "conf"
  | "kind"
  | "duration";

function invalid(field: string, message: string): LivyError {
  return new LivyError("INVALID_ARGUMENT", `Invalid ${field}: ${message}`, { field });
}

function checkField(field: string, type: FieldType, value: unknown): void {
  switch (type) {
    case "string":
      if (typeof value !== "string" || value.length === 0)
        throw invalid(field, `expected a non-empty string, got ${describe(value)}`);
      return;
    case "string[]":
      if (!Array.isArray(value))
        throw invalid(field, `expected an array of strings, got ${describe(value)}`);
      value.forEach((item, index) => {
        if (typeof item !== "string")
          throw invalid(`${field}[${index}]`, `expected a string, got ${describe(item)}`);
      });
      return;
    case "memory":
      // Spark memory strings: a number with an optional unit (k, m, g, t, p; optional trailing b).
      if (typeof value !== "string" || !/^\d+[kmgtp]?b?$/i.test(value))
        throw invalid(
          field,
          `expected a Spark memory size such as "512m" or "4g", got ${describe(value)}`,
        );
      return;
    case "count":
      if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
        throw invalid(field, `expected a positive integer, got ${describe(value)}`);
      return;
    case "nonNegative":
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0)
        throw invalid(field, `expected a non-negative integer, got ${describe(value)}`);
      return;
    case "duration":
      if (typeof value !== "string" || !/^\d+(ms|s|m|min|h|d)?$/.test(value))
        throw invalid(field, `expected a duration such as "30m" or "2h", got ${describe(value)}`);
      return;
    case "conf":
      if (typeof value !== "object" || value === null || Array.isArray(value))
        throw invalid(field, `expected an object of string values, got ${describe(value)}`);
      for (const [key, item] of Object.entries(value)) {
        if (typeof item !== "string")
          throw invalid(
            `${field}.${key}`,
            `expected a string (Spark conf values are strings), got ${describe(item)}`,
          );
      }
      return;
    case "kind":
      if (typeof value !== "string" || !SESSION_KINDS.includes(value))
        throw invalid(field, `expected one of ${SESSION_KINDS.join(", ")}, got ${describe(value)}`);
      return;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string")
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

function checkObject(
  what: string,
  request: unknown,
  fields: Record<string, FieldType>,
  required: string[],
): Record<string, unknown> {
  if (typeof request !== "object" || request === null || Array.isArray(request))
    throw invalid(what, `expected an object, got ${describe(request)}`);
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request)) {
    const type = fields[key];
    if (!type) {
      throw invalid(key, `unknown ${what} field (known: ${Object.keys(fields).join(", ")})`);
    }
    // Fields left undefined are not sent: older servers reject fields they do not know.
    if (value === undefined) continue;
    checkField(key, type, value);
    body[key] = value;
  }
  for (const key of required) {
    if (body[key] === undefined) throw invalid(key, `${what} field is required`);
  }
  return body;
}

/** Checks a batch request and returns the JSON body to send. Throws `INVALID_ARGUMENT`. */
export function validateBatchRequest(request: CreateBatchRequest): Record<string, unknown> {
  return checkObject("batch", request, BATCH_FIELDS, ["file"]);
}

/** Checks a session request and returns the JSON body to send. Throws `INVALID_ARGUMENT`. */
export function validateSessionRequest(request: CreateSessionRequest): Record<string, unknown> {
  return checkObject("session", request, SESSION_FIELDS, []);
}

/** Checks a statement request. Throws `INVALID_ARGUMENT`. */
export function validateStatementRequest(request: RunStatementRequest): Record<string, unknown> {
  if (typeof request?.code !== "string" || request.code.trim() === "")
    throw invalid("code", `expected non-empty code, got ${describe(request?.code)}`);
  const body: Record<string, unknown> = { code: request.code };
  if (request.kind !== undefined) {
    if (!STATEMENT_KINDS.includes(request.kind))
      throw invalid(
        "kind",
        `expected one of ${STATEMENT_KINDS.join(", ")}, got ${describe(request.kind)}`,
      );
    body.kind = request.kind;
  }
  return body;
}

/** Checks a completion request. Throws `INVALID_ARGUMENT`. */
export function validateCompletionRequest(request: CompletionRequest): Record<string, unknown> {
  if (typeof request?.code !== "string")
    throw invalid("code", `expected a string, got ${describe(request?.code)}`);
  if (!STATEMENT_KINDS.includes(request.kind))
    throw invalid(
      "kind",
      `expected one of ${STATEMENT_KINDS.join(", ")}, got ${describe(request.kind)}`,
    );
  if (
    !Number.isInteger(request.cursor) ||
    request.cursor < 0 ||
    request.cursor > request.code.length
  )
    throw invalid(
      "cursor",
      `expected an integer between 0 and ${request.code.length}, got ${describe(request.cursor)}`,
    );
  return { code: request.code, kind: request.kind, cursor: request.cursor };
}

/** Checks an id (batch, session, statement). Throws `INVALID_ARGUMENT`. */
export function validateId(field: string, id: unknown): number {
  if (typeof id !== "number" || !Number.isInteger(id) || id < 0)
    throw invalid(field, `expected a non-negative integer id, got ${describe(id)}`);
  return id;
}

/** Turns paging options into query parameters. Throws `INVALID_ARGUMENT`. */
export function pageQuery(options: PageOptions | undefined): Record<string, string> {
  const query: Record<string, string> = {};
  if (options?.from !== undefined) {
    if (!Number.isInteger(options.from) || options.from < 0)
      throw invalid("from", `expected a non-negative integer, got ${describe(options.from)}`);
    query.from = String(options.from);
  }
  if (options?.size !== undefined) {
    if (!Number.isInteger(options.size) || options.size < 0)
      throw invalid("size", `expected a non-negative integer, got ${describe(options.size)}`);
    query.size = String(options.size);
  }
  return query;
}
