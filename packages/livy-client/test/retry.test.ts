import { describe, expect, it } from "vitest";
import { backoffDelay, parseRetryAfter, resolveRetry } from "../src/core/retry.js";

describe("retry policy", () => {
  it("grows exponentially with bounded jitter", () => {
    const options = resolveRetry({ baseDelayMs: 100, maxDelayMs: 1000 });
    expect(backoffDelay(1, options, () => 0)).toBe(50);
    expect(backoffDelay(1, options, () => 0.999999)).toBe(100);
    expect(backoffDelay(3, options, () => 0)).toBe(200);
    expect(backoffDelay(10, options, () => 0.999999)).toBe(1000);
  });

  it("turns retries off with false and keeps defaults otherwise", () => {
    expect(resolveRetry(false).retries).toBe(0);
    expect(resolveRetry({ retries: undefined }).retries).toBe(4);
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2024-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("Mon, 01 Jan 2024 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Mon, 01 Jan 2023 00:00:05 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
