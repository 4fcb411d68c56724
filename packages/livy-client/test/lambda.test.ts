import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { LivyClient } from "../src/index.js";
import {
  createStatusHandler,
  createSubmitHandler,
  LivyTransientError,
  livyFromEnv,
} from "../src/lambda/index.js";
import { devServersClosedAfterEach, rejection } from "./helpers.js";

const start = devServersClosedAfterEach();

describe("lambda handlers", () => {
  it("submit renders the input, names the batch per attempt and reattaches when retried", async () => {
    const { client, requests } = await start();
    const submit = createSubmitHandler({ livy: client, now: () => 1_000 });
    const event = {
      pipeline: "etl",
      job: "miles",
      execution: "exec-1",
      attempt: 1,
      batch: { file: "env.mjs", args: ["{{day}}"] },
      input: { day: "2024-06-01", other: 3 },
      timeoutSeconds: 60,
    };
    const first = await submit(event);
    expect(first).toEqual({ batchId: 0, state: "starting", attempt: 1, deadline: 61_000 });
    const again = await submit(event); // the task retried after a lost answer
    expect(again.batchId).toBe(0);
    expect(requests.filter((r) => r === "POST /batches")).toHaveLength(1);
    await client.waitForBatch(0, { pollIntervalMs: 20 });
    const log = (await client.getBatchLog(0, { from: 1, size: 1 })).log[0]!;
    expect(JSON.parse(log)).toMatchObject({ args: ["2024-06-01"], name: "etl-miles-exec-1-1" });
    await expect(submit({ ...event, attempt: 0 })).rejects.toMatchObject({ field: "attempt" });
  });

  it("status reads the state and kills a batch past its deadline", async () => {
    const { client } = await start();
    const batch = await client.submitBatch({ file: "sleep.mjs" });
    let now = 0;
    const status = createStatusHandler({ livy: client, now: () => now });
    expect(
      await status({ job: "j", batchId: batch.id, attempt: 1, deadline: 5_000 }),
    ).toMatchObject({
      state: expect.stringMatching(/starting|running/),
      deadline: 5_000,
    });
    now = 5_001;
    expect(
      await status({ job: "j", batchId: batch.id, attempt: 1, deadline: 5_000 }),
    ).toMatchObject({
      batchId: batch.id,
      state: "killed",
    });
    expect((await rejection(client.getBatch(batch.id))).code).toBe("NOT_FOUND");
  });

  it("turns transient Livy failures into LivyTransientError and keeps the others", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = new LivyClient({ url: `http://127.0.0.1:${port}`, retry: false });
    const status = createStatusHandler({ livy: unreachable });
    const error = await status({ job: "j", batchId: 1, attempt: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LivyTransientError);
    expect((error as Error).name).toBe("LivyTransientError");
    expect(((error as Error).cause as { code?: string }).code).toBe("NETWORK");
    const { client } = await start();
    const missing = await createStatusHandler({ livy: client })({
      job: "j",
      batchId: 9,
      attempt: 1,
    }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ name: "LivyError", code: "NOT_FOUND" });
  });

  it("configures the client from the environment", async () => {
    const seen: Array<Record<string, unknown>> = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ id: 1, state: "running", appId: null, appInfo: {}, log: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const status = createStatusHandler({
        env: {
          LIVY_URL: url,
          LIVY_AUTHORIZATION: "Bearer t0k3n",
          LIVY_HEADERS: '{"x-team":"data"}',
        },
      });
      expect((await status({ job: "j", batchId: 1, attempt: 1 })).state).toBe("running");
      expect(seen[0]).toMatchObject({ authorization: "Bearer t0k3n", "x-team": "data" });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(() => livyFromEnv({})).toThrow(expect.objectContaining({ field: "LIVY_URL" }));
    expect(() => livyFromEnv({ LIVY_URL: "http://x", LIVY_HEADERS: "{" })).toThrow(
      expect.objectContaining({ field: "LIVY_HEADERS" }),
    );
  });
});
