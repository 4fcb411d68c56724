// What Livy 0.8 answers, checked against the dev server over real HTTP. Each expectation is the
// answer of Livy 0.8's servlets (SessionServlet, BatchSessionServlet, InteractiveSessionServlet,
// JsonServlet), written out.
import { describe, expect, it } from "vitest";
import { LivyClient } from "../src/index.js";
import { devServersClosedAfterEach, rejection } from "./helpers.js";

const start = devServersClosedAfterEach();
const fast = { pollIntervalMs: 20, backoff: 1 };
// biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
type Json = any;
const read = (response: Response): Promise<Json> => response.json();
const headers = { "content-type": "application/json", "x-requested-by": "test" };

describe("dev server fidelity with Livy 0.8", () => {
  it("resolves names in paths, keeps separate name spaces, and reports duplicates as 0.8 does", async () => {
    const { server, client } = await start();
    const batch = await client.submitBatch({ file: "sleep.mjs", name: "etl" });
    const byName = await fetch(`${server.url}/batches/etl`);
    expect(byName.status).toBe(200);
    expect((await read(byName)).id).toBe(batch.id);
    expect(await (await fetch(`${server.url}/batches/etl/state`)).json()).toEqual({
      id: batch.id,
      state: expect.stringMatching(/starting|running/),
    });
    const unknown = await fetch(`${server.url}/batches/nope/log`);
    expect(unknown.status).toBe(404);
    expect(await read(unknown)).toEqual({ msg: "Session 'nope' not found." });
    // Batches and sessions have their own SessionManager: the same name is fine in both.
    const session = await client.createSession({ kind: "javascript", name: "etl" });
    expect((await fetch(`${server.url}/sessions/etl`).then(read)).id).toBe(session.id);
    const duplicate = await rejection(client.createSession({ kind: "javascript", name: "etl" }));
    expect(duplicate).toMatchObject({
      code: "BAD_REQUEST",
      body: "Rejected, Reason: Duplicate session name: Some(etl) for session 1",
    });
    await client.deleteBatch(batch.id);
    await client.deleteSession(session.id);
  });

  it("answers 404 to unknown sub-paths and never acts on the parent", async () => {
    const { server, client } = await start();
    const batch = await client.submitBatch({ file: "sleep.mjs" });
    for (const [method, path] of [
      ["DELETE", `/batches/${batch.id}/whatever`],
      ["GET", `/batches/${batch.id}/state/extra`],
      ["POST", `/batches/${batch.id}/statements`],
    ] as const) {
      const answer = await fetch(`${server.url}${path}`, { method, headers });
      expect(answer.status).toBe(404);
    }
    expect((await client.getBatch(batch.id)).state).toMatch(/starting|running/);
    await client.deleteBatch(batch.id);
  });

  it("stops, interrupts and connects sessions like 0.8", async () => {
    const { server, client } = await start();
    const a = await client.startSession({ kind: "javascript" }, { pollIntervalMs: 20 });
    const connect = await fetch(`${server.url}/sessions/${a.id}/connect`, {
      method: "POST",
      headers,
    });
    expect(connect.status).toBe(200);
    expect(await read(connect)).toMatchObject({ id: a.id, state: "idle", kind: "javascript" });
    const stop = await fetch(`${server.url}/sessions/${a.id}/stop`, { method: "POST", headers });
    expect(stop.status).toBe(204);
    expect(await stop.text()).toBe("");
    expect((await client.getSession(a.id)).state).toBe("dead");
    const b = await client.startSession({ kind: "javascript" }, { pollIntervalMs: 20 });
    const interrupt = await fetch(`${server.url}/sessions/${b.id}/interrupt`, {
      method: "POST",
      headers,
    });
    expect(interrupt.status).toBe(200);
    expect(await read(interrupt)).toEqual({ msg: "interrupted" });
    // Livy 0.8 implements interrupt as stop.
    expect((await client.getSession(b.id)).state).toBe("dead");
  });

  it("refuses statements while starting (500) and once ended (400)", async () => {
    const { server, client } = await start();
    const session = await client.createSession({ kind: "javascript" });
    const starting = await fetch(`${server.url}/sessions/${session.id}/statements`, {
      method: "POST",
      headers,
      body: JSON.stringify({ code: "1" }),
    });
    expect(starting.status).toBe(500);
    expect(await read(starting)).toBe(
      "java.lang.IllegalStateException: Session is in state starting",
    );
    await client.session(session.id).waitUntilIdle({ pollIntervalMs: 20 });
    await fetch(`${server.url}/sessions/${session.id}/stop`, { method: "POST", headers });
    const ended = await fetch(`${server.url}/sessions/${session.id}/statements`, {
      method: "POST",
      headers,
      body: JSON.stringify({ code: "1" }),
    });
    expect(ended.status).toBe(400);
    expect(await read(ended)).toEqual({ msg: "requirement failed: Session isn't active." });
  });

  it("serves the full 0.8 session view, kind aliases and /version with revision", async () => {
    const { client } = await start();
    const created = await client.createSession({
      kind: "python",
      driverMemory: "2g",
      driverCores: 2,
      executorMemory: "4g",
      executorCores: 3,
      numExecutors: 5,
      conf: { "spark.x": "1" },
      jars: ["a.jar"],
      pyFiles: ["b.py"],
      files: ["c.txt"],
      archives: ["d.zip"],
      queue: "etl",
      heartbeatTimeoutInSecond: 60,
      ttl: "10m",
    });
    expect(created).toEqual({
      id: 0,
      name: null,
      appId: null,
      owner: null,
      proxyUser: null,
      state: "starting",
      kind: "pyspark",
      appInfo: { driverLogUrl: null, sparkUiUrl: null },
      log: expect.any(Array),
      ttl: "10m",
      driverMemory: "2g",
      driverCores: 2,
      executorMemory: "4g",
      executorCores: 3,
      conf: { "spark.x": "1" },
      archives: ["d.zip"],
      files: ["c.txt"],
      heartbeatTimeoutInSecond: 60,
      jars: ["a.jar"],
      numExecutors: 5,
      pyFiles: ["b.py"],
      queue: "etl",
    });
    expect((await client.createSession({ kind: "scala" })).kind).toBe("spark");
    expect((await client.createSession({ kind: "r" })).kind).toBe("sparkr");
    const version = await client.version();
    expect(Object.keys(version).sort()).toEqual([
      "branch",
      "date",
      "revision",
      "url",
      "user",
      "version",
    ]);
    expect(version.revision).toBe("tinkerbox-dev-server");
  });

  it("orders statements, and pages lists and logs with negative from/size as Livy does", {
    tags: ["slow"],
  }, async () => {
    const { server, client } = await start();
    const session = await client.startSession({ kind: "javascript" }, { pollIntervalMs: 20 });
    for (const code of ["1", "2", "3"]) await session.run(code, { pollIntervalMs: 10 });
    const get = (path: string) => fetch(`${server.url}${path}`).then(read);
    const codes = (body: { statements: Array<{ code: string }> }) =>
      body.statements.map((s) => s.code);
    expect(codes(await get(`/sessions/${session.id}/statements?order=desc`))).toEqual([
      "3",
      "2",
      "1",
    ]);
    expect(codes(await get(`/sessions/${session.id}/statements?from=-2&size=3`))).toEqual(["1"]);
    expect(codes(await get(`/sessions/${session.id}/statements?size=-1`))).toEqual([]);
    await client.submitBatch({ file: "count.mjs", args: ["1"] });
    await client.submitBatch({ file: "count.mjs", args: ["1"] });
    // SessionServlet answers `from` as asked and a view clamped to the list.
    expect(await get("/batches?from=-1&size=2")).toMatchObject({ from: -1, total: 2 });
    expect((await get("/batches?from=-1&size=2")).sessions).toHaveLength(1);
    expect((await get("/batches?size=-3")).sessions).toEqual([]);
    await client.waitForBatch(0, fast);
    // serializeLogs: size < 0 is every line, from < 0 the last `size` lines.
    const all = await get("/batches/0/log?size=-1");
    expect(all).toMatchObject({ from: 0, total: 3 });
    expect(all.log).toHaveLength(3);
    expect(await get("/batches/0/log?from=-5&size=1")).toMatchObject({
      from: 2,
      log: ["dev-server: process exited with code 0"],
    });
    const bad = await fetch(`${server.url}/batches?from=x`);
    expect(bad.status).toBe(400);
    expect(await read(bad)).toEqual({ msg: 'For input string: "x"' });
  });

  it("never expires a session whose heartbeat was never called", async () => {
    let clock = 5_000_000;
    const { server } = await start({ now: () => clock, gcIntervalMs: 10 });
    const created = await fetch(`${server.url}/sessions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ kind: "javascript", heartbeatTimeoutInSecond: 1 }),
    });
    expect(created.status).toBe(201);
    clock += 3_600_000;
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The list is no heartbeat; the session is still there an hour later.
    const list = await fetch(`${server.url}/sessions`).then(read);
    expect(list.total).toBe(1);
  });

  it("leaves a batch whose process cannot start dead with the reason in its log", async () => {
    const { client } = await start();
    const batch = await client.submitBatch({ file: "count.mjs", args: ["a\u0000b"] });
    const error = await rejection(client.waitForBatch(batch.id, fast));
    expect(error.batch?.state).toBe("dead");
    expect(error.logTail?.join("\n")).toMatch(/cannot run .*count\.mjs: .*null bytes/);
  });

  it("answers Jackson-style errors and coerces scalars, and the client reads both shapes", async () => {
    const { server } = await start();
    const post = (body: string) =>
      fetch(`${server.url}/batches`, { method: "POST", headers, body });
    const coerced = await post(
      JSON.stringify({
        file: "count.mjs",
        args: ["1"],
        numExecutors: "2",
        driverCores: 2.7,
        name: 7,
      }),
    );
    expect(coerced.status).toBe(201);
    expect((await read(coerced)).name).toBe("7");
    const malformed = await post('{"file": x}');
    expect(malformed.status).toBe(400);
    expect(await read(malformed)).toMatch(
      /^Unexpected character \('x' \(code 120\)\): expected a valid value/,
    );
    const wrong = await post(JSON.stringify({ file: "count.mjs", numExecutors: "many" }));
    expect(await read(wrong)).toMatch(/^Cannot deserialize value of type `int` from String "many"/);
    // The client's error carries the Jackson text of a bare-string body.
    const client = new LivyClient({ url: server.url });
    const error = await rejection(client.getStatement(0, 0));
    expect(error).toMatchObject({ code: "NOT_FOUND", body: "Session '0' not found." });
    const session = await client.startSession({ kind: "javascript" }, { pollIntervalMs: 20 });
    const missing = await rejection(client.getStatement(session.id, 9));
    expect(missing).toMatchObject({ code: "NOT_FOUND", body: "Statement not found" });
  });
});
