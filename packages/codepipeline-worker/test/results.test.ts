import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { truncate } from "../src/core/results.js";
import {
  CodepipelineWorkerError,
  jobFailure,
  redact,
  redactingLogger,
  toFailureDetails,
  toSuccessResult,
} from "../src/index.js";

describe("toFailureDetails", () => {
  it.each([
    ["JobFailed"],
    ["ConfigurationError"],
    ["PermissionError"],
    ["RevisionOutOfSync"],
    ["RevisionUnavailable"],
    ["SystemUnavailable"],
  ] as const)("maps jobFailure(%s) to that type", (type) => {
    expect(toFailureDetails(jobFailure(type, "why", { externalExecutionId: "x-1" }), [])).toEqual({
      type,
      message: "why",
      externalExecutionId: "x-1",
    });
  });
  it("maps internal codes to the matching failure types", () => {
    const t = (code: CodepipelineWorkerError["code"]) =>
      toFailureDetails(new CodepipelineWorkerError(code, "m"), []).type;
    expect(t("ARTIFACT_NOT_FOUND")).toBe("RevisionUnavailable");
    expect(t("ARTIFACT_ACCESS_DENIED")).toBe("PermissionError");
    expect(t("WORKER_SHUTDOWN")).toBe("SystemUnavailable");
    expect(t("UNSAFE_ZIP_ENTRY")).toBe("JobFailed");
    expect(t("HANDLER_TIMEOUT")).toBe("JobFailed");
  });
  it("never passes on the message of an unexpected exception", () => {
    const details = toFailureDetails(new TypeError("password=hunter2 leaked"), ["hunter2"]);
    expect(details.type).toBe("JobFailed");
    expect(details.message).not.toContain("hunter2");
    expect(details.message).toContain("TypeError");
    expect(toFailureDetails("a string", []).message).toContain("string");
  });
  it("redacts secrets and cuts long messages to 5000 characters", () => {
    const d = toFailureDetails(jobFailure("JobFailed", `token hunter2 ${"x".repeat(6000)}`), [
      "hunter2",
    ]);
    expect(d.message.startsWith("token *** ")).toBe(true);
    expect(d.message).toHaveLength(5000);
  });
});

describe("toSuccessResult", () => {
  it("cuts the summary to 2048 characters and defaults percentComplete to 100", () => {
    const r = toSuccessResult({ summary: "s".repeat(3000) }, {}, []);
    expect(r.executionDetails?.summary).toHaveLength(2048);
    expect(r.executionDetails?.percentComplete).toBe(100);
  });
  it("uses recorded progress for a continuation and refuses output variables with it", () => {
    expect(
      toSuccessResult({ continuationToken: "t" }, { percent: 40, summary: "copying" }, []),
    ).toEqual({
      continuationToken: "t",
      executionDetails: { summary: "copying", percentComplete: 40 },
    });
    expect(() =>
      toSuccessResult({ continuationToken: "t", outputVariables: { A: "1" } }, {}, []),
    ).toThrow(/only on the final result/);
    expect(() => toSuccessResult({ continuationToken: "" }, {}, [])).toThrow(/1–2048/);
  });
  it("checks output variable names and total size", () => {
    expect(() => toSuccessResult({ outputVariables: { "bad name": "1" } }, {}, [])).toThrow(
      /invalid/,
    );
    expect(() =>
      toSuccessResult({ outputVariables: { BIG: "x".repeat(130_000) } }, {}, []),
    ).toThrow(/122880/);
    expect(
      toSuccessResult({ outputVariables: { OK: "secret-1" } }, {}, ["secret-1"]).outputVariables,
    ).toEqual({ OK: "***" });
  });
});

describe("redaction", () => {
  it("removes every occurrence of every secret (property)", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 3 }), fc.array(fc.string()), (secret, parts) => {
        const text = parts.join(secret);
        expect(redact(text, [secret]).includes(secret)).toBe(false);
      }),
    );
  });
  it("formats objects before redacting", () => {
    const lines: unknown[][] = [];
    const log = redactingLogger(
      { debug() {}, info: (...a) => lines.push(a), warn() {}, error() {} },
      ["pw123"],
      "[job 1]",
    );
    log.info("using", { password: "pw123" });
    expect(lines[0]).toEqual(["[job 1]", "using", "{ password: '***' }"]);
  });
  it("truncate counts code points and never splits a surrogate pair", () => {
    expect(truncate("ab😀😀", 3)).toBe("ab…");
    expect(truncate("a😀😀😀", 3)).toBe("a😀…");
    expect(truncate("😀😀", 2)).toBe("😀😀");
  });
  it("truncate marks the cut", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 4)).toBe("abc");
  });
});
