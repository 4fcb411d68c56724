import { describe, expect, it } from "vitest";
import { LivyClient } from "../src/index.js";
import { devServersClosedAfterEach, jobs, rejection } from "./helpers.js";

const start = devServersClosedAfterEach();

const fast = { pollIntervalMs: 20, backoff: 1 };

describe("client against the dev server over real HTTP", () => {
  it("runs a batch through starting → running → success and serves its log", async () => {
    const { client } = await start();
    const states: string[] = [];
    const created = await client.submitBatch({
      file: "count.mjs",
      args: ["3", "30"],
      name: "count",
    });
    expect(created).toMatchObject({
      name: "count",
      state: "starting",
      appInfo: { driverLogUrl: null },
    });
    const done = await client.waitForBatch(created.id, { ...fast, onState: (s) => states.push(s) });
    expect(done.state).toBe("success");
    expect(done.appId).toMatch(/^local-/);
    expect(states.at(-1)).toBe("success");
    expect(states).toContain("running");
    const state = await client.getBatchState(created.id);
    expect(state).toEqual({ id: created.id, state: "success" });
    const log = await client.getBatchLog(created.id, { from: 1, size: 3 });
    expect(log).toEqual({ id: created.id, from: 1, total: 5, log: ["line 1", "line 2", "line 3"] });
    // Without `from`, Livy returns the last `size` lines.
    const last = await client.getBatchLog(created.id, { size: 1 });
    expect(last.from).toBe(4);
    expect(last.log).toEqual(["dev-server: process exited with code 0"]);
    const list = await client.listBatches({ from: 0, size: 10 });
    expect(list.total).toBe(1);
    expect(list.sessions[0]?.id).toBe(created.id);
  });

  it("passes args, name and conf to the process and resolves files against its cwd", async () => {
    const { client } = await start();
    const batch = await client.submitBatch({
      file: "env.mjs",
      args: ["a", "b c"],
      name: "env",
      conf: { "spark.app.name": "demo" },
    });
    await client.waitForBatch(batch.id, fast);
    const log = await client.getBatchLog(batch.id, { from: 1, size: 1 });
    expect(JSON.parse(log.log[0]!)).toEqual({
      args: ["a", "b c"],
      batchId: String(batch.id),
      name: "env",
      conf: { "spark.app.name": "demo" },
      appName: "demo",
      cwd: jobs,
    });
  });

  it("runs executables directly", async () => {
    const { client } = await start();
    const batch = await client.submitBatch({ file: "run.sh", args: ["x"] });
    await client.waitForBatch(batch.id, fast);
    expect((await client.getBatchLog(batch.id)).log).toContain("shell job x");
  });

  it("marks a missing file or a failing process dead with the reason in the log", async () => {
    const { client } = await start();
    const missing = await client.submitBatch({ file: "nope.mjs" });
    const error = await rejection(client.waitForBatch(missing.id, fast));
    expect(error.code).toBe("BATCH_FAILED");
    expect(error.logTail?.join("\n")).toContain("file not found");
    const remote = await client.submitBatch({ file: "s3://bucket/job.py" });
    expect((await rejection(client.waitForBatch(remote.id, fast))).logTail?.join("\n")).toContain(
      "runs local files only",
    );
    const notExecutable = await client.submitBatch({ file: "plain.txt" });
    expect(
      (await rejection(client.waitForBatch(notExecutable.id, fast))).logTail?.join("\n"),
    ).toMatch(/cannot run .*plain\.txt: .*EACCES/);
    const failing = await client.submitBatch({ file: "count.mjs", args: ["2", "0", "3"] });
    const failed = await rejection(client.waitForBatch(failing.id, fast));
    expect(failed.batch?.state).toBe("dead");
    expect(failed.logTail).toContain("failing with code 3");
    expect(failed.message).toMatch(/ended in state dead after \d+\.\d s; last log lines:/);
  });

  it("reports a process killed by a signal as killed", async () => {
    const { client } = await start();
    const batch = await client.submitBatch({ file: "self-kill.mjs" });
    const error = await rejection(client.waitForBatch(batch.id, fast));
    expect(error.batch?.state).toBe("killed");
    expect(error.logTail).toContain("dev-server: process killed by SIGKILL");
  });

  it("deletes (kills) a running batch, which the server then forgets", async () => {
    const { client } = await start();
    const batch = await client.submitBatch({ file: "sleep.mjs" });
    expect(await client.deleteBatch(batch.id)).toEqual({ msg: "deleted" });
    expect((await rejection(client.getBatch(batch.id))).code).toBe("NOT_FOUND");
    expect((await rejection(client.deleteBatch(batch.id))).status).toBe(404);
  });

  it("answers 404 for unknown ids and 400 for ids that are not numbers", async () => {
    const { client, server } = await start();
    const error = await rejection(client.getBatch(42));
    expect(error).toMatchObject({
      code: "NOT_FOUND",
      status: 404,
      body: "Session '42' not found.",
    });
    // Livy 0.8 reads an all-digit segment as an id (past Int range: 400) and any other as a name.
    const byName = await fetch(`${server.url}/batches/abc`);
    expect(byName.status).toBe(404);
    expect(await byName.json()).toEqual({ msg: "Session 'abc' not found." });
    const huge = await fetch(`${server.url}/batches/2147483648`);
    expect(huge.status).toBe(400);
    expect(await huge.json()).toEqual({ msg: 'For input string: "2147483648"' });
  });

  it("forgets finished batches after the retain time", async () => {
    const { client } = await start({ batchStateRetainMs: 150 });
    const batch = await client.submitBatch({ file: "count.mjs", args: ["1"] });
    await client.waitForBatch(batch.id, fast);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const error = await rejection(client.waitForBatch(batch.id, fast));
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).toContain("livy.server.batch.state-retain-sec");
  });

  it("requires X-Requested-By by default, like Livy with CSRF protection on", async () => {
    const { server } = await start();
    const without = new LivyClient({ url: server.url, csrf: false, retry: false });
    const error = await rejection(without.submitBatch({ file: "count.mjs" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.status).toBe(400);
    expect(error.message).toContain("Missing Required Header for CSRF protection.");
    expect(error.body).toMatch(/^HTML page: /);
    // GET needs no header; the default client sends it.
    expect((await without.listBatches()).total).toBe(0);
    const withHeader = new LivyClient({ url: server.url });
    expect((await withHeader.submitBatch({ file: "count.mjs", args: ["1"] })).state).toBe(
      "starting",
    );
  });

  it("rejects creation with 400 when too many sessions are live", async () => {
    const { client } = await start({ maxSessions: 1 });
    const first = await client.submitBatch({ file: "sleep.mjs" });
    const error = await rejection(client.submitBatch({ file: "sleep.mjs" }));
    expect(error).toMatchObject({
      code: "BAD_REQUEST",
      body: "Rejected, too many sessions are being created!",
    });
    await client.deleteBatch(first.id);
    expect((await client.submitBatch({ file: "count.mjs", args: ["1"] })).id).toBe(first.id + 1);
  });

  it("rejects duplicate names and unknown fields like Livy 0.7+", async () => {
    const { client, server } = await start();
    await client.submitBatch({ file: "sleep.mjs", name: "dup" });
    const duplicate = await rejection(client.submitBatch({ file: "sleep.mjs", name: "dup" }));
    // SessionManager.register's message, prefixed by SessionServlet's "Rejected, Reason: ".
    expect(duplicate.body).toBe(
      "Rejected, Reason: Duplicate session name: Some(dup) for session 1",
    );
    const response = await fetch(`${server.url}/batches`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-requested-by": "test" },
      body: JSON.stringify({ file: "x.mjs", ttl: "5m" }),
    });
    expect(response.status).toBe(400);
    // Jackson's UnrecognizedPropertyException message, as a bare JSON string.
    const message = await response.json();
    expect(typeof message).toBe("string");
    expect(message).toMatch(
      /^Unrecognized field "ttl" \(class org\.apache\.livy\.server\.batch\.CreateBatchRequest\), not marked as ignorable/,
    );
    expect(response.headers.get("content-type")).toContain("application/json");
  });

  it("answers malformed requests like Livy", async () => {
    const { server, client } = await start();
    const post = (path: string, body: string) =>
      fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-requested-by": "test" },
        body,
      });
    const cases: Array<[Response, number, string]> = [
      [await post("/batches", "{not json"), 400, "Unexpected character ('n' (code 110))"],
      [await post("/batches", "[]"), 400, "Cannot deserialize value of type"],
      [
        await post("/batches", "{}"),
        400,
        "Rejected, Reason: requirement failed: File is required.",
      ],
      [await post("/batches", '{"file": []}'), 400, "Cannot deserialize value of type"],
      [await post("/sessions", '{"kind": "cobol"}'), 400, "Invalid kind: cobol"],
      [await fetch(`${server.url}/nothing-here`), 404, "only have"],
      [
        await fetch(`${server.url}/batches`, {
          method: "DELETE",
          headers: { "x-requested-by": "test" },
        }),
        405,
        "not allowed",
      ],
      [await fetch(`${server.url}/batches/0/statements`), 404, "only have"],
    ];
    for (const [response, status, text] of cases) {
      expect(response.status).toBe(status);
      expect(await response.text()).toContain(text);
    }
    const shared = await client.startSession({}, { pollIntervalMs: 20 });
    expect((await shared.info()).kind).toBe("shared");
    const noKind = await post(`/sessions/${shared.id}/statements`, '{"code": "1"}');
    expect(noKind.status).toBe(400);
    const badKind = await post(
      `/sessions/${shared.id}/statements`,
      '{"code": "1", "kind": "cobol"}',
    );
    expect(badKind.status).toBe(400);
    expect((await fetch(`${server.url}/sessions/${shared.id}/statements/9`)).status).toBe(404);
    await client.deleteSession(shared.id);
  });

  it("sets Location on creation", async () => {
    const { server } = await start();
    const response = await fetch(`${server.url}/batches`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-requested-by": "test" },
      body: JSON.stringify({ file: "count.mjs", args: ["1"] }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("location")).toBe("/batches/0");
  });

  it("reattaches to a live batch of the same name instead of starting a duplicate", async () => {
    const { client, requests } = await start();
    const first = await client.submitBatch(
      { file: "sleep.mjs", name: "nightly" },
      { reattach: true },
    );
    const again = await client.submitBatch(
      { file: "sleep.mjs", name: "nightly" },
      { reattach: true },
    );
    expect(again.id).toBe(first.id);
    expect(requests.filter((r) => r === "POST /batches")).toHaveLength(1);
    expect((await client.listBatches()).total).toBe(1);
    const error = await rejection(client.submitBatch({ file: "sleep.mjs" }, { reattach: true }));
    expect(error).toMatchObject({ code: "INVALID_ARGUMENT", field: "name" });
  });

  it("runs JavaScript statements in an interactive session (dev-only extension)", async () => {
    const { client } = await start();
    const states: string[] = [];
    const session = await client.startSession(
      { kind: "javascript", name: "repl", heartbeatTimeoutInSecond: 60 },
      { pollIntervalMs: 20, onState: (s) => states.push(s) },
    );
    expect(states.at(-1)).toBe("idle");
    const first = await session.run("const rows = [1, 2, 3]; rows.length", { pollIntervalMs: 10 });
    expect(first.text).toBe("3");
    const second = await session.run(
      "console.log('sum'); ({ total: rows.reduce((a, b) => a + b) })",
      {
        pollIntervalMs: 10,
      },
    );
    expect(second.json).toEqual({ total: 6 });
    expect(second.text).toBe("sum\n{ total: 6 }");
    const awaited = await session.run("await Promise.resolve(7)", { pollIntervalMs: 10 });
    expect(awaited.text).toBe("7");
    const failure = await rejection(session.run("null.x", { pollIntervalMs: 10 }));
    expect(failure).toMatchObject({ code: "STATEMENT_FAILED", ename: "TypeError" });
    expect(failure.evalue).toContain("Cannot read properties of null");
    expect(failure.traceback?.join("")).toContain("statement.js");
    const spark = await rejection(
      session.run("spark.range(3).count()", { kind: "spark", pollIntervalMs: 10 }),
    );
    expect(spark).toMatchObject({ code: "STATEMENT_FAILED", ename: "NotSupported" });
    const statements = await client.listStatements(session.id);
    expect(statements.total_statements).toBe(5);
    expect(statements.statements.map((s) => s.state)).toEqual(Array(5).fill("available"));
    expect((await client.getStatement(session.id, 0)).output).toMatchObject({
      status: "ok",
      execution_count: 0,
    });
    expect(
      (await session.complete({ code: "ro", kind: "javascript", cursor: 2 })).candidates,
    ).toContain("rows");
    const info = await session.info();
    expect(info).toMatchObject({ kind: "javascript", name: "repl", state: "idle" });
    expect((await client.getSessionState(session.id)).state).toBe("idle");
    expect((await client.getSessionLog(session.id)).log.join("\n")).toContain("worker ready");
    expect((await client.listSessions()).sessions.map((s) => s.id)).toEqual([session.id]);
    await session.close();
    expect((await rejection(client.getSession(session.id))).code).toBe("NOT_FOUND");
  });

  it("cancels a waiting and a running statement", async () => {
    const { client } = await start();
    const session = await client.startSession({ kind: "javascript" }, { pollIntervalMs: 20 });
    const running = await client.runStatement(session.id, { code: "while (true) {}" });
    const waiting = await client.runStatement(session.id, { code: "1 + 1" });
    expect(waiting.state).toBe("waiting");
    expect(await session.cancel(waiting.id)).toEqual({ msg: "canceled" });
    expect((await client.getStatement(session.id, waiting.id)).state).toBe("cancelled");
    await session.cancel(running.id);
    const cancelled = await client.getStatement(session.id, running.id);
    expect(cancelled.state).toBe("cancelled");
    // The worker restarts: the session is starting again, and Livy answers 500 while starting.
    expect((await client.getSession(session.id)).state).toBe("starting");
    await session.waitUntilIdle({ pollIntervalMs: 20 });
    const error = await rejection(session.run("x", { pollIntervalMs: 10 }));
    expect(error.code).toBe("STATEMENT_FAILED"); // x is not defined: the worker was reset
    expect((await session.run("40 + 2", { pollIntervalMs: 10 })).text).toBe("42");
    await session.close();
  });

  it("reports a statement cancelled by someone else", async () => {
    const { client } = await start();
    const session = await client.startSession({ kind: "javascript" }, { pollIntervalMs: 20 });
    const running = session.run("while (true) {}", { pollIntervalMs: 10 });
    setTimeout(() => void session.cancel(0), 100);
    expect((await rejection(running)).code).toBe("STATEMENT_CANCELLED");
    await session.close();
  });

  it("refuses statements in a dead session", async () => {
    const { client } = await start();
    const session = await client.startSession({ kind: "javascript" }, { pollIntervalMs: 20 });
    await rejection(session.run("process.exit(0)", { pollIntervalMs: 10 }));
    const error = await rejection(session.run("1", { pollIntervalMs: 10 }));
    // InteractiveSession.ensureActive: `require(…, "Session isn't active.")` → 400.
    expect(error).toMatchObject({
      code: "BAD_REQUEST",
      status: 400,
      body: "requirement failed: Session isn't active.",
    });
  });

  it("times out a statement and cancels it", async () => {
    const { client } = await start();
    const session = await client.startSession({ kind: "javascript" }, { pollIntervalMs: 20 });
    const error = await rejection(
      session.run("while (true) {}", { pollIntervalMs: 10, timeoutMs: 200 }),
    );
    expect(error.code).toBe("TIMEOUT");
    expect((await client.getStatement(session.id, 0)).state).toBe("cancelled");
    await session.close();
  });

  it("reports a session that died while waiting for idle", async () => {
    const { client } = await start();
    const session = await client.startSession({ kind: "javascript" }, { pollIntervalMs: 20 });
    const died = await rejection(
      session.run("process.exit(1)", { pollIntervalMs: 10, timeoutMs: 10_000 }),
    );
    expect(died).toMatchObject({ code: "STATEMENT_FAILED", ename: "SessionDied" });
    const error = await rejection(session.waitUntilIdle({ pollIntervalMs: 20, timeoutMs: 5000 }));
    expect(error.code).toBe("SESSION_FAILED");
  });

  it("deletes sessions whose heartbeat stopped or whose ttl expired", async () => {
    let clock = 1_000_000;
    const { client } = await start({ now: () => clock, gcIntervalMs: 20 });
    const heartbeat = await client.startSession(
      { kind: "javascript", heartbeatTimeoutInSecond: 5 },
      { pollIntervalMs: 20 },
    );
    const ttl = await client.startSession(
      { kind: "javascript", ttl: "1m" },
      { pollIntervalMs: 20 },
    );
    const forever = await client.startSession({ kind: "javascript" }, { pollIntervalMs: 20 });
    const tick = () => new Promise((resolve) => setTimeout(resolve, 150));
    clock += 4000;
    await heartbeat.info(); // a heartbeat: the session stays
    clock += 4000;
    await tick();
    expect((await client.listSessions()).sessions.map((s) => s.id).sort()).toEqual(
      [heartbeat.id, ttl.id, forever.id].sort(),
    );
    clock += 6000; // no heartbeat for 10 s > 5 s
    await tick();
    expect((await rejection(heartbeat.info())).code).toBe("NOT_FOUND");
    expect((await ttl.info()).ttl).toBe("1m");
    clock += 60_001; // idle for longer than the ttl
    await tick();
    expect((await rejection(ttl.info())).code).toBe("NOT_FOUND");
    expect((await forever.info()).state).toBe("idle");
    const invalid = await fetch(`${client.url}/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-requested-by": "test" },
      body: JSON.stringify({ kind: "javascript", ttl: "soon" }),
    });
    expect(invalid.status).toBe(400);
  });

  it("reports the server version", async () => {
    const { client } = await start({ version: "0.7.1-incubating" });
    expect((await client.version()).version).toBe("0.7.1-incubating");
  });
});
