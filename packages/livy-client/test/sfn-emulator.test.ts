// The Step Functions emulator driven by the real AWS SDK v3 client over HTTP: state machines,
// executions that run compiled pipelines against the Livy dev server through the ./lambda
// handlers, history events, and the service's error names for bad requests.
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  UpdateStateMachineCommand,
} from "@aws-sdk/client-sfn";
import { afterEach, describe, expect, it } from "vitest";
import { createStatusHandler, createSubmitHandler } from "../src/lambda/index.js";
import { definePipeline, toStateMachine } from "../src/pipeline/index.js";
import {
  createSfnEmulator,
  type RunningSfnEmulator,
  type SfnEmulatorOptions,
} from "../src/services/sfn-emulator/index.js";
import { deployPipeline } from "../src/sfn/index.js";
import { devServersClosedAfterEach, pipelineWithDollarConf } from "./helpers.js";

const startLivy = devServersClosedAfterEach();
let emulators: RunningSfnEmulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.map((e) => e.close()));
  emulators = [];
});

const ROLE = "arn:aws:iam::123456789012:role/livy-pipeline";
const arns = {
  submitFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:livy-submit",
  statusFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:livy-status",
};
const PASS = JSON.stringify({ StartAt: "Done", States: { Done: { Type: "Pass", End: true } } });
const WAIT = JSON.stringify({
  StartAt: "Hold",
  States: { Hold: { Type: "Wait", Seconds: 600, End: true } },
});

async function emulator(options: SfnEmulatorOptions = {}) {
  const running = await createSfnEmulator(options).start({ port: 0 });
  emulators.push(running);
  const sfn = new SFNClient({
    endpoint: running.url,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "emulator-secret" },
    maxAttempts: 1,
  });
  return { running, sfn };
}

async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error("expected the request to fail");
}

async function finished(
  sfn: SFNClient,
  executionArn: string,
): Promise<DescribeExecutionCommandOutput> {
  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== "RUNNING") return described;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("state machines", { tags: ["slow"] }, () => {
  it("creates (idempotently), describes, lists, updates", async () => {
    const { sfn } = await emulator();
    const created = await sfn.send(
      new CreateStateMachineCommand({ name: "etl", definition: PASS, roleArn: ROLE }),
    );
    expect(created.stateMachineArn).toBe("arn:aws:states:us-east-1:123456789012:stateMachine:etl");
    expect(created.creationDate).toBeInstanceOf(Date);
    const again = await sfn.send(
      new CreateStateMachineCommand({ name: "etl", definition: PASS, roleArn: ROLE }),
    );
    expect(again.stateMachineArn).toBe(created.stateMachineArn);
    const conflict = await failure(
      sfn.send(new CreateStateMachineCommand({ name: "etl", definition: WAIT, roleArn: ROLE })),
    );
    expect(conflict).toMatchObject({ name: "StateMachineAlreadyExists", status: 400 });

    const described = await sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }),
    );
    expect(described).toMatchObject({
      name: "etl",
      status: "ACTIVE",
      definition: PASS,
      roleArn: ROLE,
      type: "STANDARD",
    });
    await sfn.send(
      new UpdateStateMachineCommand({ stateMachineArn: created.stateMachineArn, definition: WAIT }),
    );
    expect(
      (
        await sfn.send(
          new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }),
        )
      ).definition,
    ).toBe(WAIT);

    await sfn.send(
      new CreateStateMachineCommand({ name: "a-first", definition: PASS, roleArn: ROLE }),
    );
    const first = await sfn.send(new ListStateMachinesCommand({ maxResults: 1 }));
    expect(first.stateMachines?.map((m) => m.name)).toEqual(["a-first"]);
    const second = await sfn.send(
      new ListStateMachinesCommand({ maxResults: 1, nextToken: first.nextToken }),
    );
    expect(second.stateMachines?.map((m) => m.name)).toEqual(["etl"]);
    expect(second.nextToken).toBeUndefined();
    expect(
      await failure(sfn.send(new ListStateMachinesCommand({ nextToken: "garbage" }))),
    ).toMatchObject({ name: "InvalidToken" });
  });

  it("rejects bad names, definitions, ARNs and updates with the service's errors", async () => {
    const { sfn } = await emulator();
    const create = (name: string, definition = PASS, roleArn = ROLE) =>
      failure(sfn.send(new CreateStateMachineCommand({ name, definition, roleArn })));
    expect(await create("has space")).toMatchObject({ name: "InvalidName", status: 400 });
    expect(await create("a:b")).toMatchObject({ name: "InvalidName" });
    expect(await create("x".repeat(81))).toMatchObject({ name: "InvalidName" });
    expect(await create("ok", "{not json")).toMatchObject({ name: "InvalidDefinition" });
    const missingTarget = await create(
      "ok",
      JSON.stringify({ StartAt: "A", States: { A: { Type: "Pass", Next: "Nowhere" } } }),
    );
    expect(missingTarget.name).toBe("InvalidDefinition");
    expect(missingTarget.message).toContain("Nowhere");
    // asl-validator's rules with ARNs and paths checked, and its failures on a state that is
    // not an object, answered as the service does.
    const badArn = await create(
      "ok",
      JSON.stringify({ StartAt: "A", States: { A: { Type: "Task", Resource: "f", End: true } } }),
    );
    expect(badArn).toMatchObject({ name: "InvalidDefinition" });
    expect(badArn.message).toContain("/States/A/Resource is invalid");
    const badPath = await create(
      "ok",
      JSON.stringify({
        StartAt: "A",
        States: { A: { Type: "Pass", InputPath: "$$$", End: true } },
      }),
    );
    expect(badPath.message).toContain(
      '/States/A/InputPath is invalid. must match format "asl_path"',
    );
    const nullState = await create("ok", JSON.stringify({ StartAt: "A", States: { A: null } }));
    expect(nullState).toMatchObject({ name: "InvalidDefinition" });
    expect(nullState.message).toContain("SCHEMA_VALIDATION_FAILED: Cannot read properties of null");
    expect(await create("ok", PASS, "arn:aws:iam::123:user/bob")).toMatchObject({
      name: "InvalidArn",
    });
    expect(
      await failure(
        sfn.send(new CreateStateMachineCommand({ name: "ok", definition: PASS } as never)),
      ),
    ).toMatchObject({
      name: "ValidationException",
    });
    const unknown = "arn:aws:states:us-east-1:123456789012:stateMachine:nope";
    expect(
      await failure(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: unknown }))),
    ).toMatchObject({
      name: "StateMachineDoesNotExist",
    });
    expect(
      await failure(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: "not-an-arn" }))),
    ).toMatchObject({
      name: "InvalidArn",
    });
    expect(
      await failure(sfn.send(new UpdateStateMachineCommand({ stateMachineArn: unknown }))),
    ).toMatchObject({
      name: "MissingRequiredParameter",
    });
    expect(
      await failure(
        sfn.send(new UpdateStateMachineCommand({ stateMachineArn: unknown, definition: PASS })),
      ),
    ).toMatchObject({
      name: "StateMachineDoesNotExist",
    });
  });
});

describe("executions", { tags: ["slow"] }, () => {
  it("start, run to the end, and answer the 90-day name rule", async () => {
    let now = Date.UTC(2026, 0, 1);
    const { sfn } = await emulator({ now: () => now });
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name: "pass", definition: PASS, roleArn: ROLE }),
    );
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: "run-1", input: '{"day":"2026-01-01"}' }),
    );
    expect(started.executionArn).toBe("arn:aws:states:us-east-1:123456789012:execution:pass:run-1");
    const done = await finished(sfn, started.executionArn!);
    expect(done).toMatchObject({
      status: "SUCCEEDED",
      output: '{"day":"2026-01-01"}',
      name: "run-1",
    });
    const history = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: started.executionArn }),
    );
    expect(history.events?.map((e) => e.type)).toEqual([
      "ExecutionStarted",
      "PassStateEntered",
      "PassStateExited",
      "ExecutionSucceeded",
    ]);
    expect(history.events?.[0]?.executionStartedEventDetails).toMatchObject({
      input: '{"day":"2026-01-01"}',
      roleArn: ROLE,
    });

    // Closed: the name is taken for 90 days, whatever the input.
    const reuse = () =>
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn,
          name: "run-1",
          input: '{"day":"2026-01-01"}',
        }),
      );
    expect(await failure(reuse())).toMatchObject({ name: "ExecutionAlreadyExists", status: 400 });
    now += 89 * 86_400_000;
    expect(await failure(reuse())).toMatchObject({ name: "ExecutionAlreadyExists" });
    now += 2 * 86_400_000;
    expect((await reuse()).executionArn).toBe(started.executionArn);
  });

  it("treats the same name and input of an open execution as the same request; stops it", async () => {
    const { sfn } = await emulator();
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name: "hold", definition: WAIT, roleArn: ROLE }),
    );
    const first = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: "once", input: "{}" }),
    );
    const second = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: "once", input: "{}" }),
    );
    expect(second.executionArn).toBe(first.executionArn);
    expect(
      await failure(
        sfn.send(new StartExecutionCommand({ stateMachineArn, name: "once", input: '{"a":1}' })),
      ),
    ).toMatchObject({
      name: "ExecutionAlreadyExists",
    });
    const running = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: "RUNNING" }),
    );
    expect(running.executions?.map((e) => e.name)).toEqual(["once"]);

    await sfn.send(
      new StopExecutionCommand({
        executionArn: first.executionArn,
        error: "Operator",
        cause: "stopped by a test",
      }),
    );
    const stopped = await finished(sfn, first.executionArn!);
    expect(stopped).toMatchObject({
      status: "ABORTED",
      error: "Operator",
      cause: "stopped by a test",
    });
    const history = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: first.executionArn, reverseOrder: true }),
    );
    expect(history.events?.[0]).toMatchObject({
      type: "ExecutionAborted",
      executionAbortedEventDetails: { error: "Operator", cause: "stopped by a test" },
    });
    expect(
      (await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: "ABORTED" })))
        .executions,
    ).toHaveLength(1);
    expect(
      await failure(
        sfn.send(
          new StopExecutionCommand({ executionArn: first.executionArn, error: "e".repeat(257) }),
        ),
      ),
    ).toMatchObject({
      name: "ValidationException",
    });
  });

  it("rejects bad input, names and ARNs with the service's errors", async () => {
    const { sfn } = await emulator();
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name: "pass", definition: PASS, roleArn: ROLE }),
    );
    const start = (input: string, name?: string) =>
      failure(
        sfn.send(new StartExecutionCommand({ stateMachineArn, input, ...(name ? { name } : {}) })),
      );
    expect(await start("{broken")).toMatchObject({ name: "InvalidExecutionInput", status: 400 });
    // 256 KiB counts UTF-8 bytes: 131,073 two-byte characters are 262,146 bytes plus quotes.
    expect(await start(JSON.stringify("é".repeat(131_073)))).toMatchObject({
      name: "InvalidExecutionInput",
    });
    const fits = JSON.stringify("x".repeat(262_144 - 2));
    expect(
      (await sfn.send(new StartExecutionCommand({ stateMachineArn, input: fits }))).executionArn,
    ).toBeTruthy();
    expect(await start("{}", "white space")).toMatchObject({ name: "InvalidName" });
    const unknown = "arn:aws:states:us-east-1:123456789012:stateMachine:nope";
    expect(
      await failure(sfn.send(new StartExecutionCommand({ stateMachineArn: unknown }))),
    ).toMatchObject({
      name: "StateMachineDoesNotExist",
    });
    const missing = "arn:aws:states:us-east-1:123456789012:execution:pass:nope";
    expect(
      await failure(sfn.send(new DescribeExecutionCommand({ executionArn: missing }))),
    ).toMatchObject({
      name: "ExecutionDoesNotExist",
    });
    expect(
      await failure(sfn.send(new GetExecutionHistoryCommand({ executionArn: stateMachineArn }))),
    ).toMatchObject({
      name: "InvalidArn",
    });
    expect(
      await failure(sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1001 }))),
    ).toMatchObject({
      name: "ValidationException",
    });
  });

  it("fails an execution whose state output passes 256 KiB, or whose history reaches 25,000 events", async () => {
    const { sfn } = await emulator();
    const big = JSON.stringify({
      StartAt: "Big",
      States: { Big: { Type: "Pass", Result: "x".repeat(262_144), End: true } },
    });
    const loop = JSON.stringify({
      StartAt: "Ping",
      States: {
        Ping: { Type: "Pass", Next: "Again?" },
        "Again?": {
          Type: "Choice",
          Choices: [{ Variable: "$.stop", IsPresent: true, Next: "Done" }],
          Default: "Ping",
        },
        Done: { Type: "Succeed" },
      },
    });
    const run = async (name: string, definition: string) => {
      const { stateMachineArn } = await sfn.send(
        new CreateStateMachineCommand({ name, definition, roleArn: ROLE }),
      );
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
      return { done: await finished(sfn, executionArn!), executionArn: executionArn! };
    };
    expect((await run("big", big)).done).toMatchObject({
      status: "FAILED",
      error: "States.DataLimitExceeded",
    });
    const looped = await run("loop", loop);
    expect(looped.done).toMatchObject({ status: "FAILED", error: "States.Runtime" });
    expect(looped.done.cause).toContain("25000");
    const last = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn: looped.executionArn,
        reverseOrder: true,
        maxResults: 1,
      }),
    );
    expect(last.events?.[0]).toMatchObject({ type: "ExecutionFailed" });
    expect(last.events?.[0]?.id).toBeGreaterThanOrEqual(25_000);
  });

  it("starts one execution for two concurrent starts of one name, and refuses EXPRESS", async () => {
    const { sfn } = await emulator();
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name: "hold", definition: WAIT, roleArn: ROLE }),
    );
    const both = await Promise.allSettled([
      sfn.send(new StartExecutionCommand({ stateMachineArn, name: "same", input: '{"a":1}' })),
      sfn.send(new StartExecutionCommand({ stateMachineArn, name: "same", input: '{"a":2}' })),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect((both.find((r) => r.status === "rejected") as PromiseRejectedResult).reason.name).toBe(
      "ExecutionAlreadyExists",
    );
    expect(
      (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions,
    ).toHaveLength(1);
    expect(
      await failure(
        sfn.send(
          new CreateStateMachineCommand({
            name: "fast",
            definition: PASS,
            roleArn: ROLE,
            type: "EXPRESS",
          }),
        ),
      ),
    ).toMatchObject({ name: "StateMachineTypeNotSupported" });
  });

  it("pages history and omits payloads when asked", async () => {
    const { sfn } = await emulator();
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({ name: "pass", definition: PASS, roleArn: ROLE }),
    );
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, input: '{"secret":"s3://bucket"}' }),
    );
    await finished(sfn, executionArn!);
    const page1 = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 3, includeExecutionData: false }),
    );
    expect(page1.events?.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(JSON.stringify(page1.events)).not.toContain("s3://bucket");
    const page2 = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 3, nextToken: page1.nextToken }),
    );
    expect(page2.events?.map((e) => e.id)).toEqual([4]);
    expect(page2.nextToken).toBeUndefined();
  });
});

describe("compiled pipelines against the Livy dev server", { tags: ["slow"] }, () => {
  async function deployed(
    definition: Parameters<typeof definePipeline>[0],
    functions?: SfnEmulatorOptions["lambdaFunctions"],
  ) {
    const { client } = await startLivy();
    const { running, sfn } = await emulator({
      lambdaFunctions: functions ?? {
        "livy-submit": createSubmitHandler({ livy: client }),
        [arns.statusFunctionArn]: createStatusHandler({ livy: client }),
      },
      waitTimeMs: 30,
      retryIntervalMs: 10,
    });
    const pipeline = definePipeline(definition);
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: pipeline.name,
        definition: JSON.stringify(toStateMachine(pipeline, arns)),
        roleArn: ROLE,
      }),
    );
    return { client, running, sfn, stateMachineArn: stateMachineArn! };
  }

  it("runs a pipeline with a parallel stage to success, with Lambda history events", async () => {
    const { client, sfn, stateMachineArn } = await deployed({
      name: "fan",
      input: { lines: null },
      jobs: {
        a: { batch: { file: "count.mjs", args: ["{{lines}}"] } },
        b: { batch: { file: "count.mjs", args: ["1"] } },
        c: { batch: { file: "count.mjs", args: ["1"] }, dependsOn: ["a", "b"] },
      },
    });
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: "day-1", input: '{"lines":"3"}' }),
    );
    const done = await finished(sfn, executionArn!);
    expect(done.status).toBe("SUCCEEDED");
    const batches = (await client.listBatches({ size: 100 })).sessions;
    expect(batches.map((b) => [b.name, b.state]).sort()).toEqual([
      ["fan-a-day-1-1", "success"],
      ["fan-b-day-1-1", "success"],
      ["fan-c-day-1-1", "success"],
    ]);
    // The execution input reached the job: {{lines}} = 3 printed three lines.
    const a = batches.find((b) => b.name === "fan-a-day-1-1")!;
    expect((await client.getBatchLog(a.id)).log.filter((l) => l.startsWith("line "))).toEqual([
      "line 1",
      "line 2",
      "line 3",
    ]);
    const history =
      (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ??
      [];
    const types = history.map((e) => e.type);
    expect(types).toContain("ParallelStateStarted");
    const scheduled = history.filter((e) => e.type === "LambdaFunctionScheduled");
    expect(scheduled.map((e) => e.lambdaFunctionScheduledEventDetails?.resource)).toContain(
      arns.submitFunctionArn,
    );
    // Every scheduled function follows its TaskStateEntered, and is followed by Started.
    for (const event of scheduled) {
      expect(history[event.id! - 2]?.type).toMatch(/TaskStateEntered|LambdaFunctionFailed/);
      expect(history[event.id!]?.type).toBe("LambdaFunctionStarted");
    }
    const submitted = history.find((e) => e.type === "LambdaFunctionSucceeded");
    expect(
      JSON.parse(submitted?.lambdaFunctionSucceededEventDetails?.output ?? "{}"),
    ).toMatchObject({ state: expect.any(String), attempt: 1 });
    expect(types.at(-1)).toBe("ExecutionSucceeded");
  });

  it("fails when a job ends dead and notifies the SNS topic", async () => {
    const { running, sfn, stateMachineArn } = await deployed({
      name: "bad",
      onFailure: { snsTopicArn: "arn:aws:sns:us-east-1:123456789012:pipeline-alerts" },
      jobs: { broken: { batch: { file: "count.mjs", args: ["1", "0", "3"] } } },
    });
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: "x" }),
    );
    const done = await finished(sfn, executionArn!);
    expect(done).toMatchObject({ status: "FAILED", error: "LivyPipelineFailed" });
    const history =
      (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ??
      [];
    const failState = history.find(
      (e) => e.type === "FailStateEntered" && e.stateEnteredEventDetails?.name === "broken failed",
    );
    expect(JSON.parse(failState?.stateEnteredEventDetails?.input ?? "{}")).toMatchObject({
      livy: { state: "dead" },
    });
    expect(running.published).toEqual([
      expect.objectContaining({
        topicArn: "arn:aws:sns:us-east-1:123456789012:pipeline-alerts",
        subject: "Livy pipeline bad failed",
      }),
    ]);
    expect(running.published[0]?.message).toContain("execution x");
  });

  it("fails a task whose Lambda function the emulator does not serve", async () => {
    const { sfn, stateMachineArn } = await deployed(
      { name: "orphan", jobs: { only: { batch: { file: "count.mjs" } } } },
      {},
    );
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
    expect((await finished(sfn, executionArn!)).status).toBe("FAILED");
    const history =
      (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ??
      [];
    const failed = history.find((e) => e.type === "LambdaFunctionFailed");
    expect(failed?.lambdaFunctionFailedEventDetails?.error).toBe(
      "Lambda.ResourceNotFoundException",
    );
  });
});

describe("the HTTP surface", () => {
  const call = (url: string, headers: Record<string, string>, body = "{}") =>
    fetch(url, { method: "POST", headers, body }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as { __type: string },
    }));
  const signed = {
    "content-type": "application/x-amz-json-1.0",
    "x-amz-target": "AWSStepFunctions.ListStateMachines",
    authorization:
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/states/aws4_request, SignedHeaders=host;x-amz-date, Signature=" +
      "0".repeat(64),
  };

  it("answers a signed JSON 1.0 request and refuses what a web page could forge", async () => {
    const { running } = await emulator();
    expect(await call(running.url, signed)).toEqual({ status: 200, body: { stateMachines: [] } });
    const { authorization: _, ...unsigned } = signed;
    expect(await call(running.url, unsigned)).toMatchObject({
      status: 400,
      body: { __type: "MissingAuthenticationTokenException" },
    });
    expect(await call(running.url, { ...signed, "content-type": "text/plain" })).toMatchObject({
      status: 400,
      body: { __type: "UnknownOperationException" },
    });
    expect(await call(running.url, { ...signed, origin: "https://evil.example" })).toMatchObject({
      status: 403,
      body: { __type: "AccessDeniedException" },
    });
    expect(
      await call(running.url, { ...signed, "x-amz-target": "AWSStepFunctions.DeleteEverything" }),
    ).toMatchObject({
      status: 400,
      body: { __type: "UnknownOperationException" },
    });
    expect(await call(running.url, signed, "[1,2")).toMatchObject({
      status: 400,
      body: { __type: "SerializationException" },
    });
  });

  it("refuses a Host that is not loopback (DNS rebinding) and will not listen beyond loopback", async () => {
    const { running } = await emulator();
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        running.url,
        { method: "POST", headers: { ...signed, host: "evil.example" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end("{}");
    });
    expect(status).toBe(403);
    await expect(createSfnEmulator().start({ port: 0, host: "0.0.0.0" })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });
});

describe("deployPipeline validates locally", () => {
  it("refuses a definition that does not validate before any AWS call; unvalidated, AWS refuses it", async () => {
    const { sfn } = await emulator();
    const dollar = pipelineWithDollarConf();
    await expect(deployPipeline(dollar, { client: sfn, roleArn: ROLE, ...arns })).rejects.toThrow(
      expect.objectContaining({
        code: "INVALID_PIPELINE",
        field: "definition",
        message: expect.stringContaining("spark.app.$ is invalid"),
      }),
    );
    expect((await sfn.send(new ListStateMachinesCommand({}))).stateMachines).toEqual([]);
    // With validate: false the definition goes to the service, which refuses it.
    await expect(
      deployPipeline(dollar, { client: sfn, roleArn: ROLE, ...arns, validate: false }),
    ).rejects.toThrow(
      expect.objectContaining({ code: "AWS_ERROR", awsError: "InvalidDefinition" }),
    );
    // A valid pipeline deploys with the default validation.
    const plain = definePipeline({ name: "plain", jobs: { a: { batch: { file: "a.py" } } } });
    const deployed = await deployPipeline(plain, { client: sfn, roleArn: ROLE, ...arns });
    expect(deployed.action).toBe("created");
  });
});
