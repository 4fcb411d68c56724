import {
  type CodePipelineClient,
  CreateCustomActionTypeCommand,
  DeleteCustomActionTypeCommand,
} from "@aws-sdk/client-codepipeline";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CodepipelineWorkerError,
  defineAction,
  registerActionType,
  toCreateCustomActionTypeBody,
} from "../src/index.js";
import { type Setup, setup } from "./helpers.js";

const make = (secret: boolean, version = "1") =>
  defineAction({
    actionTypeId: { category: "Deploy", provider: "Artifactory", version },
    settings: { executionUrlTemplate: "https://ci.example.com/runs/{ExternalExecutionId}" },
    configurationProperties: [
      {
        name: "Repository",
        required: true,
        key: true,
        secret: false,
        description: "target repository",
      },
      { name: "ApiKey", required: true, key: false, secret, type: "String" },
    ],
    inputArtifacts: { min: 1, max: 1 },
    outputArtifacts: { min: 0, max: 0 },
    handler: () => undefined,
  });

describe("registerActionType", () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup();
  });
  afterEach(async () => s.close());

  it("creates, then reports unchanged for the same definition", async () => {
    const first = await registerActionType(make(true), {
      client: s.client,
      tags: { team: "platform" },
    });
    expect(first.status).toBe("created");
    expect(first.actionType.id).toEqual({
      category: "Deploy",
      owner: "Custom",
      provider: "Artifactory",
      version: "1",
    });
    const again = await registerActionType(make(true), { client: s.client });
    expect(again.status).toBe("unchanged");
    expect(s.emulator.calls.CreateCustomActionType).toBe(1);
  });

  it("restores a deleted type from its identical definition, and explains a different one", async () => {
    await registerActionType(make(true), { client: s.client });
    await s.client.send(
      new DeleteCustomActionTypeCommand({
        category: "Deploy",
        provider: "Artifactory",
        version: "1",
      }),
    );
    expect(s.emulator.listActionTypes()).toEqual([]);
    const restored = await registerActionType(make(true), { client: s.client });
    expect(restored.status).toBe("created");
    expect(s.emulator.listActionTypes().map((t) => t.id.version)).toEqual(["1"]);
    await s.client.send(
      new DeleteCustomActionTypeCommand({
        category: "Deploy",
        provider: "Artifactory",
        version: "1",
      }),
    );
    const error = await registerActionType(make(false), { client: s.client }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "SERVICE_ERROR", awsErrorName: "ValidationException" });
    expect((error as Error).message).toContain("restores it only from the identical definition");
  });

  it("refuses tags CodePipeline would refuse, before calling it", async () => {
    const error = await registerActionType(make(true), {
      client: s.client,
      tags: { "aws:owner": "me", "": "x", long: "v".repeat(257) },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect((error as Error).message).toContain('tag key "aws:owner" uses the reserved prefix aws:');
    expect((error as Error).message).toContain('tag key "" must be 1–128 characters');
    expect((error as Error).message).toContain("tag long's value is longer than 256 characters");
    expect(s.emulator.calls.ListActionTypes).toBeUndefined();
  });

  it("reports exactly what differs and says to bump the version", async () => {
    await registerActionType(make(true), { client: s.client });
    const error = await registerActionType(make(false), { client: s.client }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CodepipelineWorkerError);
    const e = error as CodepipelineWorkerError;
    expect(e.code).toBe("ACTION_TYPE_CONFLICT");
    expect(e.differences).toEqual([
      "configurationProperties.ApiKey.secret: registered true, defined false",
    ]);
    expect(e.message).toContain("immutable");
    expect(e.message).toContain('bump actionTypeId.version (e.g. to "2")');
    expect((await registerActionType(make(false, "2"), { client: s.client })).status).toBe(
      "created",
    );
  });

  it("compares again when another process registered the type between list and create", async () => {
    const racing = Object.create(s.client) as CodePipelineClient;
    let raced = false;
    racing.send = (async (command: unknown, options?: unknown) => {
      if (command instanceof CreateCustomActionTypeCommand && !raced) {
        raced = true;
        await s.client.send(
          new CreateCustomActionTypeCommand({ ...toCreateCustomActionTypeBody(make(false)) }),
        );
      }
      return (s.client.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options);
    }) as CodePipelineClient["send"];
    const error = await registerActionType(make(true), { client: racing }).catch((e: unknown) => e);
    expect(raced).toBe(true);
    expect((error as CodepipelineWorkerError).code).toBe("ACTION_TYPE_CONFLICT");
  });

  it("wraps service failures as SERVICE_ERROR with the AWS error name", async () => {
    s.emulator.injectFault({ operation: "ListActionTypes", error: "InternalFailure", count: 2 });
    const error = (await registerActionType(make(true), { client: s.client }).catch(
      (e: unknown) => e,
    )) as CodepipelineWorkerError;
    expect(error.code).toBe("SERVICE_ERROR");
    expect(error.awsErrorName).toBe("InternalFailure");
    s.emulator.injectFault({
      operation: "CreateCustomActionType",
      error: "ThrottlingException",
      count: 2,
    });
    const create = (await registerActionType(make(true), { client: s.client }).catch(
      (e: unknown) => e,
    )) as CodepipelineWorkerError;
    expect(create.code).toBe("SERVICE_ERROR");
    expect(create.message).toContain("ThrottlingException");
  });
});
