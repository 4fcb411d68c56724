import { describe, expect, it } from "vitest";
import { RawScannerError } from "../src/index.js";

describe("RawScannerError", () => {
  it("carries its code, cause and the data to act on", () => {
    const cause = new Error("root");
    const error = new RawScannerError("CONFIG_UNKNOWN_OPTION", "bad", {
      cause,
      input: "ratee",
      suggestion: "rate",
      path: "/x.conf",
      line: 3,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe("CONFIG_UNKNOWN_OPTION");
    expect(error.cause).toBe(cause);
    expect(error.name).toBe("RawScannerError");
    expect([error.input, error.suggestion, error.path, error.line]).toEqual([
      "ratee",
      "rate",
      "/x.conf",
      3,
    ]);
  });

  it("has no cause property when none is given", () => {
    expect("cause" in new RawScannerError("INVALID_ARGUMENT", "x")).toBe(false);
  });
});
