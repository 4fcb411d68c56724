// The client against a fault-injecting HTTP server on loopback: every response is scripted, so
// each failure a proxy, a load balancer or a struggling Livy produces is reproduced for real.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LivyClient, type LivyClientOptions } from "../src/index.js";
import { rejection } from "./helpers.js";

type Fault = (req: IncomingMessage, res: ServerResponse) => void;

const batch = { id: 7, name: "etl", state: "running", appId: null, appInfo: {}, log: [] };
const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Fault =>
  (_req, res) => {
    res
      .writeHead(status, { "content-type": "application/json", ...headers })
      .end(JSON.stringify(body));
  };
const html =
  (status: number, title: string): Fault =>
  (_req, res) => {
    res
      .writeHead(status, { "content-type": "text/html" })
      .end(
        `<html><head><title>${title}</title></head><body><h1>${title}</h1><p>nginx</p></body></html>`,
      );
  };
const reset: Fault = (req) => req.socket.destroy();
const truncated: Fault = (_req, res) => {
  res.writeHead(200, { "content-type": "application/json", "content-length": "500" });
  res.write('{"id": 7, "state": "run');
  setTimeout(() => res.socket?.destroy(), 20);
};
const slow =
  (ms: number, then: Fault): Fault =>
  (req, res) => {
    setTimeout(() => {
      if (!res.destroyed) then(req, res);
    }, ms);
  };

let server: Server;
let url: string;
let script: Fault[];
let seen: Array<{ method: string; url: string; headers: IncomingMessage["headers"]; body: string }>;

beforeEach(async () => {
  script = [];
  seen = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      (script.shift() ?? json(500, { msg: "script exhausted" }))(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const delays: number[] = [];
function client(options: Partial<LivyClientOptions> = {}) {
  delays.length = 0;
  return new LivyClient({
    url,
    random: () => 0.5,
    sleep: async (ms) => {
      delays.push(ms);
    },
    ...options,
  });
}

describe("faults", () => {
  it("rejects an invalid URL before any request", () => {
    for (const bad of ["not a url", "ftp://host:8998", "http://host:8998/?x=1", ""]) {
      expect(() => new LivyClient({ url: bad })).toThrow(
        expect.objectContaining({ code: "INVALID_URL" }),
      );
    }
    expect(() => new LivyClient({ url, timeoutMs: 0 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", field: "timeoutMs" }),
    );
  });

  it("rejects bad options and headers before any request", async () => {
    expect(() => new LivyClient(null as unknown as LivyClientOptions)).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => new LivyClient({ url, headers: { "X-Token": "a\r\nInjected: 1" } })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", field: "headers.X-Token" }),
    );
    expect(() => new LivyClient({ url, headers: { "bad name": "x" } })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", field: "headers.bad name" }),
    );
    expect(() => new LivyClient({ url, retry: { retries: -1 } })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", field: "retry.retries" }),
    );
    expect(() => new LivyClient({ url, retry: { baseDelayMs: Number.NaN } })).toThrow(
      expect.objectContaining({ field: "retry.baseDelayMs" }),
    );
    expect(() => new LivyClient({ url, csrf: "a\nb" })).toThrow(
      expect.objectContaining({ field: "csrf.X-Requested-By" }),
    );
    const badAuth = client({ auth: () => ({ Authorization: 42 as unknown as string }) });
    expect((await rejection(badAuth.getBatch(7))).field).toBe("auth.Authorization");
    expect(seen).toHaveLength(0);
  });

  it("reports a failing auth provider as UNAUTHORIZED without sending", async () => {
    const kerberos = client({
      auth: async () => {
        throw new Error("No Kerberos credentials available (ticket expired)");
      },
    });
    const error = await rejection(kerberos.getBatch(7));
    expect(error).toMatchObject({ code: "UNAUTHORIZED" });
    expect(error.message).toContain("ticket expired");
    expect(error.cause).toBeInstanceOf(Error);
    expect(seen).toHaveLength(0);
  });

  it("rejects invalid request fields without sending anything", async () => {
    const error = await rejection(client().submitBatch({ file: "x.py", numExecutors: -2 }));
    expect(error).toMatchObject({ code: "INVALID_ARGUMENT", field: "numExecutors" });
    expect(seen).toHaveLength(0);
  });

  it("sends CSRF, custom and auth headers on every attempt, keeping a Knox base path", async () => {
    script = [json(503, { msg: "busy" }), json(200, batch)];
    let calls = 0;
    const livy = client({
      url: `${url}/gateway/default/livy/v1/`,
      headers: { "X-Team": "etl" },
      auth: ({ method, url: target }) => ({
        Authorization: `Bearer t${++calls}:${method}:${new URL(target).pathname}`,
      }),
    });
    await livy.getBatch(7);
    expect(seen.map((s) => s.url)).toEqual([
      "/gateway/default/livy/v1/batches/7",
      "/gateway/default/livy/v1/batches/7",
    ]);
    expect(seen[1]?.headers).toMatchObject({
      "x-requested-by": "livy-client",
      "x-team": "etl",
      authorization: "Bearer t2:GET:/gateway/default/livy/v1/batches/7",
    });
    const plain = client({ csrf: false });
    script = [json(200, batch)];
    await plain.getBatch(7);
    expect(seen[2]?.headers["x-requested-by"]).toBeUndefined();
  });

  it("adds doAs to every request when impersonating", async () => {
    script = [json(200, { from: 0, total: 0, sessions: [] }), json(201, batch)];
    const livy = client({ doAs: "etl user" });
    await livy.listBatches({ from: 0, size: 5 });
    await livy.submitBatch({ file: "x.py" });
    expect(seen.map((s) => s.url)).toEqual([
      "/batches?from=0&size=5&doAs=etl+user",
      "/batches?doAs=etl+user",
    ]);
    expect(() => new LivyClient({ url, doAs: "" })).toThrow(
      expect.objectContaining({ field: "doAs" }),
    );
  });

  it("retries a GET on 5xx with exponential backoff, then succeeds", async () => {
    script = [
      html(502, "502 Bad Gateway"),
      json(500, { msg: "boom" }),
      json(503, {}),
      json(200, batch),
    ];
    const result = await client().getBatch(7);
    expect(result.id).toBe(7);
    expect(seen).toHaveLength(4);
    expect(delays).toEqual([188, 375, 750]);
  });

  it("gives up after the configured retries with the proxy's HTML page summarised", async () => {
    script = Array(3).fill(html(502, "502 Bad Gateway"));
    const error = await rejection(client({ retry: { retries: 2 } }).getBatch(7));
    expect(error).toMatchObject({ code: "SERVER_ERROR", status: 502, attempts: 3 });
    expect(error.body).toBe("HTML page: 502 Bad Gateway — 502 Bad Gateway nginx");
    expect(error.message).toContain("answered 502: HTML page: 502 Bad Gateway");
    expect(error.retryable).toBe(true);
  });

  it("honours Retry-After on 429", async () => {
    script = [json(429, { msg: "slow down" }, { "retry-after": "3" }), json(200, batch)];
    await client().getBatch(7);
    expect(delays).toEqual([3000]);
    script = [json(429, {}, { "retry-after": "3600" })];
    const error = await rejection(client().getBatch(7));
    expect(error).toMatchObject({ code: "RATE_LIMITED", status: 429 });
    expect(delays).toEqual([]);
  });

  it("does not retry 401 and 403, and explains them", async () => {
    script = [html(401, "401 Authorization Required")];
    const unauthorized = await rejection(client().getBatch(7));
    expect(unauthorized).toMatchObject({ code: "UNAUTHORIZED", status: 401 });
    expect(unauthorized.message).toContain("SPNEGO");
    script = [json(403, { msg: "User 'bob' not allowed to impersonate 'etl'." })];
    const forbidden = await rejection(client().getBatch(7));
    expect(forbidden).toMatchObject({
      code: "FORBIDDEN",
      body: "User 'bob' not allowed to impersonate 'etl'.",
    });
    expect(seen).toHaveLength(2);
  });

  it("never retries a POST, even on a 5xx or a reset", async () => {
    script = [json(503, { msg: "busy" })];
    const busy = await rejection(client().submitBatch({ file: "x.py" }));
    expect(busy.code).toBe("SERVER_ERROR");
    // The job may have started before the answer was lost: not retryable, reattach instead.
    expect(busy.retryable).toBe(false);
    script = [reset];
    const lost = await rejection(client().submitBatch({ file: "x.py" }));
    expect(lost.code).toBe("NETWORK");
    expect(lost.retryable).toBe(false);
    expect(seen.filter((s) => s.method === "POST")).toHaveLength(2);
    expect(JSON.parse(seen[0]!.body)).toEqual({ file: "x.py" });
  });

  it("retries connection resets and truncated bodies on GET", async () => {
    script = [reset, truncated, json(200, batch)];
    const result = await client().getBatch(7);
    expect(result.state).toBe("running");
    expect(seen).toHaveLength(3);
    script = [truncated];
    const error = await rejection(client({ retry: false }).getBatch(7));
    expect(error.code).toBe("NETWORK");
    expect(error.cause).toBeDefined();
  });

  it("reports a connection refused as NETWORK after retries", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const dead = new LivyClient({
      url: `http://127.0.0.1:${port}`,
      retry: { retries: 1, baseDelayMs: 1 },
    });
    const error = await rejection(dead.version());
    expect(error).toMatchObject({ code: "NETWORK", attempts: 2 });
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("times out slow responses per attempt and retries them", async () => {
    script = [slow(2000, json(200, batch)), json(200, batch)];
    const result = await client({ timeoutMs: 150 }).getBatch(7);
    expect(result.id).toBe(7);
    script = [slow(2000, json(200, batch))];
    const error = await rejection(client({ timeoutMs: 150, retry: false }).getBatch(7));
    expect(error.code).toBe("TIMEOUT");
    expect(error.message).toContain("took longer than 150 ms");
  });

  it("aborts with the caller's signal, without retrying", async () => {
    script = [slow(2000, json(200, batch))];
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("user cancelled")), 50);
    const error = await rejection(client().getBatch(7, { signal: controller.signal }));
    expect(error.code).toBe("ABORTED");
    expect(seen).toHaveLength(1);
  });

  it("rejects a 200 that is an HTML login page or not JSON", async () => {
    script = [html(200, "Knox SSO login")];
    const page = await rejection(client().getBatch(7));
    expect(page.code).toBe("INVALID_RESPONSE");
    expect(page.message).toContain("HTML page instead of JSON");
    expect(seen).toHaveLength(1); // the same login page again would not help: no retry
    script = [(_req, res) => res.writeHead(200).end('{"id": 7, "state": ')];
    const cut = await rejection(client({ retry: false }).getBatch(7));
    expect(cut.code).toBe("INVALID_RESPONSE");
    expect(cut.message).toContain("not valid JSON");
    script = [json(200, { hello: "world" })];
    const shape = await rejection(client({ retry: false }).getBatch(7));
    expect(shape.code).toBe("INVALID_RESPONSE");
    expect(shape.message).toContain('no valid "id"');
  });

  it("does not follow redirects to a login page", async () => {
    script = [
      (_req, res) => res.writeHead(302, { location: "https://sso.example.com/login" }).end(),
    ];
    const error = await rejection(client().getBatch(7));
    expect(error).toMatchObject({ code: "HTTP_ERROR", status: 302 });
    expect(seen).toHaveLength(1);
  });

  it("rejects bodies of the wrong shape for every kind of response", async () => {
    const livy = client({ retry: false });
    const calls: Array<[() => Promise<unknown>, string]> = [
      [() => livy.version(), "version"],
      [() => livy.listBatches(), "sessions"],
      [() => livy.getBatchState(7), "state"],
      [() => livy.getBatchLog(7), "log"],
      [() => livy.getSession(1), "id"],
      [() => livy.listStatements(1), "statements"],
      [() => livy.getStatement(1, 0), "id"],
      [() => livy.completion(1, { code: "x", kind: "spark", cursor: 1 }), "candidates"],
    ];
    for (const [call, field] of calls) {
      script = [json(200, [])];
      const error = await rejection(call());
      expect(error.code).toBe("INVALID_RESPONSE");
      expect(error.message).toContain(`"${field}"`);
    }
    script = [json(200, { id: 7, from: 0, log: [] })];
    expect((await rejection(livy.getBatchLog(7))).message).toContain('"total"');
  });

  it("rejects a finished statement without output, and a session that never gets idle", async () => {
    script = [
      json(201, { id: 0, code: "1", state: "waiting", output: null }),
      json(200, { id: 0, code: "1", state: "available", output: null }),
    ];
    const error = await rejection(client().session(1).run("1"));
    expect(error).toMatchObject({ code: "INVALID_RESPONSE", statementId: 0 });
    script = Array(5).fill(json(200, { id: 1, state: "starting", kind: "spark", log: [] }));
    let now = 0;
    const slowClock = client({ now: () => (now += 1000) });
    const idle = await rejection(slowClock.session(1).waitUntilIdle({ timeoutMs: 2500 }));
    expect(idle).toMatchObject({ code: "TIMEOUT", sessionId: 1 });
  });

  it("explains a batch forgotten while its log is read, and aborts waits on request", async () => {
    const finished = { ...batch, state: "success" };
    script = [json(200, finished), json(404, { msg: "Session '7' not found." })];
    const forgotten = await rejection(client().waitForBatch(7, { onLog: () => {} }));
    expect(forgotten).toMatchObject({ code: "NOT_FOUND", batchId: 7 });
    expect(forgotten.message).toContain("state-retain-sec");

    const controller = new AbortController();
    const aborting = new LivyClient({
      url,
      sleep: async () => {
        controller.abort();
        throw new Error("aborted");
      },
    });
    script = [json(200, { id: 1, state: "starting", kind: "spark", log: [] })];
    expect(
      (await rejection(aborting.session(1).waitUntilIdle({ signal: controller.signal }))).code,
    ).toBe("ABORTED");
    script = [json(201, { id: 0, code: "1", state: "waiting", output: null })];
    expect((await rejection(aborting.session(1).run("1"))).code).toBe("ABORTED");
    script = [json(200, { from: 0, total: 1, sessions: [batch] })];
    expect((await rejection(aborting.watchBatches([7]))).code).toBe("ABORTED");
    script = [json(200, batch)];
    expect((await rejection(aborting.waitForBatch(7))).code).toBe("ABORTED");
  });

  it("surfaces unknown states and fields from newer servers", async () => {
    script = [json(200, { ...batch, state: "suspended", cluster: "blue" })];
    const result = await client().getBatch(7);
    expect(result.state).toBe("suspended");
    expect(result.cluster).toBe("blue");
  });

  it("treats a 404 on a retried DELETE as already deleted", async () => {
    script = [reset, json(404, { msg: "Session '7' not found." })];
    expect(await client().deleteBatch(7)).toEqual({ msg: "deleted" });
    script = [json(404, { msg: "Session '7' not found." })];
    expect((await rejection(client().deleteBatch(7))).code).toBe("NOT_FOUND");
  });

  it("maps other statuses to their codes", async () => {
    script = [json(409, { msg: "conflict" }), (_req, res) => res.writeHead(418).end("teapot")];
    expect((await rejection(client().getBatch(7))).code).toBe("CONFLICT");
    expect((await rejection(client().getBatch(7))).code).toBe("HTTP_ERROR");
  });

  it("logs each request and each retry", async () => {
    const lines: string[] = [];
    script = [json(503, {}), json(200, batch)];
    await client({
      logger: {
        debug: (l) => lines.push(String(l)),
        info: () => {},
        warn: (l) => lines.push(String(l)),
        error: () => {},
      },
    }).getBatch(7);
    expect(lines[0]).toMatch(/GET \/batches\/7 → 503/);
    expect(lines[1]).toMatch(/retry 1\/4 in 188 ms/);
    expect(lines[2]).toMatch(/GET \/batches\/7 → 200/);
  });
});

const hang: Fault = () => {};
const running = { ...batch, appId: "application_1700000000000_0007" };

/** A client whose clock only moves when it sleeps: a wait's hours pass in milliseconds. */
function clocked(options: Partial<LivyClientOptions> = {}) {
  let now = 1_000_000;
  delays.length = 0;
  const c = new LivyClient({
    url,
    retry: false,
    random: () => 0.5,
    now: () => now,
    sleep: async (ms) => {
      delays.push(ms);
      now += ms;
    },
    ...options,
  });
  return { client: c, elapsed: () => now - 1_000_000 };
}

describe("waits keep their promises", () => {
  it("rides out a proxy outage of 10 s within a long wait, reporting each failure", async () => {
    const outage: Fault[] = [
      json(503, {}),
      reset,
      html(502, "502 Bad Gateway"),
      json(504, {}),
      truncated,
      json(429, {}),
    ];
    script = [json(200, running), ...outage, json(200, { ...running, state: "success" })];
    const { client: c, elapsed } = clocked();
    const events: Array<{ code: string; attempt: number; retryInMs: number }> = [];
    const done = await c.waitForBatch(7, {
      timeoutMs: 3 * 3_600_000,
      onTransientError: ({ error, attempt, retryInMs }) =>
        events.push({ code: error.code, attempt, retryInMs }),
    });
    expect(done.state).toBe("success");
    expect(events.map((e) => e.code)).toEqual([
      "SERVER_ERROR",
      "NETWORK",
      "SERVER_ERROR",
      "SERVER_ERROR",
      "NETWORK",
      "RATE_LIMITED",
    ]);
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    // Backoff from the 1 s poll interval by 1.5, as for quiet polls.
    expect(events.map((e) => e.retryInMs)).toEqual([1500, 2250, 3375, 5063, 7594, 10000]);
    expect(elapsed()).toBeGreaterThan(10_000);
  });

  it("rides out transient failures of log reads and of watchBatches' list too", async () => {
    const list = (state: string) =>
      json(200, { from: 0, total: 1, sessions: [{ ...running, state }] });
    script = [list("running"), json(503, {}), reset, list("success")];
    const { client: c } = clocked();
    let failures = 0;
    const watched = await c.watchBatches([7], { onTransientError: () => failures++ });
    expect(watched.succeeded).toEqual([7]);
    expect(failures).toBe(2);

    const log = (lines: string[], total: number) =>
      json(200, { id: 7, from: 0, total, log: lines });
    script = [
      json(200, running),
      log(["a"], 1),
      json(200, running),
      json(502, {}),
      json(200, { ...running, state: "success" }),
      json(200, { id: 7, from: 0, total: 2, log: ["a", "b"] }),
    ];
    const lines: string[] = [];
    const { client: d } = clocked();
    await d.waitForBatch(7, { onLog: (l) => lines.push(...l) });
    expect(lines).toEqual(["a", "b"]);
  });

  it("bounds every request by the deadline: a hanging Livy ends the wait at its timeout", async () => {
    script = [json(200, running), hang];
    const c = new LivyClient({ url, retry: false }); // its own request timeout is 30 s
    const started = Date.now();
    const error = await rejection(c.waitForBatch(7, { pollIntervalMs: 50, timeoutMs: 400 }));
    expect(error).toMatchObject({ code: "TIMEOUT", batchId: 7 });
    expect(error.batch?.state).toBe("running");
    expect(error.retryable).toBe(false);
    // Cut at the deadline, not after the 30 s request timeout (generous bound for a loaded machine).
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("ends with TIMEOUT carrying the last transient failure when the outage outlasts the deadline", async () => {
    script = [json(200, running), ...Array(20).fill(json(503, { msg: "down" }))];
    const { client: c, elapsed } = clocked();
    const error = await rejection(c.waitForBatch(7, { timeoutMs: 30_000 }));
    expect(error.code).toBe("TIMEOUT");
    expect((error.cause as { code?: string }).code).toBe("SERVER_ERROR");
    expect(elapsed()).toBe(30_000);
  });

  it("always attempts the DELETE of killOnTimeout and says whether it worked", async () => {
    script = [json(200, running), json(200, running), json(500, { msg: "kill failed" })];
    const { client: c } = clocked();
    const failed = await rejection(c.waitForBatch(7, { timeoutMs: 1500, killOnTimeout: true }));
    expect(failed).toMatchObject({ code: "TIMEOUT", killed: false });
    expect((failed.cause as { code?: string }).code).toBe("SERVER_ERROR");
    expect(failed.message).toContain("killing it failed");
    expect(seen.at(-1)).toMatchObject({ method: "DELETE", url: "/batches/7" });

    script = [json(200, running), json(200, running), json(200, { msg: "deleted" })];
    const { client: d } = clocked();
    const killed = await rejection(d.waitForBatch(7, { timeoutMs: 1500, killOnTimeout: true }));
    expect(killed).toMatchObject({ code: "TIMEOUT", killed: true });
    expect(killed.message).toContain("it was killed");
  });

  it("fails with BATCH_REPLACED when the id now names another job", async () => {
    const cases: Array<[object, object, string]> = [
      [running, { ...running, name: "other", appId: null, state: "starting" }, "name changed"],
      [running, { ...running, appId: "application_1700000000000_0001" }, "application id changed"],
      [
        { ...running, name: null, appId: null },
        { ...running, name: null, appId: null, state: "starting" },
        "state went back from running to starting",
      ],
    ];
    for (const [before, after, why] of cases) {
      script = [json(200, before), json(200, after)];
      const { client: c } = clocked();
      const error = await rejection(c.waitForBatch(7));
      expect(error.code).toBe("BATCH_REPLACED");
      expect(error.message).toContain(why);
      expect(error.message).toContain("restarted without session recovery");
    }
  });

  it("says a batch that vanished while running was lost to a restart, not to retention", async () => {
    script = [
      json(200, running),
      json(404, { msg: "Session '7' not found." }),
      json(200, { from: 0, total: 1, sessions: [{ ...running, id: 0, name: "fresh" }] }),
    ];
    const { client: c } = clocked();
    const error = await rejection(c.waitForBatch(7));
    expect(error).toMatchObject({ code: "NOT_FOUND", batchId: 7 });
    expect(error.message).toContain("vanished while running");
    expect(error.message).toContain("newest batch id is now 0, below 7");
    expect(error.message).not.toContain("state-retain-sec");
  });

  it("warns once about an unknown state when no timeoutMs was given", async () => {
    const warnings: string[] = [];
    const silent = () => {};
    const logger = {
      debug: silent,
      info: silent,
      warn: (m: unknown) => void warnings.push(String(m)),
      error: silent,
    };
    const suspended = json(200, { ...running, state: "suspended" });
    script = [suspended, suspended, suspended, json(200, { ...running, state: "success" })];
    await clocked({ logger }).client.waitForBatch(7);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('state "suspended"');
    expect(warnings[0]).toContain("86400000 ms");
    script = [suspended, json(200, { ...running, state: "success" })];
    await clocked({ logger }).client.waitForBatch(7, { timeoutMs: Number.POSITIVE_INFINITY });
    expect(warnings).toHaveLength(1);
  });

  it("reattaches through GET /batches/{name}, and to the batch a racing submitter created", async () => {
    script = [
      json(404, { msg: "Session 'etl' not found." }),
      json(400, { msg: "Rejected, Reason: Duplicate session name: Some(etl) for session 8" }),
      json(200, running),
    ];
    const raced = await client().submitBatch({ file: "x.py", name: "etl" }, { reattach: true });
    expect(raced.id).toBe(7);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "GET /batches/etl",
      "POST /batches",
      "GET /batches/etl",
    ]);
    // An all-digit name would be read as an id: it is found by paging instead.
    seen.length = 0;
    script = [json(200, { from: 0, total: 1, sessions: [{ ...running, id: 3, name: "2024" }] })];
    expect((await client().findBatchByName("2024"))?.id).toBe(3);
    expect(seen.map((s) => s.url)).toEqual(["/batches?from=0&size=1000"]);
    // A Livy that cannot resolve names in paths (400) is paged too.
    seen.length = 0;
    script = [
      json(400, { msg: 'For input string: "etl"' }),
      json(200, { from: 0, total: 1, sessions: [running] }),
    ];
    expect((await client().findBatchByName("etl"))?.id).toBe(7);
  });
});
