import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorker, defineAction, registerActionType } from "../src/index.js";
import { type Setup, setup, unzipToMap } from "./helpers.js";

const deploy = defineAction({
  actionTypeId: { category: "Deploy", provider: "Artifactory", version: "1" },
  settings: { entityUrlTemplate: "https://repo.example.com/{Config:Repository}" },
  configurationProperties: [
    {
      name: "Repository",
      required: true,
      key: true,
      secret: false,
      queryable: true,
      type: "String",
    },
    { name: "Token", required: true, key: false, secret: true, type: "String" },
    { name: "Retries", required: false, key: false, secret: false, type: "Number" },
  ],
  inputArtifacts: { min: 1, max: 1 },
  outputArtifacts: { min: 0, max: 1 },
  async handler(ctx) {
    const files = ctx.input().files.join(",");
    ctx.progress(50, "half way");
    ctx.logger.info(`deploying with token ${ctx.configuration.Token}`);
    if (ctx.outputArtifacts.length > 0) {
      await ctx
        .output()
        .writeFile("receipt/deployed.txt", `${ctx.configuration.Repository}:${files}`);
    }
    return {
      summary: `deployed ${files} to ${ctx.configuration.Repository}`,
      externalExecutionId: "run-1",
      outputVariables: { FILES: files, RETRIES: String(ctx.configuration.Retries ?? 0) },
    };
  },
});

describe("worker against the emulator", () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup();
    await registerActionType(deploy, { client: s.client });
  });
  afterEach(async () => s.close());

  it("downloads, runs the handler, uploads the output and reports success", async () => {
    const { actionExecutionId } = await s.emulator.enqueueJob({
      actionTypeId: deploy.actionTypeId,
      configuration: { Repository: "libs-release", Token: "s3cr3t-token", Retries: "3" },
      inputArtifacts: [{ name: "Build", files: { "a.txt": "A", "dir/b.txt": "B" } }],
      outputArtifacts: ["Receipt"],
    });
    const logs: string[] = [];
    const logger = {
      debug() {},
      info: (...a: unknown[]) => logs.push(a.join(" ")),
      warn() {},
      error() {},
    };
    const worker = createWorker(deploy, {
      queryParam: { Repository: "libs-release" },
      client: s.client,
      s3: s.emulator.workerS3Config,
      pollIntervalMs: 20,
      logger,
    });
    const run = worker.run();
    const execution = await s.emulator.waitForExecution(actionExecutionId, { timeoutMs: 20_000 });
    await worker.stop();
    await run;
    expect(execution.status).toBe("Succeeded");
    expect(execution.executionDetails).toEqual({
      summary: "deployed a.txt,dir/b.txt to libs-release",
      externalExecutionId: "run-1",
      percentComplete: 100,
    });
    expect(execution.outputVariables).toEqual({ FILES: "a.txt,dir/b.txt", RETRIES: "3" });
    const zip = await s.emulator.readOutputArtifact(actionExecutionId, "Receipt");
    expect(await unzipToMap(zip)).toEqual({
      "receipt/deployed.txt": "libs-release:a.txt,dir/b.txt",
    });
    expect(logs.some((l) => l.includes("deploying with token ***"))).toBe(true);
    expect(logs.join("\n")).not.toContain("s3cr3t-token");
  });
});
