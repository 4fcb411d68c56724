import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  definePipeline,
  type PipelineDefinition,
  type PipelineProgressEvent,
  runPipeline,
} from "../src/pipeline/index.js";
import { devServersClosedAfterEach } from "./helpers.js";

const start = devServersClosedAfterEach();
const fast = { pollIntervalMs: 20 };

function invalid(definition: unknown): { field?: string; message: string; code: string } {
  try {
    definePipeline(definition as PipelineDefinition);
  } catch (error) {
    return error as { field?: string; message: string; code: string };
  }
  throw new Error("expected the definition to be rejected");
}

let scratch: string | undefined;
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

describe("definePipeline", () => {
  it("orders jobs topologically and keeps definition order among independent ones", () => {
    const pipeline = definePipeline({
      name: "taxi-etl",
      input: { rootPath: "s3://bucket/taxi", day: null },
      jobs: {
        status: { batch: { file: "status.py" }, dependsOn: ["miles"] },
        miles: { batch: { file: "miles.py", args: ["{{rootPath}}/{{ day }}"] } },
        zones: { batch: { file: "zones.py" }, retries: 2, timeoutSeconds: 600 },
      },
    });
    expect(pipeline.jobs.map((j) => j.name)).toEqual(["miles", "status", "zones"]);
    expect(pipeline.pollSeconds).toBe(30);
    expect(pipeline.jobs[2]).toMatchObject({ retries: 2, timeoutSeconds: 600, dependsOn: [] });
    expect(Object.isFrozen(pipeline)).toBe(true);
  });

  it("rejects bad names, unknown and self dependencies, cycles, bad input references and batches", () => {
    const job = { batch: { file: "a.py" } };
    const cases: Array<[unknown, string, string]> = [
      [{ name: "has space", jobs: { a: job } }, "name", "must be 1–80"],
      [{ name: "p", jobs: {} }, "jobs", "at least one job"],
      [{ name: "p", jobs: { "1a": job } }, "jobs.1a", "must start with a letter"],
      [
        { name: "p", jobs: { a: { ...job, dependsOn: ["b"] } } },
        "jobs.a.dependsOn",
        'unknown job "b"',
      ],
      [
        { name: "p", jobs: { a: { ...job, dependsOn: ["a"] } } },
        "jobs.a.dependsOn",
        "depends on itself",
      ],
      [
        {
          name: "p",
          jobs: {
            a: { ...job, dependsOn: ["c"] },
            b: { ...job, dependsOn: ["a"] },
            c: { ...job, dependsOn: ["b"] },
          },
        },
        "jobs.a.dependsOn",
        "cycle: a → c → b → a",
      ],
      [
        { name: "p", jobs: { a: { batch: { file: "{{root}}/a.py" } } } },
        "jobs.a.batch",
        "{{root}}, which is not declared",
      ],
      [
        { name: "p", jobs: { a: { batch: { file: "a.py", numExecutors: 0 } } } },
        "jobs.a.numExecutors",
        "job a: Invalid numExecutors",
      ],
      [
        { name: "p", jobs: { a: { batch: { file: "a.py", name: "x" } } } },
        "jobs.a.batch.name",
        "must not name its batch",
      ],
      [{ name: "p", jobs: { a: { ...job, retries: 11 } } }, "jobs.a.retries", "from 0 to 10"],
      [
        { name: "p", jobs: { a: { ...job, timeoutSeconds: 0 } } },
        "jobs.a.timeoutSeconds",
        "positive integer",
      ],
      [{ name: "p", pollSeconds: 0.5, jobs: { a: job } }, "pollSeconds", "from 1 to 3600"],
      [
        { name: "p", onFailure: { snsTopicArn: "topic" }, jobs: { a: job } },
        "onFailure.snsTopicArn",
        "not an SNS topic ARN",
      ],
    ];
    for (const [definition, field, text] of cases) {
      const error = invalid(definition);
      expect(error.code).toBe("INVALID_PIPELINE");
      expect(error.field).toBe(field);
      expect(error.message).toContain(text);
    }
    expect(() =>
      definePipeline({
        name: "p",
        onFailure: { snsTopicArn: "arn:aws:sns:eu-west-1:123456789012:etl-alerts" },
        jobs: { a: job },
      }),
    ).not.toThrow();
  });
});

// Tagged slow: each case runs several jobs as processes, seconds in all.
describe("runPipeline against the dev server", { tags: ["slow"] }, () => {
  it("runs a DAG in dependency order with input, in parallel where independent", async () => {
    const { client } = await start();
    const pipeline = definePipeline({
      name: "etl",
      input: { day: null },
      pollSeconds: 1,
      jobs: {
        extract: { batch: { file: "env.mjs", args: ["{{day}}"] } },
        left: { batch: { file: "count.mjs", args: ["3", "150"] }, dependsOn: ["extract"] },
        right: { batch: { file: "count.mjs", args: ["3", "150"] }, dependsOn: ["extract"] },
        load: { batch: { file: "count.mjs", args: ["1"] }, dependsOn: ["left", "right"] },
      },
    });
    const events: PipelineProgressEvent[] = [];
    const report = await runPipeline(pipeline, {
      livy: client,
      input: { day: "2024-06-01" },
      ...fast,
      execution: "t1",
      onProgress: (event) => events.push(event),
    });
    expect(report.status).toBe("succeeded");
    expect(Object.keys(report.jobs)).toEqual(["extract", "left", "right", "load"]);
    expect(Object.values(report.jobs).map((j) => [j.state, j.attempts])).toEqual([
      ["succeeded", 1],
      ["succeeded", 1],
      ["succeeded", 1],
      ["succeeded", 1],
    ]);
    // The input reached the job, and each attempt's batch is named after the run.
    const printed = report.jobs.extract!.logTail.find((line) => line.startsWith("{"));
    expect(JSON.parse(printed!)).toMatchObject({ args: ["2024-06-01"], name: "etl-extract-t1-1" });
    // load started only after both branches finished; the branches overlapped.
    const order = events
      .filter((e) => e.type === "job-submitted" || e.type === "job-finished")
      .map((e) => `${e.type === "job-submitted" ? "start" : "end"} ${e.job}`);
    expect(order.indexOf("start load")).toBeGreaterThan(order.indexOf("end left"));
    expect(order.indexOf("start load")).toBeGreaterThan(order.indexOf("end right"));
    expect(order.indexOf("start right")).toBeLessThan(order.indexOf("end left"));
    expect(events.at(-1)).toMatchObject({ type: "pipeline-finished" });
    expect((await client.listBatches()).total).toBe(4);
  });

  it("retries a failing job, fails the pipeline with its log tail, skips what depends on it", async () => {
    const { client } = await start();
    scratch = mkdtempSync(join(tmpdir(), "livy-pipeline-"));
    const pipeline = definePipeline({
      name: "flaky",
      pollSeconds: 1,
      jobs: {
        flaky: { batch: { file: "flaky.mjs", args: [join(scratch, "marker")] }, retries: 1 },
        broken: {
          batch: { file: "count.mjs", args: ["2", "0", "3"] },
          dependsOn: ["flaky"],
          retries: 1,
        },
        after: { batch: { file: "count.mjs", args: ["1"] }, dependsOn: ["broken"] },
      },
    });
    const retries: string[] = [];
    const report = await runPipeline(pipeline, {
      livy: client,
      ...fast,
      onProgress: (e) => {
        if (e.type === "job-retry") retries.push(`${e.job}#${e.attempt}`);
      },
    });
    expect(report.status).toBe("failed");
    expect(report.jobs.flaky).toMatchObject({ state: "succeeded", attempts: 2 });
    expect(report.jobs.broken).toMatchObject({ state: "failed", attempts: 2, batchState: "dead" });
    expect(report.jobs.broken!.logTail).toContain("failing with code 3");
    expect(report.jobs.broken!.reason).toContain("ended in state dead");
    expect(report.jobs.after).toMatchObject({
      state: "skipped",
      attempts: 0,
      reason: "dependency broken did not succeed",
    });
    expect(retries).toEqual(["flaky#2", "broken#2"]);

    // Resume: the succeeded job is not run again; the failed one runs with fresh attempts.
    const before = (await client.listBatches()).total;
    const resumed = await runPipeline(pipeline, { livy: client, ...fast, resumeFrom: report });
    expect(resumed.jobs.flaky).toMatchObject({ state: "succeeded", resumed: true, attempts: 0 });
    expect(resumed.jobs.broken).toMatchObject({ state: "failed", attempts: 2 });
    expect((await client.listBatches()).total).toBe(before + 2);
  });

  it("kills a job that passes its time limit, and kills running batches on cancel", async () => {
    const { client } = await start();
    const timed = definePipeline({
      name: "timed",
      pollSeconds: 1,
      jobs: { forever: { batch: { file: "sleep.mjs" }, timeoutSeconds: 1 } },
    });
    const report = await runPipeline(timed, { livy: client, ...fast });
    expect(report.jobs.forever).toMatchObject({ state: "failed", attempts: 1 });
    expect(report.jobs.forever!.reason).toContain("it was killed");
    expect((await client.listBatches()).total).toBe(0); // killed batches are forgotten

    const pipeline = definePipeline({
      name: "cancel",
      pollSeconds: 1,
      jobs: {
        a: { batch: { file: "sleep.mjs" } },
        b: { batch: { file: "sleep.mjs" } },
        c: { batch: { file: "count.mjs", args: ["1"] }, dependsOn: ["a"] },
      },
    });
    const controller = new AbortController();
    const running = runPipeline(pipeline, {
      livy: client,
      ...fast,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === "job-state" && e.state === "running" && e.job === "b") controller.abort();
      },
    });
    const cancelled = await running;
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.jobs.a!.state).toBe("cancelled");
    expect(cancelled.jobs.b!.state).toBe("cancelled");
    expect(cancelled.jobs.c).toMatchObject({
      state: "skipped",
      reason: "the run was cancelled before it started",
    });
    expect((await client.listBatches()).total).toBe(0);
  });

  it("rejects missing input and a foreign resumeFrom before anything runs", async () => {
    const { client, requests } = await start();
    const pipeline = definePipeline({
      name: "needs-day",
      input: { day: null },
      jobs: { a: { batch: { file: "count.mjs", args: ["{{day}}"] } } },
    });
    await expect(runPipeline(pipeline, { livy: client })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      field: "input.day",
    });
    const other = {
      pipeline: "other",
      execution: "x",
      status: "failed" as const,
      startedAt: 0,
      durationMs: 0,
      jobs: {},
    };
    await expect(
      runPipeline(pipeline, { livy: client, input: { day: "1" }, resumeFrom: other }),
    ).rejects.toMatchObject({
      field: "resumeFrom",
    });
    expect(requests).toEqual([]);
  });
});
