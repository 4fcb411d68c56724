import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CodePipelineClient, ListActionTypesCommand } from "@aws-sdk/client-codepipeline";
import { afterEach, describe, expect, it } from "vitest";
import { type Setup, setup, until } from "./helpers.js";

const pkgDir = join(import.meta.dirname, "..");
const children: ChildProcess[] = [];

function cli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
    cwd: pkgDir,
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: "AKIDEMULATOR",
      AWS_SECRET_ACCESS_KEY: "x",
      AWS_REGION: "us-east-1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

let s: Setup | undefined;
afterEach(async () => {
  for (const c of children.splice(0))
    if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await s?.close();
  s = undefined;
});

// Each test spawns CLI processes under tsx: seconds each.
describe("codepipeline-worker CLI", { tags: ["slow"] }, () => {
  it("prints help, and refuses unknown commands, flags and modules without an action", async () => {
    const help = await cli(["--help"]).exited;
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: codepipeline-worker");
    const unknown = await cli(["launch"]).exited;
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "launch"');
    const flag = await cli(["run", "x.js", "--frobnicate"]).exited;
    expect(flag.code).toBe(2);
    const none = await cli(["register", "test/fixtures/actions/none.ts"]).exited;
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("exports no action");
    const missing = await cli(["register"]).exited;
    expect(missing.code).toBe(2);
  }, 60_000);

  it("refuses malformed flags and unloadable modules with exit code 2, unreachable services with 1", async () => {
    const results = await Promise.all([
      cli(["run", "test/fixtures/actions/slow.ts", "--concurrency", "abc"]).exited,
      cli(["run", "test/fixtures/actions/slow.ts", "--query", "nonsense"]).exited,
      cli(["emulate", "test/fixtures/actions/slow.ts"]).exited,
      cli(["register", "test/fixtures/actions/does-not-exist.js"]).exited,
    ]);
    expect(results.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(results[0]?.stderr).toContain("--concurrency must be a whole number");
    expect(results[1]?.stderr).toContain("--query takes name=value");
    expect(results[2]?.stderr).toContain("emulate takes no module");
    expect(results[3]?.stderr).toContain("Could not load");
    const unreachable = await cli(
      ["register", "test/fixtures/actions/slow.ts", "--endpoint", "http://127.0.0.1:9"],
      {
        AWS_MAX_ATTEMPTS: "1",
      },
    ).exited;
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain("The CodePipeline call for listing custom action types");
  }, 60_000);

  it("refuses nonsensical numbers and a non-loopback emulate --host without --unsafe-expose", async () => {
    const slow = "test/fixtures/actions/slow.ts";
    const results = await Promise.all([
      cli(["run", slow, "--poll-interval", "0"]).exited,
      cli(["run", slow, "--job-timeout", "0"]).exited,
      cli(["run", slow, "--concurrency", "0"]).exited,
      cli(["run", slow, "--max-batch-size", "1.5"]).exited,
      cli(["emulate", "--port", "70000"]).exited,
      cli(["emulate", "--host", "0.0.0.0"]).exited,
    ]);
    expect(results.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(results[0]?.stderr).toContain("--poll-interval must be a whole number from 1 up");
    expect(results[1]?.stderr).toContain("--job-timeout must be a whole number from 1 up");
    expect(results[2]?.stderr).toContain("--concurrency must be a whole number from 1 up");
    expect(results[3]?.stderr).toContain(
      '--max-batch-size must be a whole number from 1 up (got "1.5")',
    );
    expect(results[4]?.stderr).toContain("--port must be a whole number from 0 to 65535");
    expect(results[5]?.stderr).toContain("--host 0.0.0.0 is not a loopback address");
    expect(results[5]?.stderr).toContain("--unsafe-expose");
  }, 60_000);

  it("run exits 1 saying what to fix when the action type is not registered", async () => {
    s = await setup();
    const result = await cli(["run", "test/fixtures/actions/slow.ts"], {
      CODEPIPELINE_ENDPOINT: s.emulator.url,
    }).exited;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("ActionTypeNotFoundException");
    expect(result.stderr).toContain("register the action type first");
  }, 60_000);

  it("registers idempotently and explains a conflicting definition", async () => {
    s = await setup();
    const env = { CODEPIPELINE_ENDPOINT: s.emulator.url };
    const first = await cli(["register", "test/fixtures/actions/slow.ts"], env).exited;
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: "created" });
    const again = await cli([
      "register",
      "test/fixtures/actions/slow.ts",
      "--endpoint",
      s.emulator.url,
    ]).exited;
    expect(JSON.parse(again.stdout)).toMatchObject({ status: "unchanged" });
    const changed = await cli(["register", "test/fixtures/actions/slow-changed.ts"], env).exited;
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain(
      "configurationProperties.Target.secret: registered false, defined true",
    );
    expect(changed.stderr).toContain("immutable");
  }, 60_000);

  it("emulate serves the API until SIGTERM", async () => {
    const run = cli(["emulate", "--port", "0"]);
    await until(() => run.output().stdout.includes("\n"), 30_000);
    const info = JSON.parse(run.output().stdout.split("\n")[0] as string) as {
      url: string;
      env: Record<string, string>;
    };
    const client = new CodePipelineClient({
      endpoint: info.url,
      region: "us-east-1",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
    });
    expect((await client.send(new ListActionTypesCommand({}))).actionTypes).toEqual([]);
    client.destroy();
    expect(info.env.CODEPIPELINE_S3_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    run.child.kill("SIGTERM");
    expect((await run.exited).code).toBe(0);
  }, 60_000);

  it("run: SIGTERM mid-job fails the job with SystemUnavailable after the shutdown deadline", async () => {
    s = await setup();
    const env = {
      CODEPIPELINE_ENDPOINT: s.emulator.url,
      CODEPIPELINE_S3_ENDPOINT: s.emulator.s3Url,
    };
    const worker = cli(
      [
        "run",
        "test/fixtures/actions/slow.ts",
        "--register",
        "--poll-interval",
        "50",
        "--shutdown-timeout",
        "200",
      ],
      env,
    );
    await until(() => s?.emulator.listActionTypes().length === 1, 30_000);
    const { jobId, actionExecutionId } = await s.emulator.enqueueJob({
      actionTypeId: { category: "Deploy", provider: "SlowDeploy", version: "1" },
      configuration: { Target: "prod" },
      inputArtifacts: [{ name: "App", files: { "app.txt": "v1" } }],
    });
    await until(() => s?.emulator.getJob(jobId)?.status === "InProgress", 30_000);
    await until(() => worker.output().stderr.includes("started prod"), 30_000);
    worker.child.kill("SIGTERM");
    const exit = await worker.exited;
    expect(exit.code).toBe(0);
    const execution = s.emulator.getExecution(actionExecutionId);
    expect(execution?.status).toBe("Failed");
    expect(execution?.failureDetails?.type).toBe("SystemUnavailable");
  }, 60_000);

  it("run: a worker killed with SIGKILL mid-job never reports success; the job times out", async () => {
    s = await setup({ jobTimeoutMs: 1500 });
    const env = {
      CODEPIPELINE_ENDPOINT: s.emulator.url,
      CODEPIPELINE_S3_ENDPOINT: s.emulator.s3Url,
    };
    const workRoot = await mkdtemp(join(tmpdir(), "cpw-cli-kill-"));
    const worker = cli(
      [
        "run",
        "test/fixtures/actions/slow.ts",
        "--register",
        "--poll-interval",
        "50",
        "--work-root",
        workRoot,
      ],
      env,
    );
    await until(() => s?.emulator.listActionTypes().length === 1, 30_000);
    const { jobId, actionExecutionId } = await s.emulator.enqueueJob({
      actionTypeId: { category: "Deploy", provider: "SlowDeploy", version: "1" },
      configuration: { Target: "prod" },
    });
    await until(() => s?.emulator.getJob(jobId)?.status === "InProgress", 30_000);
    worker.child.kill("SIGKILL");
    expect((await worker.exited).signal).toBe("SIGKILL");
    const execution = await s.emulator.waitForExecution(actionExecutionId, { timeoutMs: 20_000 });
    expect(execution.status).toBe("Failed");
    expect(s.emulator.getJob(jobId)?.status).toBe("TimedOut");
    await rm(workRoot, { recursive: true, force: true });
  }, 60_000);
});
