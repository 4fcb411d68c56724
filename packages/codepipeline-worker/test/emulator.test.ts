import { get } from "node:http";
import { Readable } from "node:stream";
import {
  AcknowledgeJobCommand,
  CreateCustomActionTypeCommand,
  DeleteCustomActionTypeCommand,
  GetJobDetailsCommand,
  ListActionTypesCommand,
  PollForJobsCommand,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from "@aws-sdk/client-codepipeline";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startEmulator } from "../src/emulator/index.js";
import { defineAction, registerActionType } from "../src/index.js";
import { type Setup, setup, until } from "./helpers.js";

const action = defineAction({
  actionTypeId: { category: "Deploy", provider: "Artifactory", version: "1" },
  configurationProperties: [
    { name: "Repo", required: true, key: true, secret: false, queryable: true },
  ],
  inputArtifacts: { min: 0, max: 1 },
  outputArtifacts: { min: 0, max: 1 },
  handler: () => undefined,
});
const actionTypeId = { ...action.actionTypeId };

async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).name;
  }
  return "no error";
}

describe("emulator: AWS JSON 1.1 wire protocol", () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup();
  });
  afterEach(async () => s.close());

  const raw = (target: string | undefined, body: string, headers: Record<string, string> = {}) =>
    fetch(`${s.emulator.url}/`, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        authorization:
          "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/codepipeline/aws4_request, SignedHeaders=host, Signature=0",
        ...(target ? { "x-amz-target": target } : {}),
        ...headers,
      },
      body,
    });

  it("answers errors with __type and x-amzn-ErrorType", async () => {
    const res = await raw(
      "CodePipeline_20150709.GetJobDetails",
      JSON.stringify({ jobId: "00000000-0000-4000-8000-000000000000" }),
    );
    expect(res.status).toBe(400);
    expect(res.headers.get("x-amzn-errortype")).toBe("JobNotFoundException");
    expect(await res.json()).toMatchObject({ __type: "JobNotFoundException" });
  });

  it("refuses unknown targets, bad JSON, missing signatures and wrong content types", async () => {
    expect(await (await raw("CodePipeline_20150709.LaunchRocket", "{}")).json()).toMatchObject({
      __type: "UnknownOperationException",
    });
    expect(await (await raw(undefined, "{}")).json()).toMatchObject({
      __type: "UnknownOperationException",
    });
    expect(
      await (await raw("CodePipeline_20150709.ListActionTypes", "{nope")).json(),
    ).toMatchObject({ __type: "SerializationException" });
    const unsigned = await raw("CodePipeline_20150709.ListActionTypes", "{}", {
      authorization: "",
    });
    expect(unsigned.status).toBe(403);
    const text = await raw("CodePipeline_20150709.ListActionTypes", "{}", {
      "content-type": "text/plain",
    });
    expect(await text.json()).toMatchObject({ __type: "SerializationException" });
    expect((await fetch(`${s.emulator.url}/anything`)).status).toBe(404);
  });

  it("validates CreateCustomActionType like the service and keeps action types immutable", async () => {
    const input = {
      category: "Deploy" as const,
      provider: "X",
      version: "1",
      inputArtifactDetails: { minimumCount: 0, maximumCount: 1 },
      outputArtifactDetails: { minimumCount: 0, maximumCount: 0 },
    };
    expect(
      await errorName(
        s.client.send(new CreateCustomActionTypeCommand({ ...input, category: "Magic" as never })),
      ),
    ).toBe("ValidationException");
    expect(
      await errorName(
        s.client.send(
          new CreateCustomActionTypeCommand({
            ...input,
            inputArtifactDetails: { minimumCount: 0, maximumCount: 6 },
          }),
        ),
      ),
    ).toBe("ValidationException");
    const props = Array.from({ length: 11 }, (_, i) => ({
      name: `p${i}`,
      required: false,
      key: false,
      secret: false,
    }));
    expect(
      await errorName(
        s.client.send(
          new CreateCustomActionTypeCommand({ ...input, configurationProperties: props }),
        ),
      ),
    ).toBe("ValidationException");
    const created = await s.client.send(new CreateCustomActionTypeCommand(input));
    expect(created.actionType?.id).toEqual({
      category: "Deploy",
      owner: "Custom",
      provider: "X",
      version: "1",
    });
    expect(
      await errorName(
        s.client.send(
          new CreateCustomActionTypeCommand({
            ...input,
            outputArtifactDetails: { minimumCount: 0, maximumCount: 1 },
          }),
        ),
      ),
    ).toBe("ValidationException");
    await s.client.send(
      new DeleteCustomActionTypeCommand({ category: "Deploy", provider: "X", version: "1" }),
    );
    expect(s.emulator.listActionTypes()).toEqual([]);
    // A deleted id takes back only the identical definition (API reference, DeleteCustomActionType).
    expect(
      await errorName(
        s.client.send(
          new CreateCustomActionTypeCommand({
            ...input,
            outputArtifactDetails: { minimumCount: 0, maximumCount: 1 },
          }),
        ),
      ),
    ).toBe("ValidationException");
    const restored = await s.client.send(new CreateCustomActionTypeCommand(input));
    expect(restored.actionType?.inputArtifactDetails).toEqual({ minimumCount: 0, maximumCount: 1 });
    expect(s.emulator.listActionTypes().map((t) => t.id.provider)).toEqual(["X"]);
    await s.client.send(
      new DeleteCustomActionTypeCommand({ category: "Deploy", provider: "X", version: "1" }),
    );
    expect(
      await errorName(
        s.client.send(
          new DeleteCustomActionTypeCommand({ category: "Deploy", provider: "X", version: "1" }),
        ),
      ),
    ).toBe("ValidationException");
  });

  it("listens only on loopback unless told otherwise, and its control API refuses what a web page could forge", async () => {
    const refused = await startEmulator({ host: "0.0.0.0" }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect((refused as Error).message).toContain("unsafeExpose");
    const fromPage = await fetch(`${s.emulator.url}/_emulator/calls`, {
      headers: { origin: "https://evil.example" },
    });
    expect(fromPage.status).toBe(403);
    // fetch will not send a foreign Host header; node:http will (as after DNS rebinding).
    const rebound = await new Promise<number>((resolve, reject) => {
      get(`${s.emulator.url}/_emulator/calls`, { headers: { host: "evil.example" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on("error", reject);
    });
    expect(rebound).toBe(403);
    expect((await fetch(`${s.emulator.url}/_emulator/calls`)).status).toBe(200);
  });

  it("pages ListActionTypes with nextToken", async () => {
    for (let v = 1; v <= 25; v++) {
      await s.client.send(
        new CreateCustomActionTypeCommand({
          category: "Test",
          provider: "Many",
          version: String(v),
          inputArtifactDetails: { minimumCount: 0, maximumCount: 0 },
          outputArtifactDetails: { minimumCount: 0, maximumCount: 0 },
        }),
      );
    }
    const first = await s.client.send(new ListActionTypesCommand({ actionOwnerFilter: "Custom" }));
    expect(first.actionTypes).toHaveLength(20);
    const second = await s.client.send(
      new ListActionTypesCommand({ actionOwnerFilter: "Custom", nextToken: first.nextToken }),
    );
    expect(second.actionTypes).toHaveLength(5);
    expect(second.nextToken).toBeUndefined();
    expect(await errorName(s.client.send(new ListActionTypesCommand({ nextToken: "zzzz" })))).toBe(
      "InvalidNextTokenException",
    );
    expect(
      (await s.client.send(new ListActionTypesCommand({ actionOwnerFilter: "AWS" }))).actionTypes,
    ).toEqual([]);
  });
});

describe("emulator: start-up failures", () => {
  it("reports a port in use as EMULATOR_ERROR", async () => {
    const first = await startEmulator();
    try {
      await expect(startEmulator({ port: first.port })).rejects.toMatchObject({
        code: "EMULATOR_ERROR",
        message: expect.stringContaining("EADDRINUSE"),
      });
      const s3Port = Number(new URL(first.s3Url).port);
      await expect(startEmulator({ s3Port })).rejects.toMatchObject({ code: "EMULATOR_ERROR" });
    } finally {
      await first.close();
    }
  });
});

describe("emulator: job life cycle", () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup({ ackTimeoutMs: 300, jobTimeoutMs: 600 });
    await registerActionType(action, { client: s.client });
  });
  afterEach(async () => s.close());

  it("refuses polls for unknown or non-custom action types and bad queries", async () => {
    expect(
      await errorName(
        s.client.send(new PollForJobsCommand({ actionTypeId: { ...actionTypeId, version: "9" } })),
      ),
    ).toBe("ActionTypeNotFoundException");
    expect(
      await errorName(
        s.client.send(new PollForJobsCommand({ actionTypeId: { ...actionTypeId, owner: "AWS" } })),
      ),
    ).toBe("ValidationException");
    expect(
      await errorName(
        s.client.send(new PollForJobsCommand({ actionTypeId, queryParam: { Nope: "x" } })),
      ),
    ).toBe("ValidationException");
    expect(await errorName(s.client.send(new PollForJobsCommand({ actionTypeId })))).toBe(
      "ValidationException",
    );
    expect(
      await errorName(s.client.send(new PollForJobsCommand({ actionTypeId, maxBatchSize: 0 }))),
    ).toBe("ValidationException");
  });

  it("hands jobs out once, checks the nonce and accepts one result", async () => {
    const { jobId } = await s.emulator.enqueueJob({ actionTypeId, configuration: { Repo: "a" } });
    const polled = await s.client.send(
      new PollForJobsCommand({ actionTypeId, maxBatchSize: 5, queryParam: { Repo: "a" } }),
    );
    expect(polled.jobs).toHaveLength(1);
    const job = polled.jobs?.[0];
    expect(job?.id).toBe(jobId);
    expect(job?.data?.artifactCredentials?.sessionToken).toBeTruthy();
    expect(job?.data?.pipelineContext?.action?.actionExecutionId).toBeTruthy();
    expect(
      (await s.client.send(new PollForJobsCommand({ actionTypeId, queryParam: { Repo: "a" } })))
        .jobs,
    ).toEqual([]);
    expect(
      await errorName(s.client.send(new AcknowledgeJobCommand({ jobId, nonce: "wrong" }))),
    ).toBe("InvalidNonceException");
    expect(await errorName(s.client.send(new PutJobSuccessResultCommand({ jobId })))).toBe(
      "InvalidJobStateException",
    );
    expect(
      (await s.client.send(new AcknowledgeJobCommand({ jobId, nonce: job?.nonce }))).status,
    ).toBe("InProgress");
    expect(
      await errorName(
        s.client.send(
          new PutJobFailureResultCommand({
            jobId,
            failureDetails: { type: "Nope" as never, message: "m" },
          }),
        ),
      ),
    ).toBe("ValidationException");
    expect(
      await errorName(
        s.client.send(
          new PutJobSuccessResultCommand({
            jobId,
            continuationToken: "t",
            outputVariables: { A: "1" },
          }),
        ),
      ),
    ).toBe("ValidationException");
    expect(
      await errorName(
        s.client.send(
          new PutJobSuccessResultCommand({
            jobId,
            executionDetails: { summary: "x".repeat(2049) },
          }),
        ),
      ),
    ).toBe("ValidationException");
    await s.client.send(
      new PutJobFailureResultCommand({
        jobId,
        failureDetails: { type: "ConfigurationError", message: "bad repo" },
      }),
    );
    expect(await errorName(s.client.send(new PutJobSuccessResultCommand({ jobId })))).toBe(
      "InvalidJobStateException",
    );
    expect(s.emulator.getJob(jobId)?.status).toBe("Failed");
  });

  it("delivers an unacknowledged job again with a new nonce; the old nonce is refused", async () => {
    const { jobId } = await s.emulator.enqueueJob({ actionTypeId, configuration: { Repo: "a" } });
    const first = (
      await s.client.send(new PollForJobsCommand({ actionTypeId, queryParam: { Repo: "a" } }))
    ).jobs?.[0];
    await until(() => s.emulator.getJob(jobId)?.status === "Queued");
    const second = (
      await s.client.send(new PollForJobsCommand({ actionTypeId, queryParam: { Repo: "a" } }))
    ).jobs?.[0];
    expect(second?.id).toBe(jobId);
    expect(second?.nonce).not.toBe(first?.nonce);
    expect(
      await errorName(s.client.send(new AcknowledgeJobCommand({ jobId, nonce: first?.nonce }))),
    ).toBe("InvalidNonceException");
    expect(
      (await s.client.send(new AcknowledgeJobCommand({ jobId, nonce: second?.nonce }))).status,
    ).toBe("InProgress");
    expect(s.emulator.getJob(jobId)?.deliveries).toBe(2);
  });

  it("times out an acknowledged job that gets no result", async () => {
    const { jobId, actionExecutionId } = await s.emulator.enqueueJob({
      actionTypeId,
      configuration: { Repo: "a" },
    });
    const job = (
      await s.client.send(new PollForJobsCommand({ actionTypeId, queryParam: { Repo: "a" } }))
    ).jobs?.[0];
    await s.client.send(new AcknowledgeJobCommand({ jobId, nonce: job?.nonce }));
    const execution = await s.emulator.waitForExecution(actionExecutionId, { timeoutMs: 10_000 });
    expect(execution.status).toBe("Failed");
    expect(s.emulator.getJob(jobId)?.status).toBe("TimedOut");
    expect(await errorName(s.client.send(new PutJobSuccessResultCommand({ jobId })))).toBe(
      "InvalidJobStateException",
    );
  });

  it("creates a new job with the continuation token, in the same action execution", async () => {
    const { jobId, actionExecutionId } = await s.emulator.enqueueJob({
      actionTypeId,
      configuration: { Repo: "a" },
    });
    const job = (
      await s.client.send(new PollForJobsCommand({ actionTypeId, queryParam: { Repo: "a" } }))
    ).jobs?.[0];
    await s.client.send(new AcknowledgeJobCommand({ jobId, nonce: job?.nonce }));
    await s.client.send(
      new PutJobSuccessResultCommand({
        jobId,
        continuationToken: "step-2",
        executionDetails: { percentComplete: 50 },
      }),
    );
    expect(s.emulator.getExecution(actionExecutionId)?.status).toBe("InProgress");
    const next = (
      await s.client.send(new PollForJobsCommand({ actionTypeId, queryParam: { Repo: "a" } }))
    ).jobs?.[0];
    expect(next?.id).not.toBe(jobId);
    expect(next?.data?.continuationToken).toBe("step-2");
    expect(next?.data?.pipelineContext?.action?.actionExecutionId).toBe(actionExecutionId);
    await s.client.send(new AcknowledgeJobCommand({ jobId: next?.id, nonce: next?.nonce }));
    await s.client.send(
      new PutJobSuccessResultCommand({ jobId: next?.id, outputVariables: { DONE: "yes" } }),
    );
    const execution = s.emulator.getExecution(actionExecutionId);
    expect(execution?.status).toBe("Succeeded");
    expect(execution?.jobIds).toHaveLength(2);
    expect(execution?.outputVariables).toEqual({ DONE: "yes" });
  });

  it("carries timestamps as epoch seconds (currentRevision.created) and refuses other encodings", async () => {
    const { jobId, actionExecutionId } = await s.emulator.enqueueJob({
      actionTypeId,
      configuration: { Repo: "a" },
    });
    const job = (
      await s.client.send(new PollForJobsCommand({ actionTypeId, queryParam: { Repo: "a" } }))
    ).jobs?.[0];
    await s.client.send(new AcknowledgeJobCommand({ jobId, nonce: job?.nonce }));
    const raw = (body: object) =>
      fetch(`${s.emulator.url}/`, {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": "CodePipeline_20150709.PutJobSuccessResult",
          authorization:
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/codepipeline/aws4_request, SignedHeaders=host, Signature=0",
        },
        body: JSON.stringify(body),
      });
    const bad = await raw({
      jobId,
      currentRevision: { revision: "r", changeIdentifier: "c", created: "2026-01-01T00:00:00Z" },
    });
    expect(await bad.json()).toMatchObject({ __type: "SerializationException" });
    const created = new Date("2026-03-04T05:06:07.500Z");
    await s.client.send(
      new PutJobSuccessResultCommand({
        jobId,
        currentRevision: { revision: "abc123", changeIdentifier: "42", created },
      }),
    );
    expect(s.emulator.getExecution(actionExecutionId)?.currentRevision).toEqual({
      revision: "abc123",
      changeIdentifier: "42",
      created,
    });
    const overHttp = (await (
      await fetch(`${s.emulator.url}/_emulator/executions/${actionExecutionId}`)
    ).json()) as {
      currentRevision: { created: number };
    };
    expect(overHttp.currentRevision.created).toBe(created.getTime() / 1000);
  });

  it("filters jobs by the queryable property", async () => {
    await s.emulator.enqueueJob({ actionTypeId, configuration: { Repo: "a" } });
    const { jobId } = await s.emulator.enqueueJob({ actionTypeId, configuration: { Repo: "b" } });
    const polled = await s.client.send(
      new PollForJobsCommand({ actionTypeId, maxBatchSize: 5, queryParam: { Repo: "b" } }),
    );
    expect(polled.jobs?.map((j) => j.id)).toEqual([jobId]);
  });

  it("refreshes artifact credentials through GetJobDetails", async () => {
    const { jobId } = await s.emulator.enqueueJob({ actionTypeId, configuration: { Repo: "a" } });
    const job = (
      await s.client.send(new PollForJobsCommand({ actionTypeId, queryParam: { Repo: "a" } }))
    ).jobs?.[0];
    const details = await s.client.send(new GetJobDetailsCommand({ jobId }));
    expect(details.jobDetails?.data?.artifactCredentials?.accessKeyId).not.toBe(
      job?.data?.artifactCredentials?.accessKeyId,
    );
  });

  it("refuses enqueue requests a pipeline could not make", async () => {
    await expect(
      s.emulator.enqueueJob({ actionTypeId: { ...actionTypeId, version: "2" } }),
    ).rejects.toMatchObject({ code: "EMULATOR_ERROR" });
    await expect(s.emulator.enqueueJob({ actionTypeId })).rejects.toThrow(/required property Repo/);
    await expect(
      s.emulator.enqueueJob({ actionTypeId, configuration: { Repo: "a", Other: "x" } }),
    ).rejects.toThrow(/not a configuration property/);
    await expect(
      s.emulator.enqueueJob({
        actionTypeId,
        configuration: { Repo: "a" },
        outputArtifacts: ["a", "b"],
      }),
    ).rejects.toThrow(/0–1 output/);
  });

  it("injects throttling and 500s", async () => {
    s.emulator.injectFault({ operation: "PollForJobs", error: "ThrottlingException", count: 2 });
    expect(
      await errorName(
        s.client.send(new PollForJobsCommand({ actionTypeId, queryParam: { Repo: "a" } })),
      ),
    ).toBe("ThrottlingException");
    s.emulator.injectFault({ operation: "*", error: "InternalFailure", count: 2 });
    expect(
      await errorName(
        s.client.send(new PollForJobsCommand({ actionTypeId, queryParam: { Repo: "a" } })),
      ),
    ).toBe("InternalFailure");
    expect(
      (await s.client.send(new PollForJobsCommand({ actionTypeId, queryParam: { Repo: "a" } })))
        .jobs,
    ).toEqual([]);
    expect(s.emulator.calls.PollForJobs).toBe(5);
    expect(() => s.emulator.injectFault({ operation: "*", error: "Boom" as never })).toThrow(
      /Unknown fault/,
    );
  });

  it("serves the control API over HTTP", async () => {
    const res = await fetch(`${s.emulator.url}/_emulator/jobs`, {
      method: "POST",
      body: JSON.stringify({
        actionTypeId,
        configuration: { Repo: "a" },
        inputArtifacts: [{ name: "In", files: { "x.txt": "X" } }],
      }),
    });
    expect(res.status).toBe(201);
    const { jobId, actionExecutionId } = (await res.json()) as {
      jobId: string;
      actionExecutionId: string;
    };
    expect(
      (
        (await (await fetch(`${s.emulator.url}/_emulator/jobs/${jobId}`)).json()) as {
          status: string;
        }
      ).status,
    ).toBe("Queued");
    expect(
      (
        (await (
          await fetch(`${s.emulator.url}/_emulator/executions/${actionExecutionId}`)
        ).json()) as { status: string }
      ).status,
    ).toBe("InProgress");
    expect((await fetch(`${s.emulator.url}/_emulator/jobs/nope`)).status).toBe(404);
    const job = (
      await s.client.send(new PollForJobsCommand({ actionTypeId, queryParam: { Repo: "a" } }))
    ).jobs?.[0];
    await s.client.send(new AcknowledgeJobCommand({ jobId, nonce: job?.nonce }));
    const waiting = fetch(`${s.emulator.url}/_emulator/executions/${actionExecutionId}/wait`);
    await s.client.send(new PutJobSuccessResultCommand({ jobId, outputVariables: { V: "1" } }));
    expect(await (await waiting).json()).toMatchObject({
      status: "Succeeded",
      outputVariables: { V: "1" },
    });
    expect(
      ((await (await fetch(`${s.emulator.url}/_emulator/calls`)).json()) as Record<string, number>)
        .PutJobSuccessResult,
    ).toBe(1);
    const bad = await fetch(`${s.emulator.url}/_emulator/jobs`, {
      method: "POST",
      body: JSON.stringify({ actionTypeId: { ...actionTypeId, version: "7" } }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/not registered/);
    const fault = await fetch(`${s.emulator.url}/_emulator/faults`, {
      method: "POST",
      body: JSON.stringify({ operation: "PollForJobs", error: "ServiceUnavailable", count: 2 }),
    });
    expect(fault.status).toBe(204);
    expect(
      await errorName(
        s.client.send(new PollForJobsCommand({ actionTypeId, queryParam: { Repo: "a" } })),
      ),
    ).toBe("ServiceUnavailable");
  });
});

describe("emulator: S3 artifact store (s3rver)", () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup({ credentialsTtlMs: 400 });
    await registerActionType(action, { client: s.client });
  });
  afterEach(async () => s.close());

  async function jobCredentials() {
    await s.emulator.enqueueJob({ actionTypeId, configuration: { Repo: "a" } });
    const job = (
      await s.client.send(new PollForJobsCommand({ actionTypeId, queryParam: { Repo: "a" } }))
    ).jobs?.[0];
    const c = job?.data?.artifactCredentials;
    return {
      accessKeyId: c?.accessKeyId ?? "",
      secretAccessKey: c?.secretAccessKey ?? "",
      sessionToken: c?.sessionToken ?? "",
    };
  }

  it("stores stream uploads byte for byte with requestChecksumCalculation WHEN_REQUIRED", async () => {
    const s3 = new S3Client({
      ...s.emulator.workerS3Config,
      requestChecksumCalculation: "WHEN_REQUIRED",
      credentials: await jobCredentials(),
    });
    const bytes = Buffer.alloc(300_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) % 251;
    await s3.send(
      new PutObjectCommand({
        Bucket: s.emulator.bucket,
        Key: "stream.bin",
        Body: Readable.from([bytes]),
        ContentLength: bytes.length,
      }),
    );
    const stored = await s.emulator.getObject(s.emulator.bucket, "stream.bin");
    expect(stored.length).toBe(300_000);
    expect(stored.equals(bytes)).toBe(true);
    s3.destroy();
  });

  it("decodes the SDK's default aws-chunked uploads (flexible checksums) byte for byte", async () => {
    const s3 = new S3Client({ ...s.emulator.workerS3Config, credentials: await jobCredentials() });
    const bytes = Buffer.alloc(100_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 253;
    await s3.send(
      new PutObjectCommand({
        Bucket: s.emulator.bucket,
        Key: "framed.bin",
        Body: Readable.from([bytes]),
        ContentLength: bytes.length,
      }),
    );
    const stored = await s.emulator.getObject(s.emulator.bucket, "framed.bin");
    expect(stored.length).toBe(100_000);
    expect(stored.equals(bytes)).toBe(true);
    s3.destroy();
  });

  it("answers a wrong trailing checksum with BadDigest and a truncated chunked body with IncompleteBody", async () => {
    const creds = await jobCredentials();
    const send = (body: string, trailer: string) =>
      fetch(`${s.emulator.s3Url}/${s.emulator.bucket}/tampered.bin`, {
        method: "PUT",
        headers: {
          authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0`,
          "x-amz-security-token": creds.sessionToken,
          "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
          "content-encoding": "aws-chunked",
          "x-amz-decoded-content-length": "5",
          "x-amz-trailer": trailer,
          "x-amz-date": new Date().toISOString().replace(/[-:]|\.\d+/g, ""),
        },
        body,
      });
    // CRC32 of "hello" is 0x3610a686 → NhCmhg==; the trailer below claims something else.
    const bad = await send(
      "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
      "x-amz-checksum-crc32",
    );
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("<Code>BadDigest</Code>");
    const cut = await send("5\r\nhel", "x-amz-checksum-crc32");
    expect(cut.status).toBe(400);
    expect(await cut.text()).toContain("<Code>IncompleteBody</Code>");
    const good = await send(
      "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n",
      "x-amz-checksum-crc32",
    );
    expect(good.status).toBe(200);
    expect((await s.emulator.getObject(s.emulator.bucket, "tampered.bin")).toString()).toBe(
      "hello",
    );
  });

  it("refuses expired, unknown, tokenless and out-of-bucket credentials", async () => {
    const creds = await jobCredentials();
    const get = (c: typeof creds, bucket = s.emulator.bucket) => {
      const s3 = new S3Client({ ...s.emulator.workerS3Config, credentials: c, maxAttempts: 1 });
      return errorName(
        s3
          .send(new GetObjectCommand({ Bucket: bucket, Key: "missing" }))
          .finally(() => s3.destroy()),
      );
    };
    expect(await get(creds)).toBe("NoSuchKey");
    expect(await get({ ...creds, accessKeyId: "ASIAUNKNOWN" })).toBe("InvalidAccessKeyId");
    expect(await get({ ...creds, sessionToken: "forged" })).toBe("InvalidToken");
    expect(await get(creds, "someone-elses-bucket")).toBe("AccessDenied");
    await new Promise((r) => setTimeout(r, 500));
    expect(await get(creds)).toBe("ExpiredToken");
  });
});
