import { existsSync } from "node:fs";
import { dirname } from "node:path";
import {
  AcknowledgeJobCommand,
  PollForJobsCommand,
  PutJobSuccessResultCommand,
} from "@aws-sdk/client-codepipeline";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CodepipelineWorkerError,
  createWorker,
  defineAction,
  type HandlerResult,
  type JobContext,
  jobFailure,
  registerActionType,
} from "../src/index.js";
import { runOne, type Setup, setup, until, unzipToMap } from "./helpers.js";

const run1: typeof runOne = (s, a, job, o = {}) =>
  runOne(s, a, job, { queryParam: { Repo: "r" }, ...o });

import { rawZip } from "./raw-zip.js";

type Handler = (
  ctx: JobContext<{ Repo: string; Token: string | undefined; Count: number | undefined }>,
) => Promise<HandlerResult | undefined>;
let handler: Handler = async () => undefined;

const action = defineAction({
  actionTypeId: { category: "Build", provider: "Faulty", version: "1" },
  configurationProperties: [
    { name: "Repo", required: true, key: true, secret: false, queryable: true },
    { name: "Token", required: false, key: false, secret: true },
    { name: "Count", required: false, key: false, secret: false, type: "Number" },
  ],
  inputArtifacts: { min: 0, max: 2 },
  outputArtifacts: { min: 0, max: 1 },
  handler: (ctx) => handler(ctx),
});
const config = { Repo: "r", Token: "tok-SECRET-123" };
const input = (files: Record<string, string> = { "a.txt": "A" }) => [{ name: "Src", files }];

describe("worker: bad input and faults", () => {
  let s: Setup;
  const start = async (options: Parameters<typeof setup>[0] = {}) => {
    s = await setup(options);
    await registerActionType(action, { client: s.client });
  };
  beforeEach(() => {
    handler = async () => undefined;
  });
  afterEach(async () => s?.close());

  it("fails a job whose input artifact is missing with RevisionUnavailable", async () => {
    await start();
    const { execution } = await run1(s, action, {
      configuration: config,
      inputArtifacts: [{ name: "Src", objectKey: "pipeline/Src/gone" }],
    });
    expect(execution.failureDetails).toMatchObject({ type: "RevisionUnavailable" });
    expect(execution.failureDetails?.message).toMatch(/Src was not found/);
  });

  it("fails a job whose input is a corrupt zip, or escapes its folder, with JobFailed", async () => {
    await start();
    let ran = false;
    handler = async () => {
      ran = true;
      return undefined;
    };
    const corrupt = await run1(s, action, {
      configuration: config,
      inputArtifacts: [{ name: "Src", zip: Buffer.from("PK not really") }],
    });
    expect(corrupt.execution.failureDetails).toMatchObject({ type: "JobFailed" });
    expect(corrupt.execution.failureDetails?.message).toMatch(/not a readable zip/);
    const evil = await run1(s, action, {
      configuration: config,
      inputArtifacts: [
        { name: "Src", zip: rawZip([{ name: "../../etc/cron.d/x", data: "evil" }]) },
      ],
    });
    expect(evil.execution.failureDetails?.message).toMatch(/escape its folder/);
    const bomb = await run1(
      s,
      action,
      {
        configuration: config,
        inputArtifacts: [{ name: "Src", files: { "big.bin": "0".repeat(2_000_000) } }],
      },
      { zipLimits: { maxBytes: 1_000_000 } },
    );
    expect(bomb.execution.failureDetails?.message).toMatch(/more than 1000000 bytes/);
    expect(ran).toBe(false);
  });

  it("refreshes expired artifact credentials through GetJobDetails and still succeeds", async () => {
    await start({ credentialsTtlMs: 300 });
    handler = async (ctx) => {
      await new Promise((r) => setTimeout(r, 450));
      await ctx.output().writeFile("late.txt", "after expiry");
      return undefined;
    };
    const { execution, actionExecutionId } = await run1(s, action, {
      configuration: config,
      inputArtifacts: input(),
      outputArtifacts: ["Out"],
    });
    expect(execution.status).toBe("Succeeded");
    expect(s.emulator.s3Requests.some((r) => r.status === 400)).toBe(true);
    expect(s.emulator.calls.GetJobDetails).toBeGreaterThanOrEqual(1);
    expect(await unzipToMap(await s.emulator.readOutputArtifact(actionExecutionId, "Out"))).toEqual(
      { "late.txt": "after expiry" },
    );
  });

  it("refreshes credentials ahead of expiry when credentialsRefreshMs has passed", async () => {
    await start();
    const { execution } = await run1(
      s,
      action,
      { configuration: config, inputArtifacts: input(), outputArtifacts: ["Out"] },
      { credentialsRefreshMs: 0 },
    );
    expect(execution.status).toBe("Succeeded");
    expect(s.emulator.calls.GetJobDetails).toBeGreaterThanOrEqual(2);
    expect(s.emulator.s3Requests.every((r) => r.status < 400)).toBe(true);
  });

  it("fails with SystemUnavailable when even refreshed credentials are expired", async () => {
    await start({ credentialsTtlMs: 0 });
    const { execution } = await run1(s, action, {
      configuration: config,
      inputArtifacts: input(),
    });
    expect(execution.failureDetails).toMatchObject({ type: "SystemUnavailable" });
    expect(execution.failureDetails?.message).toMatch(/credentials expired/);
  });

  it("keeps polling through throttling and 500s, and retries reporting the result", async () => {
    await start();
    s.emulator.injectFault({ operation: "PollForJobs", error: "ThrottlingException", count: 4 });
    s.emulator.injectFault({ operation: "PollForJobs", error: "InternalFailure", count: 4 });
    s.emulator.injectFault({
      operation: "PutJobSuccessResult",
      error: "ServiceUnavailable",
      count: 3,
    });
    const { execution, worker } = await run1(s, action, { configuration: config });
    expect(execution.status).toBe("Succeeded");
    expect(worker.stats.pollErrors).toBeGreaterThanOrEqual(3);
    expect(s.emulator.calls.PutJobSuccessResult).toBe(4);
  });

  it("maps typed handler errors to their failure types", async () => {
    await start();
    handler = async () => {
      throw jobFailure("PermissionError", "the deploy role may not write to r", {
        externalExecutionId: "ext-9",
      });
    };
    const { execution } = await run1(s, action, { configuration: config });
    expect(execution.failureDetails).toEqual({
      type: "PermissionError",
      message: "the deploy role may not write to r",
      externalExecutionId: "ext-9",
    });
  });

  it("turns an unexpected exception into JobFailed without leaking its message or secrets", async () => {
    await start();
    const errors: string[] = [];
    handler = async (ctx) => {
      throw new TypeError(`cannot read ${ctx.configuration.Token}`);
    };
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (...a: unknown[]) => errors.push(a.map(String).join(" ")),
    };
    const { execution } = await run1(s, action, { configuration: config }, { logger });
    expect(execution.failureDetails?.type).toBe("JobFailed");
    expect(execution.failureDetails?.message).toContain("TypeError");
    expect(JSON.stringify(execution)).not.toContain("tok-SECRET-123");
    expect(errors.join("\n")).toContain("cannot read ***");
    expect(errors.join("\n")).not.toContain("tok-SECRET-123");
  });

  it("redacts secrets from messages of typed errors and summaries", async () => {
    await start();
    handler = async (ctx) => {
      throw jobFailure("JobFailed", `login with ${ctx.configuration.Token} refused`);
    };
    const { execution } = await run1(s, action, { configuration: config });
    expect(execution.failureDetails?.message).toBe("login with *** refused");
  });

  it("fails a configuration of the wrong type with ConfigurationError before running the handler", async () => {
    await start();
    let ran = false;
    handler = async () => {
      ran = true;
      return undefined;
    };
    const { execution } = await run1(s, action, { configuration: { ...config, Count: "many" } });
    expect(execution.failureDetails?.type).toBe("ConfigurationError");
    expect(ran).toBe(false);
  });

  it("fails a handler that hangs past jobTimeoutMs, even if it ignores its signal", async () => {
    await start();
    let sawAbort = false;
    let jobDir = "";
    let release: () => void = () => {};
    handler = (ctx) => {
      jobDir = dirname(ctx.workDir);
      ctx.signal.addEventListener("abort", () => {
        sawAbort = true;
      });
      return new Promise((r) => {
        release = () => r(undefined);
      });
    };
    const { execution, outcomes } = await run1(
      s,
      action,
      { configuration: config },
      { jobTimeoutMs: 300 },
    );
    expect(execution.failureDetails).toMatchObject({ type: "JobFailed" });
    expect(execution.failureDetails?.message).toMatch(/longer than 300 ms/);
    expect(jobDir).not.toBe("");
    expect(sawAbort).toBe(true);
    release(); // the folder goes when the abandoned handler settles (hardening.test.ts)
    await until(() => !existsSync(jobDir));
    expect(outcomes[0]?.status).toBe("failed");
  });

  it("refuses results CodePipeline would reject (output variables with a continuation)", async () => {
    await start();
    handler = async () => ({ continuationToken: "t", outputVariables: { A: "1" } });
    const { execution } = await run1(s, action, { configuration: config });
    expect(execution.failureDetails?.message).toMatch(/only on the final result/);
  });

  it("continues long work: returns a token, is handed the job back, finishes, and uploads outputs once", async () => {
    await start();
    const seen: Array<string | undefined> = [];
    handler = async (ctx) => {
      seen.push(ctx.continuationToken);
      if (ctx.continuationToken === undefined) {
        ctx.progress(30, "copying");
        await ctx.output().writeFile("never.txt", "first job");
        return { continuationToken: "step-2" };
      }
      await ctx.output().writeFile("final.txt", `resumed at ${ctx.continuationToken}`);
      return { summary: "done", outputVariables: { STEPS: "2" } };
    };
    const { execution, actionExecutionId } = await run1(s, action, {
      configuration: config,
      outputArtifacts: ["Out"],
    });
    expect(seen).toEqual([undefined, "step-2"]);
    expect(execution.status).toBe("Succeeded");
    expect(execution.jobIds).toHaveLength(2);
    expect(execution.outputVariables).toEqual({ STEPS: "2" });
    const first = s.emulator.getJob(execution.jobIds[0] as string);
    expect(first?.success).toMatchObject({
      continuationToken: "step-2",
      executionDetails: { summary: "copying", percentComplete: 30 },
    });
    expect(await unzipToMap(await s.emulator.readOutputArtifact(actionExecutionId, "Out"))).toEqual(
      { "final.txt": "resumed at step-2" },
    );
    expect(
      s.emulator.s3Requests.filter((r) => r.method === "PUT" && r.accessKeyId !== "S3RVER"),
    ).toHaveLength(1);
  });

  it("encrypts outputs with SSE-KMS when the job names a key", async () => {
    await start();
    handler = async (ctx) => {
      await ctx.output().writeFile("x.txt", "x");
      return undefined;
    };
    const keyId = "arn:aws:kms:us-east-1:111111111111:key/1234";
    const { execution } = await run1(s, action, {
      configuration: config,
      outputArtifacts: ["Out"],
      encryptionKey: { id: keyId, type: "KMS" },
    });
    expect(execution.status).toBe("Succeeded");
    const put = s.emulator.s3Requests.find((r) => r.method === "PUT" && r.accessKeyId !== "S3RVER");
    expect(put).toMatchObject({ serverSideEncryption: "aws:kms", kmsKeyId: keyId });
  });

  it("skips a job another worker took over (stale nonce), leaving that worker's result alone", async () => {
    await start({ ackTimeoutMs: 200 });
    const actionTypeId = { ...action.actionTypeId };
    const { jobId, actionExecutionId } = await s.emulator.enqueueJob({
      actionTypeId,
      configuration: config,
    });
    const stale = (
      await s.client.send(new PollForJobsCommand({ actionTypeId, queryParam: { Repo: "r" } }))
    ).jobs?.[0];
    await until(() => s.emulator.getJob(jobId)?.status === "Queued");
    const fresh = (
      await s.client.send(new PollForJobsCommand({ actionTypeId, queryParam: { Repo: "r" } }))
    ).jobs?.[0];
    await s.client.send(new AcknowledgeJobCommand({ jobId, nonce: fresh?.nonce }));
    let ran = false;
    handler = async () => {
      ran = true;
      return undefined;
    };
    const worker = createWorker(action, {
      queryParam: { Repo: "r" },
      client: s.client,
      s3: s.emulator.workerS3Config,
    });
    const outcome = await worker.processJob(stale ?? {});
    expect(outcome).toEqual({ status: "skipped", jobId, reason: "InvalidNonceException" });
    expect(ran).toBe(false);
    await s.client.send(
      new PutJobSuccessResultCommand({
        jobId,
        executionDetails: { summary: "by the other worker" },
      }),
    );
    expect(s.emulator.getExecution(actionExecutionId)?.executionDetails?.summary).toBe(
      "by the other worker",
    );
  });

  it("runs up to `concurrency` jobs at once", async () => {
    await start();
    let running = 0;
    let peak = 0;
    handler = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 150));
      running--;
      return undefined;
    };
    const ids = [];
    for (let i = 0; i < 6; i++)
      ids.push(
        (await s.emulator.enqueueJob({ actionTypeId: action.actionTypeId, configuration: config }))
          .actionExecutionId,
      );
    const worker = createWorker(action, {
      queryParam: { Repo: "r" },
      client: s.client,
      s3: s.emulator.workerS3Config,
      concurrency: 3,
      pollIntervalMs: 20,
    });
    const run = worker.run();
    for (const id of ids)
      expect((await s.emulator.waitForExecution(id, { timeoutMs: 20_000 })).status).toBe(
        "Succeeded",
      );
    await worker.stop();
    expect((await run).succeeded).toBe(6);
    expect(peak).toBe(3);
  });

  it("only takes jobs matching queryParam", async () => {
    await start();
    const other = await s.emulator.enqueueJob({
      actionTypeId: action.actionTypeId,
      configuration: { Repo: "other" },
    });
    const { execution } = await run1(
      s,
      action,
      { configuration: config },
      { queryParam: { Repo: "r" } },
    );
    expect(execution.status).toBe("Succeeded");
    expect(s.emulator.getExecution(other.actionExecutionId)?.status).toBe("InProgress");
  });

  it("never reports success when an output cannot be stored (S3 500s): SystemUnavailable", async () => {
    await start();
    handler = async (ctx) => {
      await ctx.output().writeFile("x.txt", "x");
      return { summary: "should not be reported" };
    };
    s.emulator.injectS3Fault({ method: "PUT", status: 500, code: "InternalError", count: 10 });
    const { execution } = await run1(s, action, {
      configuration: config,
      outputArtifacts: ["Out"],
    });
    expect(execution.status).toBe("Failed");
    expect(execution.failureDetails?.type).toBe("SystemUnavailable");
    expect(execution.failureDetails?.message).toMatch(/S3 failed while uploading artifact Out/);
    expect(execution.executionDetails).toBeUndefined();
  });

  it("maps S3 AccessDenied on download to PermissionError", async () => {
    await start();
    s.emulator.injectS3Fault({ method: "GET", status: 403, code: "AccessDenied", count: 10 });
    const { execution } = await run1(s, action, {
      configuration: config,
      inputArtifacts: input(),
    });
    expect(execution.failureDetails?.type).toBe("PermissionError");
  });

  it("leaves a job it could not acknowledge to be delivered again (throttled AcknowledgeJob)", async () => {
    await start({ ackTimeoutMs: 300 });
    s.emulator.injectFault({ operation: "AcknowledgeJob", error: "ThrottlingException", count: 2 });
    const { execution, outcomes, jobId } = await run1(s, action, { configuration: config });
    expect(execution.status).toBe("Succeeded");
    expect(outcomes.map((o) => o.status)).toEqual(["skipped", "succeeded"]);
    expect(s.emulator.getJob(jobId)?.deliveries).toBe(2);
  });

  it("reports a job the service already timed out as unreported, not as a success", async () => {
    await start({ jobTimeoutMs: 300 });
    handler = async () => {
      await new Promise((r) => setTimeout(r, 700));
      return { summary: "too late" };
    };
    const { execution, outcomes, worker } = await run1(s, action, { configuration: config });
    expect(execution.status).toBe("Failed");
    await until(() => outcomes.length === 1);
    expect(outcomes[0]?.status).toBe("unreported");
    expect(worker.stats.unreported).toBe(1);
  });

  it("keeps going when onJob or onProgress callbacks throw", async () => {
    await start();
    handler = async (ctx) => {
      ctx.progress(50, "half");
      return { summary: "done despite callbacks" };
    };
    const errors: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (...a: unknown[]) => errors.push(a.join(" ")),
      error: (...a: unknown[]) => errors.push(a.join(" ")),
    };
    const { execution } = await run1(
      s,
      action,
      { configuration: config },
      {
        logger,
        onJob: () => {
          throw new Error("callback bug");
        },
        onProgress: () => {
          throw new Error("progress bug");
        },
      },
    );
    expect(execution.executionDetails?.summary).toBe("done despite callbacks");
    expect(errors.some((e) => e.includes("onJob callback threw"))).toBe(true);
    expect(errors.some((e) => e.includes("onProgress callback threw"))).toBe(true);
  });

  it("refuses bad options", async () => {
    await start();
    const bad = (o: object) => () =>
      createWorker(action, {
        queryParam: { Repo: "r" },
        client: s.client,
        ...o,
      });
    expect(bad({ concurrency: 0 })).toThrow(CodepipelineWorkerError);
    expect(bad({ maxBatchSize: 1.5 })).toThrow(/maxBatchSize/);
    expect(bad({ queryParam: { Token: "x" } })).toThrow(/not a queryable property/);
    expect(() => createWorker(action, { client: s.client })).toThrow(
      /poll with it: pass queryParam \{ Repo/,
    );
    await expect(
      createWorker(action, {
        queryParam: { Repo: "r" },
        client: s.client,
      }).processJob({}),
    ).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });
});

describe("worker: graceful shutdown", { tags: ["slow"] }, () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup();
    await registerActionType(action, { client: s.client });
  });
  afterEach(async () => s.close());

  it("lets a running job finish within the deadline", async () => {
    handler = async () => {
      await new Promise((r) => setTimeout(r, 200));
      return { summary: "finished during shutdown" };
    };
    const { actionExecutionId } = await s.emulator.enqueueJob({
      actionTypeId: action.actionTypeId,
      configuration: config,
    });
    const worker = createWorker(action, {
      queryParam: { Repo: "r" },
      client: s.client,
      s3: s.emulator.workerS3Config,
      pollIntervalMs: 20,
    });
    const run = worker.run();
    await until(() => worker.active === 1);
    const stats = await worker.stop({ timeoutMs: 10_000 });
    expect(stats.succeeded).toBe(1);
    expect(await run).toEqual(stats);
    expect(s.emulator.getExecution(actionExecutionId)?.executionDetails?.summary).toBe(
      "finished during shutdown",
    );
  });

  it("fails jobs still running at the deadline with SystemUnavailable (abort signal)", async () => {
    let signalled = false;
    handler = (ctx) =>
      new Promise((_, reject) => {
        ctx.signal.addEventListener("abort", () => {
          signalled = true;
          reject(ctx.signal.reason);
        });
      });
    const { actionExecutionId } = await s.emulator.enqueueJob({
      actionTypeId: action.actionTypeId,
      configuration: config,
    });
    const controller = new AbortController();
    const worker = createWorker(action, {
      queryParam: { Repo: "r" },
      client: s.client,
      s3: s.emulator.workerS3Config,
      pollIntervalMs: 20,
      signal: controller.signal,
      shutdownTimeoutMs: 100,
    });
    const run = worker.run();
    await until(() => worker.active === 1);
    controller.abort();
    const stats = await run;
    expect(stats.failed).toBe(1);
    expect(signalled).toBe(true);
    const execution = s.emulator.getExecution(actionExecutionId);
    expect(execution?.status).toBe("Failed");
    expect(execution?.failureDetails?.type).toBe("SystemUnavailable");
  });
});
