import {
  AcknowledgeJobCommand,
  CreateCustomActionTypeCommand,
  type CreateCustomActionTypeCommandInput,
  GetJobDetailsCommand,
  PollForJobsCommand,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from "@aws-sdk/client-codepipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isCodepipelineWorkerError } from "../src/index.js";
import { type Setup, setup } from "./helpers.js";

/** The error name and message a call ends with, or "ok". */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}
const name = async (promise: Promise<unknown>) => (await outcome(promise)).split(":")[0];

const base = {
  category: "Deploy",
  provider: "Model",
  version: "1",
  inputArtifactDetails: { minimumCount: 0, maximumCount: 1 },
  outputArtifactDetails: { minimumCount: 0, maximumCount: 1 },
} as const satisfies CreateCustomActionTypeCommandInput;
const prop = (p: Record<string, unknown> & { name: string }) => ({
  required: false,
  key: false,
  secret: false,
  ...p,
});

describe("emulator: constraints of the CodePipeline model", () => {
  let s: Setup;
  let version = 1;
  beforeAll(async () => {
    s = await setup();
  });
  afterAll(async () => s.close());
  /** Creates a type under a fresh version, so each case stands alone. */
  const create = (input: Partial<Record<keyof CreateCustomActionTypeCommandInput, unknown>>) =>
    s.client.send(
      new CreateCustomActionTypeCommand({
        ...base,
        version: String(version++),
        ...input,
      } as CreateCustomActionTypeCommandInput),
    );

  it.each([
    ["category outside the enum", { category: "Magic" }, "ValidationException"],
    ["provider of 36 characters", { provider: "p".repeat(36) }, "ValidationException"],
    ["provider with a space", { provider: "a b" }, "ValidationException"],
    ["version of 10 characters", { version: "1234567890" }, "ValidationException"],
    [
      "11 configuration properties",
      { configurationProperties: Array.from({ length: 11 }, (_, i) => prop({ name: `p${i}` })) },
      "ValidationException",
    ],
    [
      "an empty property name",
      { configurationProperties: [prop({ name: "" })] },
      "ValidationException",
    ],
    [
      "a property name of 51 characters",
      { configurationProperties: [prop({ name: "n".repeat(51) })] },
      "ValidationException",
    ],
    [
      "a property name used twice",
      { configurationProperties: [prop({ name: "A" }), prop({ name: "A" })] },
      "ValidationException",
    ],
    [
      "an empty description",
      { configurationProperties: [prop({ name: "A", description: "" })] },
      "ValidationException",
    ],
    [
      "a description of 161 characters",
      { configurationProperties: [prop({ name: "A", description: "d".repeat(161) })] },
      "ValidationException",
    ],
    [
      "type Float",
      { configurationProperties: [prop({ name: "A", type: "Float" })] },
      "ValidationException",
    ],
    [
      "two queryable properties",
      {
        configurationProperties: [
          prop({ name: "A", required: true, queryable: true }),
          prop({ name: "B", required: true, queryable: true }),
        ],
      },
      "ValidationException",
    ],
    [
      "a queryable secret",
      {
        configurationProperties: [
          prop({ name: "A", required: true, secret: true, queryable: true }),
        ],
      },
      "ValidationException",
    ],
    [
      "a queryable optional property",
      { configurationProperties: [prop({ name: "A", queryable: true })] },
      "ValidationException",
    ],
    [
      "maximumCount 6",
      { inputArtifactDetails: { minimumCount: 0, maximumCount: 6 } },
      "ValidationException",
    ],
    [
      "minimumCount -1",
      { inputArtifactDetails: { minimumCount: -1, maximumCount: 1 } },
      "ValidationException",
    ],
    [
      "minimumCount above maximumCount",
      { outputArtifactDetails: { minimumCount: 2, maximumCount: 1 } },
      "ValidationException",
    ],
    ["an empty URL template", { settings: { entityUrlTemplate: "" } }, "ValidationException"],
    [
      "a URL template of 2049 characters",
      { settings: { executionUrlTemplate: `https://x/${"u".repeat(2039)}` } },
      "ValidationException",
    ],
    [
      "{Config:x} naming an undeclared property",
      { settings: { entityUrlTemplate: "https://x/{Config:Nope}" } },
      "ValidationException",
    ],
    [
      "{Config:x} naming a secret",
      {
        configurationProperties: [prop({ name: "Key", required: true, secret: true })],
        settings: { entityUrlTemplate: "https://x/{Config:Key}" },
      },
      "ValidationException",
    ],
    [
      "{Config:x} naming an optional property",
      {
        configurationProperties: [prop({ name: "Repo" })],
        settings: { entityUrlTemplate: "https://x/{Config:Repo}" },
      },
      "ValidationException",
    ],
    ["an empty tag key", { tags: [{ key: "", value: "v" }] }, "ValidationException"],
    [
      "a tag key of 129 characters",
      { tags: [{ key: "k".repeat(129), value: "v" }] },
      "ValidationException",
    ],
    [
      "a tag value of 257 characters",
      { tags: [{ key: "k", value: "v".repeat(257) }] },
      "ValidationException",
    ],
    [
      "a tag key with the aws: prefix",
      { tags: [{ key: "aws:team", value: "v" }] },
      "InvalidTagsException",
    ],
    [
      "a tag key used twice",
      {
        tags: [
          { key: "k", value: "1" },
          { key: "k", value: "2" },
        ],
      },
      "InvalidTagsException",
    ],
    [
      "51 tags",
      { tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: "v" })) },
      "TooManyTagsException",
    ],
  ])("CreateCustomActionType refuses %s", async (_what, input, error) => {
    expect(await name(create(input))).toBe(error);
  });

  it("counts lengths in code points, as the model does: 160 emoji fit a description, 161 do not", async () => {
    const described = (description: string) =>
      name(create({ configurationProperties: [prop({ name: "A", description })] }));
    expect(await described("😀".repeat(160))).toBe("ok");
    expect(await described("😀".repeat(161))).toBe("ValidationException");
  });

  it("CreateCustomActionType accepts every bound and echoes the tags", async () => {
    const out = await create({
      provider: "p".repeat(35),
      version: "123456789",
      settings: {
        entityUrlTemplate: `https://x/{Config:Repo}/${"u".repeat(2048 - 24)}`,
        thirdPartyConfigurationUrl: `https://${"u".repeat(2040)}`,
      },
      configurationProperties: [
        prop({ name: "Repo", required: true, queryable: true, description: "d".repeat(160) }),
        prop({ name: "n".repeat(50), type: "Number" }),
        ...Array.from({ length: 8 }, (_, i) => prop({ name: `p${i}`, type: "Boolean" })),
      ],
      inputArtifactDetails: { minimumCount: 5, maximumCount: 5 },
      tags: [
        { key: "k".repeat(128), value: "v".repeat(256) },
        { key: "team", value: "" },
      ],
    });
    expect(out.tags).toEqual([
      { key: "k".repeat(128), value: "v".repeat(256) },
      { key: "team", value: "" },
    ]);
    expect(out.actionType?.actionConfigurationProperties).toHaveLength(10);
  });

  it("words a validation error as the service does and never quotes free text", async () => {
    const message = await outcome(
      create({ configurationProperties: [prop({ name: "n".repeat(51), description: "" })] }),
    );
    expect(message).toBe(
      "ValidationException: 2 validation errors detected: " +
        "Value at 'configurationProperties.1.member.name' failed to satisfy constraint: Member must have length less than or equal to 50; " +
        "Value at 'configurationProperties.1.member.description' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  describe("the job API", () => {
    const actionTypeId = {
      category: "Build",
      owner: "Custom",
      provider: "Jobs",
      version: "1",
    } as const;
    let jobId = "";
    beforeAll(async () => {
      await s.client.send(
        new CreateCustomActionTypeCommand({
          category: "Build",
          provider: "Jobs",
          version: "1",
          configurationProperties: [prop({ name: "Queue", required: true, queryable: true })],
          inputArtifactDetails: { minimumCount: 0, maximumCount: 0 },
          outputArtifactDetails: { minimumCount: 0, maximumCount: 0 },
        }),
      );
      await s.emulator.enqueueJob({ actionTypeId, configuration: { Queue: "q".repeat(20) } });
      const polled = await s.client.send(
        new PollForJobsCommand({ actionTypeId, queryParam: { Queue: "q".repeat(20) } }),
      );
      const job = polled.jobs?.[0];
      jobId = job?.id ?? "";
      await s.client.send(new AcknowledgeJobCommand({ jobId, nonce: job?.nonce }));
    });

    it("enqueueJob refuses a queryable value a pipeline could not hold (over 20 characters, or other characters)", async () => {
      for (const value of ["q".repeat(21), "a b", "ä"]) {
        const error = await s.emulator
          .enqueueJob({ actionTypeId, configuration: { Queue: value } })
          .catch((e: unknown) => e);
        expect(isCodepipelineWorkerError(error, "EMULATOR_ERROR")).toBe(true);
      }
    });

    it.each([
      ["a queryParam value with a space", { queryParam: { Queue: "a b" } }],
      ["a queryParam value of 51 characters", { queryParam: { Queue: "q".repeat(51) } }],
      ["an empty queryParam value", { queryParam: { Queue: "" } }],
      ["two queryParam entries", { queryParam: { Queue: "a", Other: "b" } }],
      ["maxBatchSize 0", { maxBatchSize: 0, queryParam: { Queue: "a" } }],
      [
        "owner outside the enum",
        { actionTypeId: { ...actionTypeId, owner: "Me" as never }, queryParam: { Queue: "a" } },
      ],
    ])("PollForJobs refuses %s", async (_what, input) => {
      expect(await name(s.client.send(new PollForJobsCommand({ actionTypeId, ...input })))).toBe(
        "ValidationException",
      );
    });

    it("AcknowledgeJob and GetJobDetails take only UUID job ids and 1–50 character nonces", async () => {
      expect(await name(s.client.send(new GetJobDetailsCommand({ jobId: "job-1" })))).toBe(
        "ValidationException",
      );
      expect(
        await name(s.client.send(new AcknowledgeJobCommand({ jobId: "job-1", nonce: "n" }))),
      ).toBe("ValidationException");
      expect(
        await name(s.client.send(new AcknowledgeJobCommand({ jobId, nonce: "n".repeat(51) }))),
      ).toBe("ValidationException");
      expect(await name(s.client.send(new AcknowledgeJobCommand({ jobId, nonce: "" })))).toBe(
        "ValidationException",
      );
      expect(
        await name(
          s.client.send(
            new GetJobDetailsCommand({ jobId: "00000000-0000-4000-8000-000000000000" }),
          ),
        ),
      ).toBe("JobNotFoundException");
    });

    it.each([
      ["an empty summary", { executionDetails: { summary: "" } }, "ValidationException"],
      [
        "a summary of 2049 characters",
        { executionDetails: { summary: "s".repeat(2049) } },
        "ValidationException",
      ],
      [
        "an empty externalExecutionId",
        { executionDetails: { externalExecutionId: "" } },
        "ValidationException",
      ],
      [
        "an externalExecutionId of 1501 characters",
        { executionDetails: { externalExecutionId: "e".repeat(1501) } },
        "ValidationException",
      ],
      [
        "percentComplete 101",
        { executionDetails: { percentComplete: 101 } },
        "ValidationException",
      ],
      ["percentComplete -1", { executionDetails: { percentComplete: -1 } }, "ValidationException"],
      [
        "percentComplete 50.5",
        { executionDetails: { percentComplete: 50.5 } },
        "SerializationException",
      ],
      ["an empty continuationToken", { continuationToken: "" }, "ValidationException"],
      [
        "a continuationToken of 2049 characters",
        { continuationToken: "t".repeat(2049) },
        "ValidationException",
      ],
      ["an output variable named a b", { outputVariables: { "a b": "1" } }, "ValidationException"],
      [
        "an empty revision",
        { currentRevision: { revision: "", changeIdentifier: "c" } },
        "ValidationException",
      ],
      [
        "a revision of 1501 characters",
        { currentRevision: { revision: "r".repeat(1501), changeIdentifier: "c" } },
        "ValidationException",
      ],
      [
        "a changeIdentifier of 101 characters",
        { currentRevision: { revision: "r", changeIdentifier: "c".repeat(101) } },
        "ValidationException",
      ],
      [
        "a revisionSummary of 2049 characters",
        {
          currentRevision: {
            revision: "r",
            changeIdentifier: "c",
            revisionSummary: "s".repeat(2049),
          },
        },
        "ValidationException",
      ],
    ])("PutJobSuccessResult refuses %s", async (_what, input, error) => {
      expect(await name(s.client.send(new PutJobSuccessResultCommand({ jobId, ...input })))).toBe(
        error,
      );
      expect(s.emulator.getJob(jobId)?.status).toBe("InProgress");
    });

    it.each([
      ["an empty message", { type: "JobFailed", message: "" }],
      ["a message of 5001 characters", { type: "JobFailed", message: "m".repeat(5001) }],
      ["a type outside the enum", { type: "Oops", message: "m" }],
      [
        "an externalExecutionId of 1501 characters",
        { type: "JobFailed", message: "m", externalExecutionId: "e".repeat(1501) },
      ],
    ])("PutJobFailureResult refuses %s", async (_what, failureDetails) => {
      expect(
        await name(
          s.client.send(
            new PutJobFailureResultCommand({ jobId, failureDetails: failureDetails as never }),
          ),
        ),
      ).toBe("ValidationException");
      expect(s.emulator.getJob(jobId)?.status).toBe("InProgress");
    });

    it("PutJobSuccessResult accepts every bound", async () => {
      expect(
        await outcome(
          s.client.send(
            new PutJobSuccessResultCommand({
              jobId,
              executionDetails: {
                summary: "s".repeat(2048),
                externalExecutionId: "e".repeat(1500),
                percentComplete: 100,
              },
              outputVariables: { "A@b-c_9": "v" },
              currentRevision: {
                revision: "r".repeat(1500),
                changeIdentifier: "c".repeat(100),
                revisionSummary: "s".repeat(2048),
              },
            }),
          ),
        ),
      ).toBe("ok");
      expect(s.emulator.getJob(jobId)?.status).toBe("Succeeded");
    });
  });
});
