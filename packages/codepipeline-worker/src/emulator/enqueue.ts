import { randomUUID } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import yazl from "yazl";
import { CodepipelineWorkerError } from "../errors.js";
import { MODEL_SHAPES } from "./model.generated.js";
import { SERVICE_QUOTAS } from "./service-quotas.js";
import type { EmulatorState, WireArtifact } from "./state.js";

/** An input artifact for `enqueueJob`: files to zip, a ready zip, or an object key (which may be missing on purpose). */
export interface EnqueueArtifact {
  name: string;
  /** The source revision it was built from. @defaultValue none */
  revision?: string;
  /** Files to zip as the artifact. @defaultValue none (an empty zip when neither `zip` nor `objectKey` is given) */
  files?: Record<string, string | Uint8Array>;
  /** A ready zip. @defaultValue none */
  zip?: Uint8Array;
  /** An existing (or, on purpose, missing) object key instead of an upload. @defaultValue a new key */
  objectKey?: string;
}

/** A job to queue, as a pipeline would produce it. */
export interface EnqueueJobInput {
  actionTypeId: { category: string; provider: string; version: string };
  /** The action's configuration in the pipeline. @defaultValue `{}` */
  configuration?: Record<string, string>;
  /** @defaultValue none */
  inputArtifacts?: EnqueueArtifact[];
  /** Names of the output artifacts the action must produce. @defaultValue none */
  outputArtifacts?: string[];
  /** @defaultValue `"emulated-pipeline"` */
  pipelineName?: string;
  /** @defaultValue `"Deploy"` */
  stageName?: string;
  /** @defaultValue the action type's provider */
  actionName?: string;
  /** Tells the worker to encrypt outputs with this KMS key (SSE-KMS). @defaultValue none (SSE-S3) */
  encryptionKey?: { id: string; type: "KMS" };
}

/** Zips `files` into a buffer (deterministic order and timestamps). */
export function zipFiles(files: Record<string, string | Uint8Array>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const name of Object.keys(files).sort()) {
    const value = files[name] as string | Uint8Array;
    zip.addBuffer(Buffer.from(value), name, { mtime: new Date(Date.UTC(2020, 0, 1)) });
  }
  zip.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on("data", (c: Buffer) => chunks.push(c));
    zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on("error", reject);
  });
}

const refuse = (message: string) => new CodepipelineWorkerError("EMULATOR_ERROR", message);

/**
 * Queues jobs as a pipeline would: the pipeline's action configuration is checked the way
 * CreatePipeline checks it (required properties set, no unknown ones, values 1–1000 characters,
 * a queryable value ≤ 20 characters of A-Z a-z 0-9 _ -, artifact counts within the type's
 * bounds), input artifacts are uploaded to the artifact bucket, and the job is handed to the state.
 */
export function createEnqueuer(deps: {
  state: EmulatorState;
  admin: S3Client;
  bucket: string;
  region: string;
  accountId: string;
}) {
  const { state, admin, bucket, region, accountId } = deps;
  const valueLength = MODEL_SHAPES.ActionConfigurationValue?.length ?? {};
  return async function enqueueJob(
    input: EnqueueJobInput,
  ): Promise<{ jobId: string; actionExecutionId: string }> {
    const key = `${input.actionTypeId?.category}/Custom/${input.actionTypeId?.provider}/${input.actionTypeId?.version}`;
    const actionType = state.actionTypes.get(key);
    if (!actionType) {
      throw refuse(
        `Action type ${key} is not registered in the emulator; register it first (registerActionType).`,
      );
    }
    const configuration = input.configuration ?? {};
    for (const p of actionType.actionConfigurationProperties) {
      if (p.required && !configuration[p.name])
        throw refuse(`The pipeline must set required property ${p.name} of ${key}.`);
    }
    for (const [name, value] of Object.entries(configuration)) {
      const prop = actionType.actionConfigurationProperties.find((p) => p.name === name);
      if (!prop) throw refuse(`${name} is not a configuration property of ${key}.`);
      if (
        typeof value !== "string" ||
        value.length < (valueLength.min ?? 1) ||
        value.length > (valueLength.max ?? Number.POSITIVE_INFINITY)
      ) {
        throw refuse(
          `Configuration value of ${name} must be a string of ${valueLength.min}–${valueLength.max} characters.`,
        );
      }
      if (
        prop.queryable &&
        (value.length > SERVICE_QUOTAS.queryableValueLength ||
          !SERVICE_QUOTAS.queryableValuePattern.test(value))
      ) {
        throw refuse(
          `Queryable property ${name} must be at most ${SERVICE_QUOTAS.queryableValueLength} characters of A-Z a-z 0-9 _ - in a pipeline (got ${JSON.stringify(value)}).`,
        );
      }
    }
    const inputs = input.inputArtifacts ?? [];
    const outputs = input.outputArtifacts ?? [];
    for (const [side, count, details] of [
      ["input", inputs.length, actionType.inputArtifactDetails],
      ["output", outputs.length, actionType.outputArtifactDetails],
    ] as const) {
      if (count < details.minimumCount || count > details.maximumCount) {
        throw refuse(
          `${key} takes ${details.minimumCount}–${details.maximumCount} ${side} artifacts; got ${count}.`,
        );
      }
    }
    const pipelineName = input.pipelineName ?? "emulated-pipeline";
    const objectKey = (name: string) =>
      `${pipelineName.slice(0, 20)}/${name.slice(0, 10)}/${state.shortId()}`;
    const inputArtifacts: WireArtifact[] = [];
    for (const artifact of inputs) {
      const artifactKey = artifact.objectKey ?? objectKey(artifact.name);
      if (artifact.objectKey === undefined) {
        const body = artifact.zip
          ? Buffer.from(artifact.zip)
          : await zipFiles(artifact.files ?? {});
        await admin.send(new PutObjectCommand({ Bucket: bucket, Key: artifactKey, Body: body }));
      }
      inputArtifacts.push({
        name: artifact.name,
        ...(artifact.revision ? { revision: artifact.revision } : {}),
        location: { type: "S3", s3Location: { bucketName: bucket, objectKey: artifactKey } },
      });
    }
    const outputArtifacts: WireArtifact[] = outputs.map((name) => ({
      name,
      location: { type: "S3", s3Location: { bucketName: bucket, objectKey: objectKey(name) } },
    }));
    return state.enqueue({
      actionTypeId: {
        category: actionType.id.category,
        owner: "Custom",
        provider: actionType.id.provider,
        version: actionType.id.version,
      },
      actionConfiguration: { configuration },
      pipelineContext: {
        pipelineName,
        pipelineArn: `arn:aws:codepipeline:${region}:${accountId}:${pipelineName}`,
        pipelineExecutionId: randomUUID(),
        stage: { name: input.stageName ?? "Deploy" },
        action: { name: input.actionName ?? actionType.id.provider },
      },
      inputArtifacts,
      outputArtifacts,
      ...(input.encryptionKey ? { encryptionKey: input.encryptionKey } : {}),
    });
  };
}
