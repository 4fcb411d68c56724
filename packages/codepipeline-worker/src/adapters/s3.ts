import { createWriteStream } from "node:fs";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  AbortMultipartUploadCommand,
  GetObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { CodepipelineWorkerError } from "../errors.js";

/** Temporary credentials CodePipeline hands out with each job. */
export interface ArtifactCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** Where an artifact lives. */
export interface S3Location {
  bucketName: string;
  objectKey: string;
}

/** S3 client settings for artifact access; credentials always come from the job. */
export type ArtifactS3Config = Omit<S3ClientConfig, "credentials">;

const EXPIRED = new Set([
  "ExpiredToken",
  "ExpiredTokenException",
  "TokenRefreshRequired",
  "RequestExpired",
]);
const NOT_FOUND = new Set(["NoSuchKey", "NotFound", "NoSuchBucket"]);
const DENIED = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "Forbidden",
  "InvalidToken",
]);

/** Whether an S3 error means the credentials expired. */
export function isExpiredCredentials(error: unknown): boolean {
  return error instanceof Error && EXPIRED.has(error.name);
}

/** Maps an S3 error to this package's error codes. */
export function mapS3Error(
  error: unknown,
  doing: string,
  artifact: string,
  jobId: string,
): unknown {
  if (error instanceof CodepipelineWorkerError) return error;
  const name = error instanceof Error ? error.name : "Error";
  if (NOT_FOUND.has(name)) {
    return new CodepipelineWorkerError(
      "ARTIFACT_NOT_FOUND",
      `Artifact ${artifact} was not found in S3 while ${doing} (${name}).`,
      { cause: error, artifact, jobId },
    );
  }
  if (DENIED.has(name)) {
    return new CodepipelineWorkerError(
      "ARTIFACT_ACCESS_DENIED",
      `S3 refused the job's credentials while ${doing} artifact ${artifact} (${name}).`,
      { cause: error, artifact, jobId },
    );
  }
  if (EXPIRED.has(name)) {
    return new CodepipelineWorkerError(
      "CREDENTIALS_EXPIRED",
      `The job's artifact credentials expired while ${doing} artifact ${artifact}, and fresh ones from GetJobDetails were refused too.`,
      { cause: error, artifact, jobId },
    );
  }
  if (error instanceof Error && error.name === "AbortError") return error;
  return new CodepipelineWorkerError(
    "ARTIFACT_STORE_FAILED",
    `S3 failed while ${doing} artifact ${artifact}: ${name}.`,
    { cause: error, artifact, jobId },
  );
}

/** Creates an S3 client that signs with a job's credentials (from `credentials()`, called per request). */
export function artifactS3Client(
  config: ArtifactS3Config,
  credentials: () => Promise<ArtifactCredentials & { expiration?: Date }>,
): S3Client {
  return new S3Client({ followRegionRedirects: true, ...config, credentials });
}

/** Streams an object to `file`. */
export async function downloadObject(
  s3: S3Client,
  location: S3Location,
  file: string,
  signal?: AbortSignal,
): Promise<number> {
  const out = await s3.send(
    new GetObjectCommand({ Bucket: location.bucketName, Key: location.objectKey }),
    { abortSignal: signal },
  );
  if (!out.Body) throw new Error("S3 returned no body");
  let bytes = 0;
  const body = out.Body as Readable;
  body.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
  });
  await pipeline(body, createWriteStream(file, { mode: 0o600 }), { signal });
  return bytes;
}

/** Streams `body` to S3 with multipart upload; SSE-KMS when `kmsKeyId` is given. */
export async function uploadObject(
  s3: S3Client,
  location: S3Location,
  body: Readable,
  options: { kmsKeyId?: string | undefined; signal?: AbortSignal; partSize?: number },
): Promise<void> {
  const upload = new Upload({
    client: s3,
    queueSize: 2,
    partSize: options.partSize ?? 8 * 1024 * 1024,
    leavePartsOnError: false,
    params: {
      Bucket: location.bucketName,
      Key: location.objectKey,
      Body: body,
      ContentType: "application/zip",
      ...(options.kmsKeyId
        ? { ServerSideEncryption: "aws:kms" as const, SSEKMSKeyId: options.kmsKeyId }
        : {}),
    },
  });
  const onAbort = () => {
    void upload.abort().catch(() => {});
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    if (options.signal?.aborted) onAbort();
    await upload.done();
  } catch (error) {
    if (options.signal?.aborted) await abortMultipart(s3, location, upload);
    throw error;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** lib-storage internals read after an abort (it exposes no promise for its background work). */
interface UploadInternals {
  uploadId?: string;
  concurrentUploaders?: Promise<unknown>[];
  createMultiPartPromise?: Promise<{ UploadId?: string }>;
}

/**
 * After an abort, lib-storage rejects `done()` at once, but part uploads already sent go on and
 * CreateMultipartUpload may still be in flight; it sends AbortMultipartUpload itself only if its
 * client is still usable then. Wait (at most 30 s) for those requests to end, then abort the
 * multipart upload here, so no parts are left behind and no later Complete can store the object.
 */
async function abortMultipart(s3: S3Client, location: S3Location, upload: Upload): Promise<void> {
  const internals = upload as unknown as UploadInternals;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(internals.concurrentUploaders ?? []),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 30_000);
    }),
  ]);
  clearTimeout(timer);
  const created = await internals.createMultiPartPromise?.catch(() => undefined);
  const uploadId = created?.UploadId ?? internals.uploadId;
  if (!uploadId) return;
  await s3
    .send(
      new AbortMultipartUploadCommand({
        Bucket: location.bucketName,
        Key: location.objectKey,
        UploadId: uploadId,
      }),
    )
    .catch(() => {});
}
