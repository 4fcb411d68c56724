import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  isRawScannerError,
  RAW_SCANNER_ERROR_CODES,
  RawScannerError,
  readScan,
  scan,
} from "../src/index.js";

/** The documented code table, written out: adding or dropping a code must change this test. */
const CODES = [
  "INVALID_ARGUMENT",
  "INVALID_TARGET",
  "INVALID_PORT",
  "NO_TARGETS",
  "UNSAFE_TARGET",
  "RATE_ABOVE_MAX",
  "INVALID_SOURCE_PORT",
  "CONFIG_UNKNOWN_OPTION",
  "CONFIG_INVALID",
  "CONFIG_NOT_FOUND",
  "RESUME_MISMATCH",
  "OUTPUT_PARSE",
  "OUTPUT_WRITE",
  "NATIVE_UNAVAILABLE",
  "OS_QUERY",
  "FIREWALL",
  "ABORTED",
];

describe("RawScannerError", () => {
  it("has one documented code table, and isRawScannerError recognises real errors by code", () => {
    expect([...RAW_SCANNER_ERROR_CODES]).toEqual(CODES);
    // The JSDoc table of errors.ts and the README's table name exactly these codes.
    const source = readFileSync(join(import.meta.dirname, "..", "src", "errors.ts"), "utf8");
    const documented = [...source.matchAll(/^ \* \| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual(CODES);
    const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");
    const row = readme.split("\n").find((l) => l.startsWith("| `RawScannerError`")) ?? "";
    const listed = row.slice(row.indexOf("is one of"));
    expect([...listed.matchAll(/`([A-Z][A-Z_]+)`/g)].map((m) => m[1])).toEqual(CODES);

    // Errors the package really throws, each with its code, cause where it has one.
    let thrown: unknown;
    try {
      readScan("this is not a scan file");
    } catch (e) {
      thrown = e;
    }
    expect(isRawScannerError(thrown)).toBe(true);
    expect(isRawScannerError(thrown, "OUTPUT_PARSE")).toBe(true);
    expect(isRawScannerError(thrown, "ABORTED", "NO_TARGETS")).toBe(false);
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as RawScannerError).name).toBe("RawScannerError");
    let unsafe: unknown;
    try {
      scan({ targets: "0.0.0.0/0", ports: "80" });
    } catch (e) {
      unsafe = e;
    }
    expect(isRawScannerError(unsafe, "UNSAFE_TARGET")).toBe(true);
    const cause = new Error("disk full");
    const wrapped = new RawScannerError("OUTPUT_WRITE", "cannot write", { cause, path: "/x" });
    expect(wrapped.cause).toBe(cause);
    expect(isRawScannerError(new Error("OUTPUT_WRITE"))).toBe(false);
    expect(isRawScannerError({ code: "OUTPUT_WRITE", name: "RawScannerError" })).toBe(false);
    expect(isRawScannerError(undefined)).toBe(false);
  });
});
