import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CodePipelineClient, type CodePipelineClientConfig } from "@aws-sdk/client-codepipeline";
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import yazl from "yazl";
import { seededRandom } from "../core/backoff.js";
import type { Logger } from "../core/context.js";
import { silentLogger } from "../core/redact.js";
import { CodepipelineWorkerError } from "../errors.js";
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
  ServiceException,
  type StoredActionType,
  type WireArtifact,
} from "./state.js";

export type { S3Fault, S3RequestRecord } from "./s3-server.js";
export type {
  ActionTypeIdWire,
  EmulatedExecution,
  EmulatedJob,
  EmulatedJobStatus,
  StoredActionType,
  WireArtifact,
} from "./state.js";

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** Port of the CodePipeline endpoint; 0 picks a free one. @defaultValue 0 */
  port?: number;
  /** Port of the S3 endpoint; 0 picks a free one. @defaultValue 0 */
  s3Port?: number;
  /** Loopback address to listen on. @defaultValue `"127.0.0.1"` */
  host?: string;
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
  /** Folder for s3rver's store; a private temp folder (removed on close) by default. */
  s3Directory?: string;
  /** Seed for job ids, nonces and credentials. @defaultValue random */
  seed?: number;
  /** @defaultValue `Date.now` */
  now?: () => number;
  /** @defaultValue silent */
  logger?: Logger;
}

/** An input artifact for {@link Emulator.enqueueJob}: files to zip, a ready zip, or an object key (which may be missing on purpose). */
export interface EnqueueArtifact {
  name: string;
  revision?: string;
  files?: Record<string, string | Uint8Array>;
  zip?: Uint8Array;
  objectKey?: string;
}

/** A job to queue, as a pipeline would produce it. */
export interface EnqueueJobInput {
  actionTypeId: { category: string; provider: string; version: string };
  configuration?: Record<string, string>;
  inputArtifacts?: EnqueueArtifact[];
  /** Names of the output artifacts the action must produce. */
  outputArtifacts?: string[];
  pipelineName?: string;
  stageName?: string;
  actionName?: string;
  /** Tells the worker to encrypt outputs with this KMS key (SSE-KMS). */
  encryptionKey?: { id: string; type: "KMS" };
}

/** A fault to inject into the next matching CodePipeline calls. */
export interface EmulatorFault {
  /** Operation name (`PollForJobs`, …) or `"*"`. */
  operation: string;
  /** `ThrottlingException` (400), `InternalFailure` (500) or `ServiceUnavailable` (503). */
  error: "ThrottlingException" | "InternalFailure" | "ServiceUnavailable";
  /** How many calls fail. @defaultValue 1 */
  count?: number;
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
  /** Settings for the worker's `s3` option. */
  workerS3Config: {
    endpoint: string;
    region: string;
    forcePathStyle: true;
    requestChecksumCalculation: "WHEN_REQUIRED";
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
  /** The action types registered. */
  listActionTypes(): StoredActionType[];
  close(): Promise<void>;
}

const TARGET_PREFIX = "CodePipeline_20150709.";
const FAULT_STATUS: Record<EmulatorFault["error"], number> = {
  ThrottlingException: 400,
  InternalFailure: 500,
  ServiceUnavailable: 503,
};

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

async function readBody(req: IncomingMessage, limit = 64 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ServiceException("ValidationException", "Request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Serialises a JSON 1.1 body: timestamps become epoch seconds, as the protocol requires. */
function toJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : v;
  });
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
  const faults: Array<Required<EmulatorFault>> = [];
  const calls: Record<string, number> = {};

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    CreateCustomActionType: (i) => state.createCustomActionType(i),
    ListActionTypes: (i) => state.listActionTypes(i),
    DeleteCustomActionType: (i) => state.deleteCustomActionType(i),
    PollForJobs: (i) => state.pollForJobs(i),
    AcknowledgeJob: (i) => state.acknowledgeJob(i),
    GetJobDetails: (i) => state.getJobDetails(i),
    PutJobSuccessResult: (i) => state.putJobSuccessResult(i),
    PutJobFailureResult: (i) => state.putJobFailureResult(i),
  };

  async function enqueueJob(
    input: EnqueueJobInput,
  ): Promise<{ jobId: string; actionExecutionId: string }> {
    const key = `${input.actionTypeId?.category}/Custom/${input.actionTypeId?.provider}/${input.actionTypeId?.version}`;
    const actionType = state.actionTypes.get(key);
    if (!actionType) {
      throw new CodepipelineWorkerError(
        "EMULATOR_ERROR",
        `Action type ${key} is not registered in the emulator; register it first (registerActionType).`,
      );
    }
    const configuration = input.configuration ?? {};
    for (const p of actionType.actionConfigurationProperties) {
      if (p.required && !configuration[p.name]) {
        throw new CodepipelineWorkerError(
          "EMULATOR_ERROR",
          `The pipeline must set required property ${p.name} of ${key}.`,
        );
      }
    }
    for (const name of Object.keys(configuration)) {
      if (!actionType.actionConfigurationProperties.some((p) => p.name === name)) {
        throw new CodepipelineWorkerError(
          "EMULATOR_ERROR",
          `${name} is not a configuration property of ${key}.`,
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
        throw new CodepipelineWorkerError(
          "EMULATOR_ERROR",
          `${key} takes ${details.minimumCount}–${details.maximumCount} ${side} artifacts; got ${count}.`,
        );
      }
    }
    const pipelineName = input.pipelineName ?? "emulated-pipeline";
    const objectKey = (name: string) =>
      `${pipelineName.slice(0, 20)}/${name.slice(0, 10)}/${state.shortId()}`;
    const inputArtifacts: WireArtifact[] = [];
    for (const artifact of inputs) {
      const key = artifact.objectKey ?? objectKey(artifact.name);
      if (artifact.objectKey === undefined) {
        const body = artifact.zip
          ? Buffer.from(artifact.zip)
          : await zipFiles(artifact.files ?? {});
        await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      }
      inputArtifacts.push({
        name: artifact.name,
        ...(artifact.revision ? { revision: artifact.revision } : {}),
        location: { type: "S3", s3Location: { bucketName: bucket, objectKey: key } },
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
  }

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

  function send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    const text = toJson(body);
    res.writeHead(status, {
      "content-type": "application/x-amz-json-1.1",
      "x-amzn-requestid": randomUUID(),
      "content-length": Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }
  function sendError(res: ServerResponse, error: ServiceException) {
    send(
      res,
      error.status,
      { __type: error.type, message: error.message },
      { "x-amzn-errortype": error.type },
    );
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, path: string) {
    const parts = path.split("/").filter(Boolean).slice(1);
    try {
      if (req.method === "POST" && parts[0] === "jobs" && parts.length === 1) {
        const body = JSON.parse(await readBody(req)) as EnqueueJobInput & {
          inputArtifacts?: Array<EnqueueArtifact & { zipBase64?: string }>;
        };
        for (const a of body.inputArtifacts ?? [])
          if (a.zipBase64) a.zip = Buffer.from(a.zipBase64, "base64");
        send(res, 201, await enqueueJob(body));
      } else if (req.method === "GET" && parts[0] === "jobs" && parts[1]) {
        const job = state.jobs.get(parts[1]);
        if (job) send(res, 200, job);
        else send(res, 404, { message: `no job ${parts[1]}` });
      } else if (req.method === "GET" && parts[0] === "executions" && parts[1]) {
        const execution = state.executions.get(parts[1]);
        if (!execution) send(res, 404, { message: `no execution ${parts[1]}` });
        else if (parts[2] === "wait")
          send(res, 200, await waitForExecution(parts[1], { timeoutMs: 60_000 }));
        else send(res, 200, execution);
      } else if (req.method === "POST" && parts[0] === "faults") {
        emulator.injectFault(JSON.parse(await readBody(req)) as EmulatorFault);
        res.writeHead(204).end();
      } else if (req.method === "GET" && parts[0] === "calls") {
        send(res, 200, calls);
      } else {
        send(res, 404, { message: `unknown control route ${req.method} ${path}` });
      }
    } catch (error) {
      send(res, 400, { message: (error as Error).message });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path.startsWith("/_emulator/")) return handleControl(req, res, path);
    try {
      if (req.method !== "POST" || path !== "/") {
        throw new ServiceException(
          "UnknownOperationException",
          `${req.method} ${path} is not an operation; send POST / with X-Amz-Target`,
          404,
        );
      }
      const target = String(req.headers["x-amz-target"] ?? "");
      const body = await readBody(req);
      if (!req.headers.authorization?.startsWith("AWS4-HMAC-SHA256 ")) {
        throw new ServiceException(
          "MissingAuthenticationTokenException",
          "Request is missing Authentication Token",
          403,
        );
      }
      if (!String(req.headers["content-type"] ?? "").startsWith("application/x-amz-json-1.1")) {
        throw new ServiceException(
          "SerializationException",
          "Content-Type must be application/x-amz-json-1.1",
        );
      }
      const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : "";
      const run = operations[operation];
      if (!run)
        throw new ServiceException(
          "UnknownOperationException",
          `Unknown operation ${target || "(no X-Amz-Target)"}`,
        );
      calls[operation] = (calls[operation] ?? 0) + 1;
      const fault = faults.find(
        (f) => f.count > 0 && (f.operation === "*" || f.operation === operation),
      );
      if (fault) {
        fault.count--;
        throw new ServiceException(
          fault.error,
          `Injected ${fault.error}`,
          FAULT_STATUS[fault.error],
        );
      }
      let input: Record<string, unknown>;
      try {
        input = body.trim() === "" ? {} : (JSON.parse(body) as Record<string, unknown>);
      } catch {
        throw new ServiceException("SerializationException", "The request body is not valid JSON");
      }
      const out = run(input);
      logger.debug(`${operation} → 200`);
      send(res, 200, out);
    } catch (error) {
      if (error instanceof ServiceException) {
        logger.debug(`→ ${error.type}`);
        sendError(res, error);
      } else {
        logger.error("emulator error", error);
        sendError(
          res,
          new ServiceException(
            "InternalFailure",
            "The emulator failed to process the request",
            500,
          ),
        );
      }
    }
  }

  const server = createServer((req, res) => void handle(req, res));
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
      requestChecksumCalculation: "WHEN_REQUIRED",
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
    injectFault(fault) {
      if (!(fault.error in FAULT_STATUS)) {
        throw new CodepipelineWorkerError(
          "EMULATOR_ERROR",
          `Unknown fault ${String(fault.error)}; use ${Object.keys(FAULT_STATUS).join(", ")}.`,
        );
      }
      faults.push({ operation: fault.operation, error: fault.error, count: fault.count ?? 1 });
    },
    injectS3Fault(fault) {
      s3.faults.push({
        method: fault.method.toUpperCase(),
        status: fault.status ?? 500,
        code: fault.code ?? "InternalError",
        count: fault.count ?? 1,
      });
    },
    get s3Requests() {
      return s3.requests;
    },
    get calls() {
      return { ...calls };
    },
    listActionTypes: () => [...state.actionTypes.values()].map((t) => structuredClone(t)),
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
