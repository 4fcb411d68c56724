/**
 * Every code a {@link CodepipelineWorkerError} can carry.
 *
 * | code | meaning | reported to CodePipeline as |
 * |---|---|---|
 * | `INVALID_ARGUMENT` | an option or argument is malformed | — |
 * | `INVALID_ACTION_DEFINITION` | `defineAction` input breaks a CodePipeline rule | — |
 * | `ACTION_TYPE_CONFLICT` | a different definition is already registered under that id | — |
 * | `SERVICE_ERROR` | a CodePipeline API call failed | — |
 * | `POLL_REFUSED` | PollForJobs was refused for good (unknown action type, invalid query, access denied): `run()` rejects | — |
 * | `INVALID_ZIP` | an input artifact is not a readable zip | `JobFailed` |
 * | `UNSAFE_ZIP_ENTRY` | a zip entry would escape its folder (`../`, absolute, symlink) | `JobFailed` |
 * | `ZIP_LIMIT_EXCEEDED` | a zip exceeds the entry-count, size or compression-ratio limits (zip bomb) | `JobFailed` |
 * | `ARTIFACT_NOT_FOUND` | an input artifact is missing from S3 | `RevisionUnavailable` |
 * | `ARTIFACT_ACCESS_DENIED` | S3 refused the job's credentials | `PermissionError` |
 * | `CREDENTIALS_EXPIRED` | the job's artifact credentials expired and could not be refreshed | `SystemUnavailable` |
 * | `ARTIFACT_STORE_FAILED` | an output artifact could not be stored | `SystemUnavailable` |
 * | `HANDLER_TIMEOUT` | the handler ran past `jobTimeoutMs` | `JobFailed` |
 * | `WORKER_SHUTDOWN` | the worker stopped before the job finished | `SystemUnavailable` |
 * | `JOB_FAILED` | thrown by a handler: the job failed | `JobFailed` |
 * | `CONFIGURATION_ERROR` | thrown by a handler or the configuration parser | `ConfigurationError` |
 * | `PERMISSION_ERROR` | thrown by a handler: missing permission | `PermissionError` |
 * | `REVISION_OUT_OF_SYNC` | thrown by a handler | `RevisionOutOfSync` |
 * | `REVISION_UNAVAILABLE` | thrown by a handler | `RevisionUnavailable` |
 * | `SYSTEM_UNAVAILABLE` | thrown by a handler: transient, let the pipeline retry | `SystemUnavailable` |
 * | `EMULATOR_ERROR` | the emulator's control API refused a request | — |
 */
export type CodepipelineWorkerErrorCode =
  | "INVALID_ARGUMENT"
  | "INVALID_ACTION_DEFINITION"
  | "ACTION_TYPE_CONFLICT"
  | "SERVICE_ERROR"
  | "POLL_REFUSED"
  | "INVALID_ZIP"
  | "UNSAFE_ZIP_ENTRY"
  | "ZIP_LIMIT_EXCEEDED"
  | "ARTIFACT_NOT_FOUND"
  | "ARTIFACT_ACCESS_DENIED"
  | "CREDENTIALS_EXPIRED"
  | "ARTIFACT_STORE_FAILED"
  | "HANDLER_TIMEOUT"
  | "WORKER_SHUTDOWN"
  | "JOB_FAILED"
  | "CONFIGURATION_ERROR"
  | "PERMISSION_ERROR"
  | "REVISION_OUT_OF_SYNC"
  | "REVISION_UNAVAILABLE"
  | "SYSTEM_UNAVAILABLE"
  | "EMULATOR_ERROR";

/** Extra data an error carries so a caller can act on it. */
export interface CodepipelineWorkerErrorDetails {
  /** The CodePipeline job the error belongs to. */
  jobId?: string;
  /** The artifact involved. */
  artifact?: string;
  /** The zip entry involved. */
  entry?: string;
  /** For `ACTION_TYPE_CONFLICT`: one line per differing field. */
  differences?: string[];
  /** For handler-thrown failures: the id of the external run, shown in the console. */
  externalExecutionId?: string;
  /** For `SERVICE_ERROR`: the AWS error name (`ThrottlingException`, …). */
  awsErrorName?: string;
}

/** The one error class of @tinkerbox/codepipeline-worker; `code` says what went wrong. */
export class CodepipelineWorkerError extends Error {
  override readonly name = "CodepipelineWorkerError";
  readonly code: CodepipelineWorkerErrorCode;
  readonly jobId: string | undefined;
  readonly artifact: string | undefined;
  readonly entry: string | undefined;
  readonly differences: string[] | undefined;
  readonly externalExecutionId: string | undefined;
  readonly awsErrorName: string | undefined;

  constructor(
    code: CodepipelineWorkerErrorCode,
    message: string,
    options?: { cause?: unknown } & CodepipelineWorkerErrorDetails,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.jobId = options?.jobId;
    this.artifact = options?.artifact;
    this.entry = options?.entry;
    this.differences = options?.differences;
    this.externalExecutionId = options?.externalExecutionId;
    this.awsErrorName = options?.awsErrorName;
  }
}

/** Whether `value` is a {@link CodepipelineWorkerError}, optionally with one of `codes`. */
export function isCodepipelineWorkerError(
  value: unknown,
  ...codes: CodepipelineWorkerErrorCode[]
): value is CodepipelineWorkerError {
  return (
    value instanceof CodepipelineWorkerError && (codes.length === 0 || codes.includes(value.code))
  );
}
