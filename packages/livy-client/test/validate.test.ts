import { describe, expect, it } from "vitest";
import {
  pageQuery,
  validateBatchRequest,
  validateCompletionRequest,
  validateId,
  validateSessionRequest,
  validateStatementRequest,
} from "../src/core/validate.js";
import { type CreateBatchRequest, LivyError } from "../src/index.js";

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LivyError);
    expect((error as LivyError).code).toBe("INVALID_ARGUMENT");
    expect((error as LivyError).message).toContain((error as LivyError).field);
    return (error as LivyError).field;
  }
  throw new Error("expected a validation error");
}

describe("request validation", () => {
  it("passes a full batch request through and drops undefined fields", () => {
    const request: CreateBatchRequest = {
      file: "s3://bucket/job.py",
      proxyUser: "etl",
      className: "com.example.Main",
      args: ["--day", "2024-01-01"],
      jars: ["a.jar"],
      pyFiles: ["lib.zip"],
      files: ["conf.json"],
      driverMemory: "2g",
      driverCores: 2,
      executorMemory: "4096m",
      executorCores: 4,
      numExecutors: 10,
      archives: ["env.tar.gz#env"],
      queue: "default",
      name: "nightly",
      conf: { "spark.app.name": "x" },
    };
    expect(validateBatchRequest(request)).toEqual(request);
    expect(validateBatchRequest({ file: "x.py", name: undefined })).toEqual({ file: "x.py" });
    expect(Object.keys(validateSessionRequest({ kind: "pyspark", ttl: undefined }))).toEqual([
      "kind",
    ]);
  });

  it("names the invalid field", () => {
    const cases: Array<[unknown, string]> = [
      [{}, "file"],
      [{ file: "" }, "file"],
      [{ file: "x", driverMemory: 4 }, "driverMemory"],
      [{ file: "x", executorMemory: "lots" }, "executorMemory"],
      [{ file: "x", numExecutors: 0 }, "numExecutors"],
      [{ file: "x", driverCores: 1.5 }, "driverCores"],
      [{ file: "x", args: ["ok", 3] }, "args[1]"],
      [{ file: "x", jars: "a.jar" }, "jars"],
      [{ file: "x", conf: { "spark.executor.instances": 4 } }, "conf.spark.executor.instances"],
      [{ file: "x", conf: [] }, "conf"],
      [{ file: "x", classname: "Main" }, "classname"],
    ];
    for (const [request, field] of cases) {
      expect(fieldOf(() => validateBatchRequest(request as CreateBatchRequest))).toBe(field);
    }
    expect(fieldOf(() => validateBatchRequest(null as unknown as CreateBatchRequest))).toBe(
      "batch",
    );
    expect(fieldOf(() => validateSessionRequest({ kind: "cobol" as "spark" }))).toBe("kind");
    expect(fieldOf(() => validateSessionRequest({ heartbeatTimeoutInSecond: -1 }))).toBe(
      "heartbeatTimeoutInSecond",
    );
    expect(fieldOf(() => validateSessionRequest({ ttl: "soon" }))).toBe("ttl");
    expect(fieldOf(() => validateStatementRequest({ code: "  " }))).toBe("code");
    expect(fieldOf(() => validateStatementRequest({ code: "1", kind: "cobol" as "spark" }))).toBe(
      "kind",
    );
    // Livy's Kind aliases pass the validator as Livy accepts them.
    expect(validateSessionRequest({ kind: "python" }).kind).toBe("python");
    expect(validateStatementRequest({ code: "1", kind: "scala" }).kind).toBe("scala");
    expect(validateStatementRequest({ code: "1", kind: "r" }).kind).toBe("r");
    expect(fieldOf(() => validateCompletionRequest({ code: "ab", kind: "spark", cursor: 3 }))).toBe(
      "cursor",
    );
    expect(fieldOf(() => validateId("batchId", -1))).toBe("batchId");
    expect(fieldOf(() => validateId("batchId", "3"))).toBe("batchId");
    expect(fieldOf(() => pageQuery({ from: -1 }))).toBe("from");
    expect(fieldOf(() => pageQuery({ size: 1.5 }))).toBe("size");
  });

  it("builds paging queries", () => {
    expect(pageQuery(undefined)).toEqual({});
    expect(pageQuery({ from: 0, size: 10 })).toEqual({ from: "0", size: "10" });
  });
});
