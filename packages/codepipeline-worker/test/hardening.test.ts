import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import {
  createWorker,
  defineAction,
  type HandlerResult,
  isCodepipelineWorkerError,
  type JobContext,
  jobFailure,
  registerActionType,
} from "../src/index.js";
import { runOne, type Setup, setup, until } from "./helpers.js";

type Ctx = JobContext<{ Repo: string; Password: string | undefined }>;
let handler: (ctx: Ctx) => Promise<HandlerResult | undefined> = async () => undefined;
const action = defineAction({
  actionTypeId: { category: "Deploy", provider: "Hardened", version: "1" },
  configurationProperties: [
    { name: "Repo", required: true, key: true, secret: false, queryable: true },
    { name: "Password", required: false, key: false, secret: true },
  ],
  inputArtifacts: { min: 0, max: 1 },
  outputArtifacts: { min: 0, max: 1 },
  handler: (ctx) => handler(ctx),
});

/** A logger that keeps every line it is given, as text. */
function recordingLogger() {
  const lines: string[] = [];
  const add =
    (level: string) =>
    (...args: unknown[]) =>
      lines.push(`${level} ${args.map((a) => (typeof a === "string" ? a : inspect(a))).join(" ")}`);
  return {
    lines,
    logger: { debug: add("debug"), info: add("info"), warn: add("warn"), error: add("error") },
  };
}

let s: Setup;
const start = async (options: Parameters<typeof setup>[0] = {}) => {
  s = await setup(options);
  await registerActionType(action, { client: s.client });
};
afterEach(async () => {
  handler = async () => undefined;
  await s?.close();
});
const run = (job: Parameters<typeof runOne>[2], options: Parameters<typeof runOne>[3] = {}) =>
  runOne(
    s,
    action,
    { configuration: { Repo: "r" }, ...job },
    { queryParam: { Repo: "r" }, ...options },
  );

describe("no acknowledged job without a result", () => {
  it("reports PutJobFailureResult saying what was refused when PutJobSuccessResult is refused", async () => {
    await start();
    s.emulator.injectFault({ operation: "PutJobSuccessResult", error: "ValidationException" });
    handler = async () => ({ summary: "all done" });
    const { execution, outcomes, worker } = await run({});
    expect(execution.status).toBe("Failed");
    expect(execution.failureDetails?.type).toBe("JobFailed");
    expect(execution.failureDetails?.message).toContain(
      "CodePipeline refused its success report (ValidationException: Injected ValidationException)",
    );
    expect(outcomes.map((o) => o.status)).toEqual(["failed"]);
    expect(worker.stats.successRefused).toBe(1);
  });

  it("treats OutputVariablesSizeExceededException the same way", async () => {
    await start();
    s.emulator.injectFault({
      operation: "PutJobSuccessResult",
      error: "OutputVariablesSizeExceededException",
    });
    handler = async () => ({ outputVariables: { A: "1" } });
    const { execution } = await run({});
    expect(execution.failureDetails?.message).toContain("OutputVariablesSizeExceededException");
  });

  it("logs and counts a job whose failure report is refused too", async () => {
    await start();
    s.emulator.injectFault({ operation: "PutJobSuccessResult", error: "ValidationException" });
    s.emulator.injectFault({ operation: "PutJobFailureResult", error: "ValidationException" });
    handler = async () => ({ summary: "x" });
    const { lines, logger } = recordingLogger();
    const { jobId, outcomes, worker } = await runUntilDone({ logger });
    expect(outcomes.map((o) => o.status)).toEqual(["unreported"]);
    expect(worker.stats.unreported).toBe(1);
    expect(
      lines.some((l) => l.startsWith("error") && l.includes("PutJobFailureResult was refused too")),
    ).toBe(true);
    expect(s.emulator.getJob(jobId)?.status).toBe("InProgress");
  });

  it("does not send a failure for a job that is already final (the service timed it out)", async () => {
    await start({ jobTimeoutMs: 300 });
    handler = async () => {
      await new Promise((r) => setTimeout(r, 700));
      return { summary: "too late" };
    };
    const { outcomes } = await runUntilDone({});
    expect(outcomes.map((o) => o.status)).toEqual(["unreported"]);
    expect(s.emulator.calls.PutJobSuccessResult).toBe(1);
    expect(s.emulator.calls.PutJobFailureResult).toBeUndefined();
  });

  it("never sends values the API forbids: empty texts omitted, cuts keep surrogate pairs, integer percent", async () => {
    await start();
    handler = async (ctx) => {
      if (ctx.continuationToken === undefined)
        return {
          summary: `${"a".repeat(2046)}😀😀😀`,
          externalExecutionId: "",
          continuationToken: "t1",
          percentComplete: 33.6,
        };
      throw jobFailure("JobFailed", "", { externalExecutionId: "" });
    };
    const { execution, outcomes } = await run({});
    expect(execution.status).toBe("Failed");
    expect(outcomes.map((o) => o.status)).toEqual(["continued", "failed"]);
    const bodies = s.emulator.requests
      .filter((r) => r.operation.startsWith("PutJob"))
      .map((r) => JSON.parse(r.body) as Record<string, Record<string, unknown>>);
    const success = bodies[0]?.executionDetails as { summary: string; percentComplete: number };
    expect([...success.summary]).toHaveLength(2048);
    expect(success.summary.endsWith("😀…")).toBe(true);
    expect(success.percentComplete).toBe(34);
    expect(bodies[0]?.executionDetails).not.toHaveProperty("externalExecutionId");
    const failure = bodies[1]?.failureDetails as Record<string, string>;
    expect(failure.message).toBe("The action failed (JobFailed) without a message.");
    expect(failure).not.toHaveProperty("externalExecutionId");
  });
});

/** Runs one job (all of its continuations) with a worker until its execution ends or its outcome is in. */
async function runUntilDone(
  options: Parameters<typeof createWorker>[1] extends infer O ? Partial<O> : never,
) {
  const { jobId, actionExecutionId } = await s.emulator.enqueueJob({
    actionTypeId: action.actionTypeId,
    configuration: { Repo: "r" },
  });
  const outcomes: Array<{ status: string }> = [];
  const worker = createWorker(action, {
    client: s.client,
    s3: s.emulator.workerS3Config,
    queryParam: { Repo: "r" },
    pollIntervalMs: 20,
    maxPollIntervalMs: 100,
    onJob: (e) => {
      if (e.phase === "done") outcomes.push(e);
    },
    ...options,
  });
  const running = worker.run();
  await until(() => outcomes.length >= 1);
  await worker.stop({ timeoutMs: 5000 });
  await running;
  return { jobId, actionExecutionId, outcomes, worker };
}

describe("secrets never leave in any encoding", () => {
  const secret = `p@ss w0rd/"q'\\\n\t+é&x=1`;
  const forms = {
    raw: secret,
    encodeURIComponent: encodeURIComponent(secret),
    form: new URLSearchParams({ s: secret }).toString().slice(2),
    json: JSON.stringify(secret).slice(1, -1),
    base64: Buffer.from(secret).toString("base64"),
    "base64 inside user:secret": Buffer.from(`user:${secret}`).toString("base64").slice(8, -4),
    inspect: inspect(secret).slice(1, -1),
  };

  it.each(Object.entries(forms))(
    "%s: absent from logs and from every API request",
    async (_form, encoded) => {
      await start();
      const { lines, logger } = recordingLogger();
      let round = 0;
      handler = async (ctx) => {
        const value = ctx.configuration.Password as string;
        const all = Object.values({
          raw: value,
          url: encodeURIComponent(value),
          form: new URLSearchParams({ s: value }).toString(),
          json: JSON.stringify({ value }),
          base64: Buffer.from(value).toString("base64"),
          basic: Buffer.from(`user:${value}`).toString("base64"),
          inspect: inspect({ value }),
        });
        ctx.logger.info("tried", ...all);
        ctx.logger.warn({ deep: { deeper: { value, list: [value] } } });
        round++;
        if (round === 1) {
          // A continuation: results of every kind carry the secret in every form.
          return {
            summary: all.join(" | "),
            externalExecutionId: encodeURIComponent(value),
            continuationToken: "next",
            percentComplete: 50,
          };
        }
        if (round === 2) {
          return {
            summary: JSON.stringify(all),
            externalExecutionId: Buffer.from(value).toString("base64"),
            outputVariables: Object.fromEntries(all.map((v, i) => [`V${i}`, v])),
            currentRevision: {
              revision: "r1",
              changeIdentifier: "c1",
              revisionSummary: all.join(" "),
            },
          };
        }
        return undefined;
      };
      const first = await run({ configuration: { Repo: "r", Password: secret } }, { logger });
      expect(first.execution.status).toBe("Succeeded");
      // Then a failure whose message, cause and stack carry the secret.
      handler = async (ctx) => {
        const value = ctx.configuration.Password as string;
        const cause = new Error(`upstream said ${Buffer.from(value).toString("base64")}`);
        const error = new TypeError(
          `token=${encodeURIComponent(value)} json=${JSON.stringify(value)}`,
          { cause },
        );
        error.stack = `${error.stack}\n    at secret ${inspect(value)}`;
        ctx.logger.error("about to fail", error);
        throw error;
      };
      const second = await run({ configuration: { Repo: "r", Password: secret } }, { logger });
      expect(second.execution.status).toBe("Failed");
      handler = async (ctx) => {
        throw jobFailure(
          "PermissionError",
          `refused ${ctx.configuration.Password} / ${encodeURIComponent(ctx.configuration.Password as string)}`,
          {
            externalExecutionId: Buffer.from(ctx.configuration.Password as string).toString(
              "base64",
            ),
            cause: new Error(JSON.stringify({ password: ctx.configuration.Password })),
          },
        );
      };
      const third = await run({ configuration: { Repo: "r", Password: secret } }, { logger });
      expect(third.execution.failureDetails?.type).toBe("PermissionError");

      expect(lines.length).toBeGreaterThan(5);
      expect(lines.join("\n")).toContain("***");
      expect(lines.filter((l) => l.includes(encoded))).toEqual([]);
      const sent = s.emulator.requests.filter((r) => r.operation !== "PollForJobs");
      expect(sent.map((r) => r.operation)).toContain("PutJobSuccessResult");
      expect(sent.map((r) => r.operation)).toContain("PutJobFailureResult");
      expect(
        sent.filter(
          (r) =>
            r.body.includes(encoded) ||
            (JSON.parse(r.body) && JSON.stringify(JSON.parse(r.body)).includes(encoded)),
        ),
      ).toEqual([]);
      expect(
        [first, second, third]
          .flatMap((r) => [JSON.stringify(r.execution)])
          .filter((t) => t.includes(encoded)),
      ).toEqual([]);
    },
  );

  it("redacts the job's artifact credentials, also after a refresh", async () => {
    await start({ credentialsTtlMs: 60_000 });
    const { lines, logger } = recordingLogger();
    const seen: string[] = [];
    handler = async (ctx) => {
      // What a careless handler or an SDK error could print: the credentials of this job, the
      // first ones and the ones fetched again through GetJobDetails.
      for (const c of s.emulator.issuedCredentials(ctx.jobId))
        seen.push(c.secretAccessKey, c.sessionToken);
      ctx.logger.info("credentials", seen);
      throw new Error(`leaking ${seen.join(" ")}`);
    };
    const withInput = { inputArtifacts: [{ name: "Src", files: { "a.txt": "a" } }] };
    const { execution } = await run(withInput, { logger, credentialsRefreshMs: 1 });
    expect(execution.status).toBe("Failed");
    expect(s.emulator.calls.GetJobDetails).toBeGreaterThanOrEqual(1);
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expect(lines.some((l) => l.includes("leaking ***"))).toBe(true);
    expect(lines.filter((l) => seen.some((v) => l.includes(v)))).toEqual([]);
  });
});

describe("permanent poll errors stop the worker", () => {
  it("ActionTypeNotFoundException: run() rejects with POLL_REFUSED saying to register the type", async () => {
    s = await setup();
    const worker = createWorker(action, {
      client: s.client,
      queryParam: { Repo: "r" },
      pollIntervalMs: 10,
    });
    const error = await worker.run().catch((e: unknown) => e);
    expect(isCodepipelineWorkerError(error, "POLL_REFUSED")).toBe(true);
    expect((error as Error).message).toContain("register the action type");
    expect((error as { awsErrorName: string }).awsErrorName).toBe("ActionTypeNotFoundException");
    expect(s.emulator.calls.PollForJobs).toBe(1);
  });

  it("ValidationException (a query value the service refuses): says to fix the query", async () => {
    await start();
    const worker = createWorker(action, {
      client: s.client,
      queryParam: { Repo: "not ok" },
      pollIntervalMs: 10,
    });
    const error = await worker.run().catch((e: unknown) => e);
    expect(isCodepipelineWorkerError(error, "POLL_REFUSED")).toBe(true);
    expect((error as Error).message).toContain("fix the query");
  });

  it("AccessDeniedException: says which permissions the worker needs; throttling before it was retried", async () => {
    await start();
    s.emulator.injectFault({ operation: "PollForJobs", error: "ThrottlingException", count: 2 });
    s.emulator.injectFault({ operation: "PollForJobs", error: "AccessDeniedException" });
    const client = s.emulator.createClient({ maxAttempts: 1 });
    const worker = createWorker(action, { client, queryParam: { Repo: "r" }, pollIntervalMs: 10 });
    const error = await worker.run().catch((e: unknown) => e);
    client.destroy();
    expect((error as Error).message).toContain("codepipeline:PollForJobs");
    expect(s.emulator.calls.PollForJobs).toBe(3);
  });
});

describe("timeouts", { tags: ["slow"] }, () => {
  it("a timeout during the output upload aborts the multipart upload and says so", {
    timeout: 90_000,
  }, async () => {
    await start();
    handler = async (ctx) => {
      // Two 8 MiB parts; zipping them takes about a second, then each part PUT is held 10 s.
      await ctx.output().writeFile("big.bin", randomBytes(9 * 1024 * 1024));
      return undefined;
    };
    s.emulator.injectS3Fault({ method: "PUT", delayMs: 10_000, count: 20 });
    const { execution } = await run({ outputArtifacts: ["Out"] }, { jobTimeoutMs: 5000 });
    expect(execution.failureDetails?.type).toBe("JobFailed");
    expect(execution.failureDetails?.message).toContain(
      "while uploading output artifact Out; the upload was aborted (AbortMultipartUpload) and nothing was stored",
    );
    const key = execution.outputArtifacts[0]?.location.s3Location.objectKey as string;
    expect(s.emulator.s3Requests.some((r) => r.method === "POST" && r.path.endsWith(key))).toBe(
      true,
    );
    await until(
      () => s.emulator.s3Requests.some((r) => r.method === "DELETE" && r.path.endsWith(key)),
      30_000,
    );
    const stored = await s.emulator
      .readOutputArtifact(execution.actionExecutionId, "Out")
      .catch((e: Error) => e.name);
    expect(stored).toBe("NoSuchKey");
  });

  it("keeps an abandoned handler's folder until the handler settles, then removes it", async () => {
    await start();
    let release: () => void = () => {};
    let workDir = "";
    handler = async (ctx) => {
      workDir = ctx.workDir;
      await writeFile(join(ctx.workDir, "partial.txt"), "half");
      await new Promise<void>((r) => {
        release = r;
      });
      return undefined;
    };
    const { execution } = await run({}, { jobTimeoutMs: 300 });
    expect(execution.failureDetails?.message).toContain("longer than 300 ms");
    expect(existsSync(join(workDir, "partial.txt"))).toBe(true);
    release();
    await until(() => !existsSync(workDir));
  });

  it("a continuation gets a fresh folder: files written before it are not kept", async () => {
    await start();
    const dirs: string[] = [];
    handler = async (ctx) => {
      dirs.push(ctx.workDir);
      if (ctx.continuationToken === undefined) {
        await writeFile(join(ctx.workDir, "state.txt"), "from the first job");
        return { continuationToken: "t" };
      }
      return { summary: existsSync(join(dirs[0] as string, "state.txt")) ? "kept" : "gone" };
    };
    const { execution } = await run({});
    expect(dirs).toHaveLength(2);
    expect(dirs[0]).not.toBe(dirs[1]);
    expect(execution.executionDetails?.summary).toBe("gone");
  });
});
