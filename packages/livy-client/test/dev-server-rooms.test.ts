// The dev server's rooms, each driven through its own entry point without HTTP.
import { describe, expect, it } from "vitest";
import { BatchRoom } from "../src/dev-server/batches.js";
import { CREATE_BATCH_REQUEST, canonicalKind, parseRequest } from "../src/dev-server/fields.js";
import { guardRequest, hostName, isLoopbackHost } from "../src/dev-server/guard.js";
import { HttpFailure } from "../src/dev-server/http.js";
import { durationMs, javaInt, lookup, view } from "../src/dev-server/records.js";
import { Router } from "../src/dev-server/routes.js";
import { jobs } from "./helpers.js";

function failure(run: () => unknown): HttpFailure {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpFailure) return error;
    throw error;
  }
  throw new Error("expected an HttpFailure");
}

describe("dev server rooms", () => {
  it("guard: loopback names, and the order of its refusals", () => {
    for (const host of [
      "localhost",
      "127.0.0.1",
      "127.255.0.9",
      "[::1]",
      "::1",
      "a.localhost",
      "::ffff:127.0.0.1",
    ]) {
      expect(isLoopbackHost(host)).toBe(true);
    }
    for (const host of ["0.0.0.0", "10.0.0.1", "evil.example", "localhost.evil.example", "[::]"]) {
      expect(isLoopbackHost(host)).toBe(false);
    }
    const forged = {
      host: "evil.example:8998",
      origin: "https://evil.example",
      "content-type": "text/plain",
    };
    expect(failure(() => guardRequest("POST", forged, true, {}, true)).status).toBe(403);
    expect(
      failure(() => guardRequest("POST", { ...forged, host: "localhost:8998" }, true, {}, true))
        .status,
    ).toBe(403);
    // Only a numeric port comes off the Host name: "localhost:x" is not a loopback name.
    expect(hostName("[::1]:8998")).toBe("[::1]");
    expect(hostName("localhost:8998")).toBe("localhost");
    expect(hostName("localhost:x")).toBe("localhost:x");
    expect(
      failure(() =>
        guardRequest("GET", { host: "localhost:x", "x-requested-by": "x" }, false, {}, true),
      ).status,
    ).toBe(403);
    const noOrigin = { host: "localhost:8998", "content-type": "text/plain" };
    expect(failure(() => guardRequest("POST", noOrigin, true, {}, true))).toMatchObject({
      status: 400,
      shape: "html",
    });
    expect(
      failure(() => guardRequest("POST", { ...noOrigin, "x-requested-by": "x" }, true, {}, true))
        .status,
    ).toBe(415);
    expect(() =>
      guardRequest(
        "POST",
        { ...noOrigin, "x-requested-by": "x", "content-type": "application/json; charset=utf-8" },
        true,
        {},
        true,
      ),
    ).not.toThrow();
    // Bound to all interfaces, the Host check has nothing to protect; GET needs no header.
    expect(() => guardRequest("GET", { host: "devbox:8998" }, false, {}, false)).not.toThrow();
  });

  it("fields: Jackson's coercions and refusals", () => {
    expect(
      parseRequest(
        '{"file":"a.py","numExecutors":"2","driverCores":2.9,"name":7,"conf":{"k":1}}',
        CREATE_BATCH_REQUEST,
      ),
    ).toEqual({
      file: "a.py",
      numExecutors: 2,
      driverCores: 2,
      name: "7",
      conf: { k: "1" },
    });
    expect(parseRequest('{"file":"a.py","queue":null}', CREATE_BATCH_REQUEST)).toEqual({
      file: "a.py",
    });
    for (const [body, start] of [
      ["", "No content to map due to end-of-input"],
      ["{", "Unexpected end-of-input"],
      ['{"file": 1, "x": 2}', 'Unrecognized field "x"'],
      [
        '{"numExecutors": 3000000000}',
        "Cannot deserialize value of type `int` from Number 3000000000",
      ],
      ['{"args": "a"}', "Cannot deserialize value of type `scala.collection.immutable.List"],
    ] as const) {
      const refused = failure(() => parseRequest(body, CREATE_BATCH_REQUEST));
      expect(refused).toMatchObject({ status: 400, shape: "string" });
      expect(refused.message.startsWith(start)).toBe(true);
    }
    expect(["scala", "python", "r", "sql"].map(canonicalKind)).toEqual([
      "spark",
      "pyspark",
      "sparkr",
      "sql",
    ]);
    expect(failure(() => canonicalKind("cobol")).message).toBe("Invalid kind: cobol");
  });

  it("records: ids and names, Java ints, Scala views, Spark durations", () => {
    const byId = new Map([[3, "three"]]);
    const byName = new Map([["etl", "three"]]);
    expect(lookup("3", byId, byName)).toBe("three");
    expect(lookup("etl", byId, byName)).toBe("three");
    expect(failure(() => lookup("4", byId, byName))).toMatchObject({
      status: 404,
      message: "Session '4' not found.",
    });
    expect(failure(() => lookup("99999999999", byId, byName)).status).toBe(400);
    expect(javaInt("-2147483648")).toBe(-2147483648);
    expect(failure(() => javaInt("2147483648")).message).toBe('For input string: "2147483648"');
    expect(view([1, 2, 3], -1, 2)).toEqual([1, 2]);
    expect(view([1, 2, 3], 2, 1)).toEqual([]);
    expect(view([1, 2, 3], 1, 99)).toEqual([2, 3]);
    expect([
      durationMs("500ms"),
      durationMs("30s"),
      durationMs("10min"),
      durationMs("2h"),
      durationMs("soon"),
    ]).toEqual([500, 30_000, 600_000, 7_200_000, null]);
  });

  it("routes: 404 for unknown paths, 405 for a known path with another method", () => {
    const router = new Router([
      { method: "GET", path: "/batches/:id", handle: () => ({ status: 200 }) },
      { method: "DELETE", path: "/batches/:id", handle: () => ({ status: 200 }) },
    ]);
    expect(router.match("GET", "/batches/nightly%20etl").params).toEqual({ id: "nightly etl" });
    expect(failure(() => router.match("DELETE", "/batches/1/whatever")).status).toBe(404);
    expect(failure(() => router.match("POST", "/batches/1")).status).toBe(405);
  });

  it("batches: spawn, finish, list, forget", async () => {
    let live = 0;
    const room = new BatchRoom({
      now: () => 42,
      cwd: jobs,
      env: {},
      logLines: 200,
      logLayout: "interleaved",
      retainMs: 60_000,
      mayCreate: () => live++ < 1,
    });
    try {
      const batch = room.create({ file: "count.mjs", args: ["2"], name: "two" });
      expect(batch).toMatchObject({ id: 0, name: "two", state: "starting" });
      expect(failure(() => room.create({ file: "count.mjs" })).message).toBe(
        "Rejected, too many sessions are being created!",
      );
      const record = room.get("two");
      for (let i = 0; i < 200 && room.view(record).state !== "success"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(room.view(record)).toMatchObject({
        state: "success",
        appId: expect.stringMatching(/^local-42-/),
      });
      expect(room.log(record)).toContain("line 2");
      expect(room.list(0, 10)).toMatchObject({ from: 0, total: 1 });
      await room.delete(record);
      expect(failure(() => room.get("0")).status).toBe(404);
    } finally {
      await room.close();
    }
  });
});
