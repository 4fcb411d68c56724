import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { CodePipelineClient, type CodePipelineClientConfig } from "@aws-sdk/client-codepipeline";
import { CreateBucketCommand, GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { seededRandom } from "../core/backoff.js";
import type { Logger } from "../core/context.js";
import { silentLogger } from "../core/redact.js";
import { CodepipelineWorkerError } from "../errors.js";
import { handleControl } from "./control.js";
import { createEnqueuer, type EnqueueJobInput } from "./enqueue.js";
import {
  S3_ADMIN_CREDENTIALS,
  type S3Fault,
  type S3RequestRecord,
  startS3Server,
} from "./s3-server.js";
import {
  type EmulatedExecution,
  type EmulatedJob,
  EmulatorState,
  type StoredActionType,
} from "./state.js";
import { type ApiRequestRecord, createWireLayer, type EmulatorFault } from "./wire.js";

export type { EnqueueArtifact, EnqueueJobInput } from "./enqueue.js";
export { MODEL_SOURCE } from "./model.generated.js";
export type { S3Fault, S3RequestRecord } from "./s3-server.js";
export type {
  ActionTypeIdWire,
  EmulatedExecution,
  EmulatedJob,
  EmulatedJobStatus,
  StoredActionType,
  WireArtifact,
} from "./state.js";
export type { ApiRequestRecord, EmulatorFault } from "./wire.js";

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** Port of the CodePipeline endpoint; 0 picks a free one. @defaultValue 0 */
  port?: number;
  /** Port of the S3 endpoint; 0 picks a free one. @defaultValue 0 */
  s3Port?: number;
  /** Loopback address to listen on. @defaultValue `"127.0.0.1"` */
  host?: string;
  /**
   * Allow a `host` that is not a loopback address. The control API hands out job data with
   * secret values and takes jobs from anyone who reaches it, so this is refused unless set.
   * @defaultValue false
   */
  unsafeExpose?: boolean;
  /** @defaultValue `"us-east-1"` */
  region?: string;
  /** @defaultValue `"111111111111"` */
  accountId?: string;
  /** A dispatched job not acknowledged within this time is queued again with a new nonce. @defaultValue 60 000 */
  ackTimeoutMs?: number;
  /** An acknowledged job without a result after this time times out (action fails). @defaultValue 3 600 000 */
  jobTimeoutMs?: number;
  /** Lifetime of the artifact credentials handed out with jobs. @defaultValue 900 000 (15 minutes) */
  credentialsTtlMs?: number;
  /** Folder for s3rver's store. @defaultValue a private temp folder, removed on close */
  s3Directory?: string;
  /** Seed for job ids, nonces and credentials. @defaultValue random */
  seed?: number;
  /** Clock for timeouts and credential expiry, in epoch milliseconds. @defaultValue `Date.now` */
  now?: () => number;
  /** Where the emulator logs requests (debug) and its own failures (error). @defaultValue silent (no output) */
  logger?: Logger;
}

/** A running emulator. */
export interface Emulator {
  /** The CodePipeline endpoint (also serves the control API under `/_emulator/`). */
  url: string;
  port: number;
  /** The S3 endpoint holding artifacts. */
  s3Url: string;
  region: string;
  accountId: string;
  /** The artifact bucket. */
  bucket: string;
  /** Settings for `new CodePipelineClient(…)`: endpoint, region and dummy credentials. */
  clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  /** A CodePipeline client for this emulator (`clientConfig` plus `overrides`); destroy it when done. */
  createClient(overrides?: CodePipelineClientConfig): CodePipelineClient;
  /** Settings for the worker's `s3` option (the SDK's default checksums: the S3 endpoint decodes `aws-chunked`). */
  workerS3Config: {
    endpoint: string;
    region: string;
    forcePathStyle: true;
  };
  /** Queues a job (uploading its input artifacts to S3). */
  enqueueJob(input: EnqueueJobInput): Promise<{ jobId: string; actionExecutionId: string }>;
  getJob(jobId: string): EmulatedJob | undefined;
  getExecution(actionExecutionId: string): EmulatedExecution | undefined;
  /** Resolves when the execution succeeded or failed (after any continuations). */
  waitForExecution(
    actionExecutionId: string,
    options?: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<EmulatedExecution>;
  /** The stored bytes of an execution's output artifact. */
  readOutputArtifact(actionExecutionId: string, name: string): Promise<Buffer>;
  /** Reads any object from the artifact store (admin access). */
  getObject(bucket: string, key: string): Promise<Buffer>;
  injectFault(fault: EmulatorFault): void;
  /** Makes the S3 endpoint fail the next requests signed with job credentials (e.g. 500 InternalError on PUT). */
  injectS3Fault(fault: S3Fault): void;
  /** The requests the S3 endpoint received (latest 10 000), e.g. to check SSE-KMS headers. */
  readonly s3Requests: readonly S3RequestRecord[];
  /** How many times each operation was called. */
  readonly calls: Readonly<Record<string, number>>;
  /** Every CodePipeline request received (latest 10 000), body as sent: search them for leaked secrets. */
  readonly requests: readonly ApiRequestRecord[];
  /** The action types registered. */
  listActionTypes(): StoredActionType[];
  /** Every set of artifact credentials issued for a job (with PollForJobs and GetJobDetails). */
  issuedCredentials(
    jobId: string,
  ): Array<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }>;
  close(): Promise<void>;
}

/** Whether `host` is a loopback address or name (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Starts a local CodePipeline emulator: the job-worker subset of the API on AWS JSON 1.1
 * (`POST /`, `X-Amz-Target: CodePipeline_20150709.<Operation>`, errors as `__type`) with the
 * service's job life cycle, nonce checks and timeouts; artifacts in a real S3-compatible server
 * (s3rver) on loopback; and a control API to queue jobs and read their outcomes.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "111111111111";
  const host = options.host ?? "127.0.0.1";
  if (!isLoopback(host) && options.unsafeExpose !== true) {
    throw new CodepipelineWorkerError(
      "INVALID_ARGUMENT",
      `host ${host} is not a loopback address; the emulator serves secret values to anyone who reaches it, so pass unsafeExpose: true to listen there anyway.`,
    );
  }
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const bucket = `codepipeline-${region}-${accountId}`;
  const state = new EmulatorState({
    accountId,
    now,
    random: seededRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32)),
    ackTimeoutMs: options.ackTimeoutMs ?? 60_000,
    jobTimeoutMs: options.jobTimeoutMs ?? 3_600_000,
    credentialsTtlMs: options.credentialsTtlMs ?? 900_000,
    bucket,
  });
  const s3 = await startS3Server({
    ...(options.s3Port !== undefined ? { port: options.s3Port } : {}),
    host,
    ...(options.s3Directory !== undefined ? { directory: options.s3Directory } : {}),
    lookup: (id) => state.credentials.get(id),
    now,
  });
  const admin = new S3Client({
    endpoint: s3.url,
    region,
    forcePathStyle: true,
    credentials: S3_ADMIN_CREDENTIALS,
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  try {
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (
      (error as Error).name !== "BucketAlreadyOwnedByYou" &&
      (error as Error).name !== "BucketAlreadyExists"
    ) {
      admin.destroy();
      await s3.close();
      throw error;
    }
  }
  const wire = createWireLayer(
    {
      CreateCustomActionType: (i) => state.createCustomActionType(i),
      ListActionTypes: (i) => state.listActionTypes(i),
      DeleteCustomActionType: (i) => state.deleteCustomActionType(i),
      PollForJobs: (i) => state.pollForJobs(i),
      AcknowledgeJob: (i) => state.acknowledgeJob(i),
      GetJobDetails: (i) => state.getJobDetails(i),
      PutJobSuccessResult: (i) => state.putJobSuccessResult(i),
      PutJobFailureResult: (i) => state.putJobFailureResult(i),
    },
    logger,
  );
  const enqueueJob = createEnqueuer({ state, admin, bucket, region, accountId });

  async function getObject(b: string, key: string): Promise<Buffer> {
    const out = await admin.send(new GetObjectCommand({ Bucket: b, Key: key }));
    return Buffer.from(
      await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
  }

  function waitForExecution(
    id: string,
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<EmulatedExecution> {
    return new Promise((resolve, reject) => {
      const check = () => {
        state.sweep();
        const execution = state.executions.get(id);
        if (!execution) {
          cleanup();
          reject(new CodepipelineWorkerError("EMULATOR_ERROR", `No action execution ${id}.`));
        } else if (execution.status !== "InProgress") {
          cleanup();
          resolve(structuredClone(execution));
        }
      };
      const off = state.onChange(check);
      const tick = setInterval(check, 50);
      const timer = opts.timeoutMs
        ? setTimeout(() => {
            cleanup();
            reject(
              new CodepipelineWorkerError(
                "EMULATOR_ERROR",
                `Action execution ${id} still in progress after ${opts.timeoutMs} ms.`,
              ),
            );
          }, opts.timeoutMs)
        : undefined;
      const onAbort = () => {
        cleanup();
        reject(opts.signal?.reason);
      };
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      function cleanup() {
        off();
        clearInterval(tick);
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
      }
      check();
    });
  }

  const allowedHosts = new Set<string>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path.startsWith("/_emulator/")) {
      void handleControl(req, res, path, {
        state,
        enqueueJob,
        waitForExecution,
        injectFault: (f) => wire.injectFault(f),
        calls: wire.calls,
        allowedHosts,
      });
    } else void wire.handle(req, res, path);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
  } catch (error) {
    admin.destroy();
    await s3.close();
    throw new CodepipelineWorkerError(
      "EMULATOR_ERROR",
      `The emulator cannot listen on ${host}:${options.port ?? 0} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
      { cause: error },
    );
  }
  const { port } = server.address() as AddressInfo;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  const url = `http://${hostPart}:${port}`;
  for (const name of [hostPart, "localhost", "127.0.0.1", "[::1]"])
    allowedHosts.add(`${name}:${port}`.toLowerCase());
  const sweeper = setInterval(() => state.sweep(), 100);
  sweeper.unref();

  const emulator: Emulator = {
    url,
    port,
    s3Url: s3.url,
    region,
    accountId,
    bucket,
    clientConfig: {
      endpoint: url,
      region,
      credentials: { accessKeyId: "AKIDEMULATOR", secretAccessKey: "emulator-secret" },
    },
    createClient: (overrides = {}) =>
      new CodePipelineClient({
        endpoint: url,
        region,
        credentials: { accessKeyId: "AKIDEMULATOR", secretAccessKey: "emulator-secret" },
        ...overrides,
      }),
    workerS3Config: {
      endpoint: s3.url,
      region,
      forcePathStyle: true,
    },
    enqueueJob,
    getJob: (id) => {
      state.sweep();
      const job = state.jobs.get(id);
      return job && structuredClone(job);
    },
    getExecution: (id) => {
      state.sweep();
      const execution = state.executions.get(id);
      return execution && structuredClone(execution);
    },
    waitForExecution,
    async readOutputArtifact(id, name) {
      const execution = state.executions.get(id);
      const artifact = execution?.outputArtifacts.find((a) => a.name === name);
      if (!artifact)
        throw new CodepipelineWorkerError(
          "EMULATOR_ERROR",
          `Execution ${id} has no output artifact ${name}.`,
        );
      return getObject(
        artifact.location.s3Location.bucketName,
        artifact.location.s3Location.objectKey,
      );
    },
    getObject,
    injectFault: (fault) => wire.injectFault(fault),
    injectS3Fault(fault) {
      s3.faults.push({
        method: fault.method.toUpperCase(),
        status: fault.status ?? 500,
        code: fault.code ?? "InternalError",
        count: fault.count ?? 1,
        delayMs: fault.delayMs ?? 0,
      });
    },
    get s3Requests() {
      return s3.requests;
    },
    get calls() {
      return { ...wire.calls };
    },
    get requests() {
      return wire.requests;
    },
    listActionTypes: () => [...state.actionTypes.values()].map((t) => structuredClone(t)),
    issuedCredentials: (jobId) =>
      [...state.credentials.values()]
        .filter((c) => c.jobId === jobId)
        .map(({ accessKeyId, secretAccessKey, sessionToken }) => ({
          accessKeyId,
          secretAccessKey,
          sessionToken,
        })),
    async close() {
      clearInterval(sweeper);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      admin.destroy();
      await s3.close();
    },
  };
  return emulator;
}
