// `livy pipeline deploy|start|status` against the Step Functions emulator, whose Lambda tasks
// run the ./lambda handlers against a Livy dev server: the CLI process talks to the emulator
// over HTTP through @aws-sdk/client-sfn, exactly as it would to AWS.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningLivyDevServer } from "../src/dev-server/index.js";
import { createStatusHandler, createSubmitHandler } from "../src/lambda/index.js";
import { createSfnEmulator, type RunningSfnEmulator } from "../src/services/sfn-emulator/index.js";
import { type CliRun, devServer, runLivy } from "./helpers.js";

const pipelines = join(import.meta.dirname, "fixtures", "pipelines");
const two = join(pipelines, "two.json");

const ROLE = "arn:aws:iam::123456789012:role/livy-pipeline";
const SUBMIT = "arn:aws:lambda:us-east-1:123456789012:function:livy-submit";
const STATUS = "arn:aws:lambda:us-east-1:123456789012:function:livy-status";

let livyServer: RunningLivyDevServer;
let sfn: RunningSfnEmulator;
beforeAll(async () => {
  const { server, client } = await devServer();
  livyServer = server;
  sfn = await createSfnEmulator({
    lambdaFunctions: {
      "livy-submit": createSubmitHandler({ livy: client }),
      "livy-status": createStatusHandler({ livy: client }),
    },
    waitTimeMs: 50,
    retryIntervalMs: 10,
  }).start({ port: 0 });
});
afterAll(async () => {
  await sfn?.close();
  await livyServer?.close();
});

function livy(args: string[]): Promise<CliRun> {
  return runLivy(args, {
    env: {
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "emulator-secret",
      AWS_REGION: "us-east-1",
      AWS_PROFILE: "",
      AWS_ENDPOINT_URL: "",
      AWS_ENDPOINT_URL_SFN: "",
    },
  });
}

const deployArgs = () => [
  "--endpoint",
  sfn.url,
  "--role-arn",
  ROLE,
  "--submit-arn",
  SUBMIT,
  "--status-arn",
  STATUS,
];

describe("livy pipeline deploy|start|status", { timeout: 300_000, tags: ["slow"] }, () => {
  it("refuses to start or report a pipeline that is not deployed", async () => {
    const start = await livy(["pipeline", "start", two, "--endpoint", sfn.url]);
    expect(start.code).toBe(4);
    expect(start.stderr).toContain("Pipeline cli-two is not deployed");
    const status = await livy(["pipeline", "status", two, "--endpoint", sfn.url]);
    expect(status.code).toBe(4);
    expect(status.stderr).toContain("not deployed");
    const usage = await livy(["pipeline", "deploy", two, "--endpoint", sfn.url]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("needs --role-arn, --submit-arn and --status-arn");
  });

  it("deploys idempotently, starts, follows to success, and rejects a reused name and bad input", async () => {
    const created = await livy(["pipeline", "deploy", two, ...deployArgs()]);
    // (stderr may carry the AWS SDK's own Node version notice on Node 20.)
    expect(created.stderr).not.toContain("livy:");
    expect(created.stdout).toBe(
      "created\tarn:aws:states:us-east-1:123456789012:stateMachine:cli-two\n",
    );
    const again = await livy(["pipeline", "deploy", two, ...deployArgs()]);
    expect(again.stdout).toMatch(/^unchanged\t/);
    const moved = await livy([
      "pipeline",
      "deploy",
      two,
      ...deployArgs().map((a) => (a === SUBMIT ? `${SUBMIT}:live` : a)),
    ]);
    expect(moved.stdout).toMatch(/^updated\t/);
    await livy(["pipeline", "deploy", two, ...deployArgs()]);

    const run = await livy([
      "pipeline",
      "start",
      two,
      "--endpoint",
      sfn.url,
      "--input",
      '{"lines":"3"}',
      "--execution",
      "ok-1",
      "--follow",
      "--poll",
      "100",
    ]);
    expect(run.stderr).toMatch(/RUNNING: first (pending|running)/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("arn:aws:states:us-east-1:123456789012:execution:cli-two:ok-1\n");
    expect(run.stdout).toContain("execution ok-1: SUCCEEDED\n");
    expect(run.stdout).toMatch(/^first\tsucceeded\tattempts 1\tbatch \d+ \(success\)$/m);
    expect(run.stdout).toMatch(/^second\tsucceeded\tattempts 1\tbatch \d+ \(success\)$/m);

    const reused = await livy([
      "pipeline",
      "start",
      two,
      "--endpoint",
      sfn.url,
      "--execution",
      "ok-1",
    ]);
    expect(reused.code).toBe(4);
    expect(reused.stderr).toContain("ExecutionAlreadyExists");

    const badJson = await livy([
      "pipeline",
      "start",
      two,
      "--endpoint",
      sfn.url,
      "--input",
      "{lines",
    ]);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toContain("--input is not valid JSON");
    const unknownInput = await livy([
      "pipeline",
      "start",
      two,
      "--endpoint",
      sfn.url,
      "--input",
      '{"lines":3}',
    ]);
    expect(unknownInput.code).toBe(2);
    expect(unknownInput.stderr).toContain("--input lines must be a string");

    const latest = await livy(["pipeline", "status", two, "--endpoint", sfn.url, "--json"]);
    expect(latest.code).toBe(0);
    expect(JSON.parse(latest.stdout)).toMatchObject({ name: "ok-1", status: "SUCCEEDED" });
    const missing = await livy([
      "pipeline",
      "status",
      two,
      "--endpoint",
      sfn.url,
      "--execution",
      "nope",
    ]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain("ExecutionDoesNotExist");
  });

  it("status names the job that failed and why", async () => {
    await livy(["pipeline", "deploy", two, ...deployArgs()]);
    const start = await livy([
      "pipeline",
      "start",
      two,
      "--endpoint",
      sfn.url,
      "--input",
      "code=3",
      "--execution",
      "bad-1",
    ]);
    expect(start.code).toBe(0);
    const status = await livy([
      "pipeline",
      "status",
      two,
      "--endpoint",
      sfn.url,
      "--execution",
      "bad-1",
      "--follow",
      "--poll",
      "100",
    ]);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain("execution bad-1: FAILED\n");
    expect(status.stdout).toMatch(/^first\tsucceeded\t/m);
    expect(status.stdout).toMatch(
      /^second\tfailed\tattempts 1\tbatch (\d+) \(dead\)\tbatch \1 ended dead$/m,
    );
    expect(status.stdout).toMatch(/^failed job: second \(batch \d+ ended dead\)$/m);
  });
});
