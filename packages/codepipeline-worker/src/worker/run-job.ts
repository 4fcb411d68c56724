import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { CodePipelineClient, Job, JobData } from "@aws-sdk/client-codepipeline";
import type { S3Client } from "@aws-sdk/client-s3";
import {
  type ArtifactS3Config,
  artifactS3Client,
  downloadObject,
  isExpiredCredentials,
  mapS3Error,
  uploadObject,
} from "../adapters/s3.js";
import { extractZip, type ZipLimits, zipDirectory } from "../adapters/zip.js";
import type { ActionDefinition } from "../core/action.js";
import { parseConfiguration } from "../core/config.js";
import type { InputArtifact, JobContext, Logger, OutputArtifact } from "../core/context.js";
import { type SuccessResult, toSuccessResult } from "../core/results.js";
import { CodepipelineWorkerError } from "../errors.js";
import { JobCredentials } from "./job-credentials.js";

/** A progress report of one job (`ctx.progress`), passed to the worker's `onProgress`. */
export interface JobProgressEvent {
  jobId: string;
  /** 0–100 as the handler reported it. */
  percent: number;
  summary: string | undefined;
}

/** Everything one job run needs; the worker fills it in. */
export interface RunJobOptions<Config> {
  action: ActionDefinition<Config>;
  /** An acknowledged job. */
  job: Job & { id: string; data: JobData };
  client: CodePipelineClient;
  credentialsRefreshMs: number;
  now: () => number;
  /** Parent of the job's private temp folder. */
  workRoot: string;
  s3?: ArtifactS3Config | undefined;
  zipLimits?: ZipLimits | undefined;
  onProgress?: ((event: JobProgressEvent) => void) | undefined;
  /** Aborts on job timeout or shutdown. */
  signal: AbortSignal;
  /** The job's (redacting) logger. */
  logger: Logger;
  /** Values to redact; refreshed artifact credentials are appended. */
  secrets: string[];
  /** Where the run is, for the caller's messages when it abandons the run. */
  state: RunJobState;
}

/** What a job run is doing now. */
export interface RunJobState {
  phase: "starting" | "downloading" | "running" | "uploading" | "done";
  /** The artifact being downloaded or uploaded. */
  artifact?: string;
  /** The job's private folder, once it exists (removed when the run settles). */
  workDir?: string;
}

/**
 * Runs one acknowledged job: parses its configuration, downloads and unzips its inputs into a
 * private folder with the job's credentials, calls the handler, and (unless it continues)
 * zips and uploads every output; resolves with the `PutJobSuccessResult` body only once all
 * outputs are stored. The folder is removed when it settles.
 */
export async function runJob<Config>(options: RunJobOptions<Config>): Promise<SuccessResult> {
  const { action, job, client, credentialsRefreshMs, now, workRoot, signal, secrets, state } =
    options;
  const log = options.logger;
  const data = job.data;
  const rawConfig = data.actionConfiguration?.configuration ?? {};
  const configuration = parseConfiguration(action.configurationProperties, rawConfig) as Config;
  const creds = new JobCredentials(
    data.artifactCredentials as
      | { accessKeyId: string; secretAccessKey: string; sessionToken: string }
      | undefined,
    {
      client,
      jobId: job.id,
      refreshMs: credentialsRefreshMs,
      now,
      onRefresh: (c) => secrets.push(c.secretAccessKey, c.sessionToken),
    },
  );
  const region = options.s3?.region ?? (await client.config.region());
  let s3: S3Client | undefined;
  const s3Client = () => {
    s3 ??= artifactS3Client({ ...options.s3, region }, () => creds.get());
    return s3;
  };
  /** Runs an S3 step; on expired credentials, refreshes them through GetJobDetails and tries once more. */
  async function withFreshCredentials<T>(
    doing: string,
    artifact: string,
    step: (s3: S3Client) => Promise<T>,
  ): Promise<T> {
    try {
      return await step(s3Client());
    } catch (error) {
      if (!isExpiredCredentials(error)) throw mapS3Error(error, doing, artifact, job.id);
      log.info(
        `artifact credentials expired while ${doing} ${artifact}; refreshing through GetJobDetails`,
      );
      await creds.refresh();
      s3?.destroy();
      s3 = undefined;
      try {
        return await step(s3Client());
      } catch (again) {
        throw mapS3Error(again, doing, artifact, job.id);
      }
    }
  }

  const workDir = await mkdtemp(join(workRoot, "codepipeline-job-"));
  state.workDir = workDir;
  try {
    const inputs: InputArtifact[] = [];
    for (const [i, artifact] of (data.inputArtifacts ?? []).entries()) {
      const name = artifact.name ?? `input${i}`;
      const location = artifact.location?.s3Location;
      if (!location?.bucketName || !location.objectKey) {
        throw new CodepipelineWorkerError(
          "ARTIFACT_NOT_FOUND",
          `Input artifact ${name} has no S3 location in the job data.`,
          { jobId: job.id, artifact: name },
        );
      }
      const zipFile = join(workDir, `input-${i}.zip`);
      state.phase = "downloading";
      state.artifact = name;
      await withFreshCredentials("downloading", name, (c) =>
        downloadObject(
          c,
          { bucketName: location.bucketName as string, objectKey: location.objectKey as string },
          zipFile,
          signal,
        ),
      );
      const dir = join(workDir, "in", String(i));
      const { files, bytes } = await extractZip(zipFile, dir, {
        artifact: name,
        signal,
        ...(options.zipLimits ? { limits: options.zipLimits } : {}),
      });
      await rm(zipFile, { force: true });
      inputs.push({ name, revision: artifact.revision, dir, files, bytes });
    }
    const outputs: OutputArtifact[] = [];
    for (const [i, artifact] of (data.outputArtifacts ?? []).entries()) {
      const dir = join(workDir, "out", String(i));
      await mkdir(dir, { recursive: true });
      outputs.push({
        name: artifact.name ?? `output${i}`,
        dir,
        async writeFile(path, content) {
          const target = resolve(dir, path);
          if (!target.startsWith(dir + sep)) {
            throw new CodepipelineWorkerError(
              "INVALID_ARGUMENT",
              `Output path ${JSON.stringify(path)} leaves the artifact folder.`,
            );
          }
          await mkdir(dirname(target), { recursive: true });
          const source =
            typeof content === "string" || content instanceof Uint8Array
              ? Readable.from([Buffer.from(content)])
              : content;
          await pipeline(source, createWriteStream(target));
        },
      });
    }
    const scratch = join(workDir, "scratch");
    await mkdir(scratch);
    const progress: { percent?: number; summary?: string } = {};
    const pick = <T extends { name: string }>(
      list: readonly T[],
      kind: string,
      name?: string,
    ): T => {
      const found =
        name === undefined
          ? list.length === 1
            ? list[0]
            : undefined
          : list.find((a) => a.name === name);
      if (!found) {
        throw new CodepipelineWorkerError(
          "INVALID_ARGUMENT",
          name === undefined
            ? `The job has ${list.length} ${kind} artifacts, so name the one you want: ${list.map((a) => a.name).join(", ") || "none"}.`
            : `No ${kind} artifact ${name}; the job has: ${list.map((a) => a.name).join(", ") || "none"}.`,
        );
      }
      return found;
    };
    const pc = data.pipelineContext;
    const ctx: JobContext<Config> = {
      jobId: job.id,
      accountId: job.accountId,
      configuration,
      inputArtifacts: inputs,
      outputArtifacts: outputs,
      input: (name) => pick(inputs, "input", name),
      output: (name) => pick(outputs, "output", name),
      pipeline: {
        pipelineName: pc?.pipelineName,
        pipelineArn: pc?.pipelineArn,
        pipelineExecutionId: pc?.pipelineExecutionId,
        stageName: pc?.stage?.name,
        actionName: pc?.action?.name,
        actionExecutionId: pc?.action?.actionExecutionId,
      },
      continuationToken: data.continuationToken,
      workDir: scratch,
      signal,
      progress(percent, summary) {
        progress.percent = percent;
        if (summary !== undefined) progress.summary = summary;
        log.info(`progress ${Math.round(percent)}%${summary ? `: ${summary}` : ""}`);
        try {
          options.onProgress?.({ jobId: job.id, percent, summary });
        } catch {
          log.warn("onProgress callback threw; ignoring it");
        }
      },
      logger: log,
    };
    signal.throwIfAborted();
    state.phase = "running";
    state.artifact = undefined;
    const handlerResult = await action.handler(ctx);
    signal.throwIfAborted();
    const result = toSuccessResult(handlerResult ?? undefined, progress, secrets);
    if (result.continuationToken === undefined) {
      const kmsKeyId = data.encryptionKey?.type === "KMS" ? data.encryptionKey.id : undefined;
      for (const [i, artifact] of (data.outputArtifacts ?? []).entries()) {
        const out = outputs[i] as OutputArtifact;
        const location = artifact.location?.s3Location;
        if (!location?.bucketName || !location.objectKey) {
          throw new CodepipelineWorkerError(
            "ARTIFACT_STORE_FAILED",
            `Output artifact ${out.name} has no S3 location in the job data.`,
            { jobId: job.id, artifact: out.name },
          );
        }
        state.phase = "uploading";
        state.artifact = out.name;
        await withFreshCredentials("uploading", out.name, async (c) => {
          const { stream } = await zipDirectory(out.dir);
          await uploadObject(
            c,
            {
              bucketName: location.bucketName as string,
              objectKey: location.objectKey as string,
            },
            stream,
            { kmsKeyId, signal },
          );
        });
        signal.throwIfAborted();
      }
    }
    state.phase = "done";
    return result;
  } finally {
    s3?.destroy();
    await rm(workDir, { recursive: true, force: true }).catch(() => {});
  }
}
