import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CodepipelineWorkerError,
  type CodepipelineWorkerErrorCode,
  isCodepipelineWorkerError,
  toFailureDetails,
} from "../src/index.js";

describe("CodepipelineWorkerError", () => {
  it("every code of the documented table maps to its failure type, and the guard narrows by code", async () => {
    const source = await readFile(join(import.meta.dirname, "../src/errors.ts"), "utf8");
    const rows = [...source.matchAll(/^ \* \| `([A-Z_]+)` \| [^|]+ \| (`\w+`|—) \|$/gm)].map(
      (m) => [m[1] as CodepipelineWorkerErrorCode, m[2]?.replaceAll("`", "")] as const,
    );
    const union = [
      ...(/CodepipelineWorkerErrorCode =([^;]+);/.exec(source)?.[1] ?? "").matchAll(/"([A-Z_]+)"/g),
    ].map((m) => m[1]);
    expect(rows.map(([code]) => code)).toEqual(union);
    expect(rows.length).toBe(21);
    for (const [code, reported] of rows) {
      const error = new CodepipelineWorkerError(code, "m", { cause: new Error("root") });
      expect(isCodepipelineWorkerError(error, code)).toBe(true);
      expect(
        isCodepipelineWorkerError(error, code === "JOB_FAILED" ? "INVALID_ZIP" : "JOB_FAILED"),
      ).toBe(false);
      if (reported !== "—")
        expect([code, toFailureDetails(error, []).type]).toEqual([code, reported]);
    }
    expect(isCodepipelineWorkerError(new Error("x"))).toBe(false);
    expect(isCodepipelineWorkerError({ name: "CodepipelineWorkerError", code: "JOB_FAILED" })).toBe(
      false,
    );
  });
});
