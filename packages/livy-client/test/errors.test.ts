import { describe, expect, it } from "vitest";
import { isLivyError, LivyError } from "../src/index.js";

describe("LivyError", () => {
  it("carries its code, cause and details", () => {
    const cause = new Error("root");
    const error = new LivyError("BATCH_FAILED", "bad", { cause, batchId: 3, logTail: ["x"] });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe("BATCH_FAILED");
    expect(error.cause).toBe(cause);
    expect(error.name).toBe("LivyError");
    expect(error.batchId).toBe(3);
    expect(error.logTail).toEqual(["x"]);
    expect(error.retryable).toBe(false);
    expect(error.status).toBeUndefined();
  });

  it("marks transient failures as retryable", () => {
    for (const code of [
      "NETWORK",
      "TIMEOUT",
      "SERVER_ERROR",
      "RATE_LIMITED",
      "INVALID_RESPONSE",
    ] as const) {
      expect(new LivyError(code, "x").retryable).toBe(true);
    }
    for (const code of ["UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "BAD_REQUEST"] as const) {
      expect(new LivyError(code, "x").retryable).toBe(false);
    }
  });

  it("narrows with isLivyError", () => {
    const error = new LivyError("NOT_FOUND", "gone");
    expect(isLivyError(error)).toBe(true);
    expect(isLivyError(error, "NOT_FOUND")).toBe(true);
    expect(isLivyError(error, "TIMEOUT")).toBe(false);
    expect(isLivyError(new Error("x"))).toBe(false);
  });
});
