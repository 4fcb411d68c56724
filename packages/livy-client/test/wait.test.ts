import { describe, expect, it } from "vitest";
import { LivyClient } from "../src/index.js";
import { devServersClosedAfterEach, rejection } from "./helpers.js";

const start = devServersClosedAfterEach();

describe("waitForBatch", () => {
  it("returns a finished batch without waiting first", async () => {
    const { client, server } = await start();
    const batch = await client.submitBatch({ file: "count.mjs", args: ["1"] });
    await client.waitForBatch(batch.id, { pollIntervalMs: 20 });
    const sleeps: number[] = [];
    const counting = new LivyClient({ url: server.url, sleep: async (ms) => void sleeps.push(ms) });
    expect((await counting.waitForBatch(batch.id)).state).toBe("success");
    expect(sleeps).toEqual([]);
  });

  it("streams every log line exactly once while the log grows between polls", async () => {
    const { client } = await start();
    const batch = await client.submitBatch({ file: "count.mjs", args: ["60", "3"] });
    const chunks: string[][] = [];
    await client.waitForBatch(batch.id, {
      pollIntervalMs: 15,
      backoff: 1,
      logPageSize: 7,
      onLog: (l) => chunks.push(l),
    });
    const lines = chunks.flat();
    expect(lines).toEqual([
      expect.stringContaining("launching"),
      ...Array.from({ length: 60 }, (_, i) => `line ${i + 1}`),
      "dev-server: process exited with code 0",
    ]);
    expect(chunks.length).toBeGreaterThan(1);
  });

  it("streams Livy's stdout/stderr section layout without losing inserted stdout lines", async () => {
    const { client } = await start({ logLayout: "sections" });
    const batch = await client.submitBatch({ file: "interleave.mjs", args: ["40", "4"] });
    const lines: string[] = [];
    await client.waitForBatch(batch.id, {
      pollIntervalMs: 15,
      backoff: 1,
      onLog: (l) => lines.push(...l),
    });
    const full = await client.getBatchLog(batch.id, { from: 0, size: 1000 });
    expect(full.log[0]).toBe("stdout: ");
    expect(full.log).toContain("\nstderr: ");
    const count = (prefix: string) => Array.from({ length: 40 }, (_, i) => `${prefix} ${i + 1}`);
    expect(lines.filter((l) => l.startsWith("out "))).toEqual(count("out"));
    expect(lines.filter((l) => l.startsWith("err "))).toEqual(count("err"));
    expect(lines).not.toContain("stdout: ");
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines.at(-1)).toBe("dev-server: process exited with code 0");
  });

  it("reports a gap when the server's bounded log dropped lines between polls", async () => {
    const { server } = await start({ logBufferLines: 10 });
    // The client's "sleep" lasts until the job has written all 100 lines, so the 10-line buffer
    // has rotated far past what the first poll saw.
    const probe = new LivyClient({ url: server.url });
    const client = new LivyClient({
      url: server.url,
      sleep: async () => {
        while ((await probe.getBatchState(0)).state === "running")
          await new Promise((r) => setTimeout(r, 20));
      },
    });
    const batch = await client.submitBatch({ file: "count.mjs", args: ["100", "0"] });
    const lines: string[] = [];
    let gaps = 0;
    await client.waitForBatch(batch.id, { onLog: (l) => lines.push(...l), onLogGap: () => gaps++ });
    expect(lines.slice(-10)).toEqual([
      ...Array.from({ length: 9 }, (_, i) => `line ${92 + i}`),
      "dev-server: process exited with code 0",
    ]);
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines.length).toBeLessThan(102);
    expect(gaps).toBe(1);
  });

  it("throws BATCH_FAILED with the final batch and the streamed log tail", async () => {
    const { client } = await start();
    const batch = await client.submitBatch({
      file: "count.mjs",
      args: ["30", "0", "2"],
      name: "fails",
    });
    const error = await rejection(
      client.waitForBatch(batch.id, { pollIntervalMs: 20, onLog: () => {}, logTailLines: 3 }),
    );
    expect(error).toMatchObject({ code: "BATCH_FAILED", batchId: batch.id });
    expect(error.batch?.state).toBe("dead");
    expect(error.logTail).toEqual([
      "line 30",
      "failing with code 2",
      "dev-server: process exited with code 2",
    ]);
    expect(error.message).toContain(`Livy batch ${batch.id} (fails) ended in state dead`);
  });

  it("times out, and kills the batch only when asked", async () => {
    const { client } = await start();
    const kept = await client.submitBatch({ file: "sleep.mjs" });
    const timeout = await rejection(
      client.waitForBatch(kept.id, { pollIntervalMs: 50, timeoutMs: 250 }),
    );
    expect(timeout).toMatchObject({ code: "TIMEOUT", batchId: kept.id });
    expect(timeout.batch?.state).toBe("running");
    expect((await client.getBatch(kept.id)).state).toBe("running");
    const killed = await rejection(
      client.waitForBatch(kept.id, { pollIntervalMs: 50, timeoutMs: 150, killOnTimeout: true }),
    );
    expect(killed.message).toContain("it was killed");
    expect((await rejection(client.getBatch(kept.id))).code).toBe("NOT_FOUND");
  });

  it("reattaches to a finished batch of the same name instead of running it again", async () => {
    const { client, requests } = await start();
    const first = await client.submitBatch({ file: "count.mjs", args: ["1"], name: "nightly" });
    await client.waitForBatch(first.id, { pollIntervalMs: 20 });
    const retried = await client.submitBatch(
      { file: "count.mjs", args: ["1"], name: "nightly" },
      { reattach: true },
    );
    expect(retried).toMatchObject({ id: first.id, state: "success" });
    expect(requests.filter((r) => r === "POST /batches")).toHaveLength(1);
    expect(requests).toContain("GET /batches/nightly");
  });

  it("stops waiting on abort and leaves the batch running", async () => {
    const { client } = await start();
    const batch = await client.submitBatch({ file: "sleep.mjs" });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const error = await rejection(
      client.waitForBatch(batch.id, { pollIntervalMs: 50, signal: controller.signal }),
    );
    expect(error.code).toBe("ABORTED");
    expect((await client.getBatch(batch.id)).state).toBe("running");
  });

  it("rejects invalid options", async () => {
    const { client } = await start();
    expect((await rejection(client.waitForBatch(0, { pollIntervalMs: 0 }))).field).toBe(
      "pollIntervalMs",
    );
    expect((await rejection(client.waitForBatch(0, { backoff: 0.5 }))).field).toBe("backoff");
    expect((await rejection(client.watchBatches([0], { pollIntervalMs: -1 }))).field).toBe(
      "pollIntervalMs",
    );
  });
});

describe("watchBatches", () => {
  it("watches many batches with one list request per interval", async () => {
    const { client, requests } = await start();
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) {
      const batch = await client.submitBatch({
        file: "count.mjs",
        args: [String(i), "10", i % 4 === 0 ? "1" : "0"],
      });
      ids.push(batch.id);
    }
    requests.length = 0;
    const changes: string[] = [];
    const result = await client.watchBatches(ids, {
      pollIntervalMs: 40,
      onState: (batch, previous) => changes.push(`${batch.id}:${previous ?? "-"}→${batch.state}`),
    });
    expect(new Set(requests)).toEqual(new Set(["GET /batches"]));
    expect(result.failed.sort((a, b) => a - b)).toEqual([ids[0], ids[4], ids[8]]);
    expect(result.succeeded).toHaveLength(9);
    expect(result.forgotten).toEqual([]);
    expect(result.batches.get(ids[1]!)?.state).toBe("success");
    expect(changes.filter((c) => c.endsWith("→success") || c.endsWith("→dead"))).toHaveLength(12);
  });

  it("pages through GET /batches when the server holds more batches than a page", async () => {
    const { client, requests } = await start();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await client.submitBatch({ file: "count.mjs", args: ["1"] })).id);
    requests.length = 0;
    const result = await client.watchBatches(ids, { pollIntervalMs: 30, pageSize: 2 });
    expect(result.succeeded.sort()).toEqual(ids);
    expect(requests.length % 3).toBe(0); // 3 pages (2 + 2 + 1) per poll
    expect(requests.length).toBeGreaterThanOrEqual(3);
  });

  it("reports batches that vanish as forgotten and unknown ones as NOT_FOUND", async () => {
    const { client } = await start();
    const running = await client.submitBatch({ file: "sleep.mjs" });
    const unknown = await rejection(client.watchBatches([running.id, 99]));
    expect(unknown).toMatchObject({ code: "NOT_FOUND", batchId: 99 });
    setTimeout(() => void client.deleteBatch(running.id), 100);
    const result = await client.watchBatches([running.id], { pollIntervalMs: 30 });
    expect(result.forgotten).toEqual([running.id]);
  });

  it("times out", async () => {
    const { client } = await start();
    const running = await client.submitBatch({ file: "sleep.mjs" });
    const error = await rejection(
      client.watchBatches([running.id], { pollIntervalMs: 30, timeoutMs: 120 }),
    );
    expect(error.code).toBe("TIMEOUT");
  });
});
