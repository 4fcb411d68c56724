import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isLivyError, LivyError, type LivyErrorCode } from "../src/index.js";

// The code table as the README documents it, written out: a code added to the type without a
// row (or a row without the code) fails here.
const DOCUMENTED: LivyErrorCode[] = [
  "INVALID_ARGUMENT",
  "INVALID_URL",
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "RATE_LIMITED",
  "SERVER_ERROR",
  "HTTP_ERROR",
  "INVALID_RESPONSE",
  "NETWORK",
  "TIMEOUT",
  "ABORTED",
  "BATCH_FAILED",
  "BATCH_REPLACED",
  "INVALID_PIPELINE",
  "SESSION_FAILED",
  "STATEMENT_FAILED",
  "STATEMENT_CANCELLED",
  "AWS_ERROR",
];

describe("LivyError", () => {
  it("has one documented code table, the isLivyError guard and the retryable rule", () => {
    const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");
    const rows = readme.slice(readme.indexOf("### Error codes"), readme.indexOf("## Limits"));
    const inReadme = [...rows.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]);
    expect(new Set(inReadme)).toEqual(new Set(DOCUMENTED));
    const source = readFileSync(join(import.meta.dirname, "..", "src", "errors.ts"), "utf8");
    const union = source.slice(source.indexOf("export type LivyErrorCode"));
    const inType = [...union.slice(0, union.indexOf(";")).matchAll(/"([A-Z_]+)"/g)].map(
      (m) => m[1],
    );
    expect(inType).toEqual(DOCUMENTED);

    const cause = new Error("reset");
    const error = new LivyError("NETWORK", "x", { method: "GET", path: "/batches/1", cause });
    expect(isLivyError(error)).toBe(true);
    expect(isLivyError(error, "NETWORK", "TIMEOUT")).toBe(true);
    expect(isLivyError(error, "TIMEOUT")).toBe(false);
    expect(isLivyError(new Error("x"))).toBe(false);
    expect(isLivyError({ code: "NETWORK" })).toBe(false);
    expect(error.cause).toBe(cause);

    const retryable = (code: LivyErrorCode, method?: string, path = "/batches/1", body?: string) =>
      new LivyError(code, "x", {
        ...(method ? { method } : {}),
        path,
        ...(body ? { body } : {}),
      }).retryable;
    // Transient failures of requests that cannot start work twice are retryable…
    expect(retryable("SERVER_ERROR", "GET")).toBe(true);
    expect(retryable("NETWORK", "DELETE")).toBe(true);
    expect(retryable("TIMEOUT", "GET")).toBe(true);
    expect(retryable("RATE_LIMITED", "POST", "/sessions/1/statements/0/cancel")).toBe(true);
    // …but never a POST that may have started a job, an HTML page, a wait's deadline or a 4xx.
    expect(retryable("NETWORK", "POST", "/batches")).toBe(false);
    expect(retryable("SERVER_ERROR", "POST", "/sessions")).toBe(false);
    expect(retryable("TIMEOUT", "POST", "/sessions/3/statements")).toBe(false);
    expect(retryable("INVALID_RESPONSE", "GET", "/batches/1", "HTML page: Sign in")).toBe(false);
    expect(retryable("INVALID_RESPONSE", "GET", "/batches/1", '{"id": 1, "sta')).toBe(true);
    expect(retryable("TIMEOUT")).toBe(false);
    expect(retryable("NOT_FOUND", "GET")).toBe(false);
    expect(retryable("BAD_REQUEST", "GET")).toBe(false);
  });
});
