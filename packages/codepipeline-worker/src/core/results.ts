import { CodepipelineWorkerError, type CodepipelineWorkerErrorCode } from "../errors.js";
import type { HandlerResult } from "./action.js";
import { redact, redactDeep } from "./redact.js";

/** The failure types of `PutJobFailureResult`. */
export type FailureType =
  | "JobFailed"
  | "ConfigurationError"
  | "PermissionError"
  | "RevisionOutOfSync"
  | "RevisionUnavailable"
  | "SystemUnavailable";

/**
 * Limits of the CodePipeline job APIs the worker keeps to (API Reference: ExecutionDetails,
 * FailureDetails, CurrentRevision, PutJobSuccessResult). Lengths count Unicode code points, as the
 * Smithy `@length` trait does. A test compares them with the service's model.
 */
export const JOB_API_LIMITS = {
  summaryLength: 2048,
  externalExecutionIdLength: 1500,
  failureMessageLength: 5000,
  continuationTokenLength: 2048,
  revisionLength: 1500,
  changeIdentifierLength: 100,
  revisionSummaryLength: 2048,
  outputVariablesBytes: 122_880,
  outputVariableKey: /^[A-Za-z0-9@\-_]+$/,
} as const;

const FAILURE_TYPE_BY_CODE: Partial<Record<CodepipelineWorkerErrorCode, FailureType>> = {
  JOB_FAILED: "JobFailed",
  CONFIGURATION_ERROR: "ConfigurationError",
  PERMISSION_ERROR: "PermissionError",
  REVISION_OUT_OF_SYNC: "RevisionOutOfSync",
  REVISION_UNAVAILABLE: "RevisionUnavailable",
  SYSTEM_UNAVAILABLE: "SystemUnavailable",
  INVALID_ZIP: "JobFailed",
  UNSAFE_ZIP_ENTRY: "JobFailed",
  ZIP_LIMIT_EXCEEDED: "JobFailed",
  ARTIFACT_NOT_FOUND: "RevisionUnavailable",
  ARTIFACT_ACCESS_DENIED: "PermissionError",
  CREDENTIALS_EXPIRED: "SystemUnavailable",
  ARTIFACT_STORE_FAILED: "SystemUnavailable",
  HANDLER_TIMEOUT: "JobFailed",
  WORKER_SHUTDOWN: "SystemUnavailable",
  SERVICE_ERROR: "SystemUnavailable",
};

/** The failure type code of each `FailureType`, for {@link jobFailure}. */
const CODE_BY_FAILURE_TYPE: Record<FailureType, CodepipelineWorkerErrorCode> = {
  JobFailed: "JOB_FAILED",
  ConfigurationError: "CONFIGURATION_ERROR",
  PermissionError: "PERMISSION_ERROR",
  RevisionOutOfSync: "REVISION_OUT_OF_SYNC",
  RevisionUnavailable: "REVISION_UNAVAILABLE",
  SystemUnavailable: "SYSTEM_UNAVAILABLE",
};

/**
 * The error a handler throws to fail its job with a given CodePipeline failure type; the
 * message is shown in the console, so it must not contain secrets (the worker redacts the
 * values of secret properties anyway).
 */
export function jobFailure(
  type: FailureType,
  message: string,
  options?: { cause?: unknown; externalExecutionId?: string },
): CodepipelineWorkerError {
  return new CodepipelineWorkerError(CODE_BY_FAILURE_TYPE[type], message, options);
}

/**
 * Cuts `text` to `max` characters as the API counts them (Unicode code points, so a surrogate
 * pair is never split), marking the cut with an ellipsis.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const points = [...text];
  if (points.length <= max) return text;
  return `${points.slice(0, max - 1).join("")}…`;
}

/** Redacted and cut to `max`; `undefined` when nothing is left (the API refuses empty texts). */
function apiText(text: string | undefined, max: number, secrets: readonly string[]) {
  if (text === undefined) return undefined;
  const out = truncate(redact(text, secrets), max);
  return out.length > 0 ? out : undefined;
}

/** `FailureDetails` as sent to `PutJobFailureResult`. */
export interface FailureDetails {
  type: FailureType;
  message: string;
  externalExecutionId?: string;
}

/**
 * Maps what a job threw to `FailureDetails`. Errors of this package keep their message (with
 * secrets redacted); anything else becomes `JobFailed` with a generic message naming only the
 * error's class, so no secret or internal detail can reach the console.
 */
export function toFailureDetails(error: unknown, secrets: readonly string[]): FailureDetails {
  if (error instanceof CodepipelineWorkerError) {
    const type = FAILURE_TYPE_BY_CODE[error.code] ?? "JobFailed";
    const details: FailureDetails = {
      type,
      message:
        apiText(error.message, JOB_API_LIMITS.failureMessageLength, secrets) ??
        `The action failed (${type}) without a message.`,
    };
    const external = apiText(
      error.externalExecutionId,
      JOB_API_LIMITS.externalExecutionIdLength,
      secrets,
    );
    if (external !== undefined) details.externalExecutionId = external;
    return details;
  }
  const kind = error instanceof Error ? error.name : typeof error;
  return {
    type: "JobFailed",
    message: `The action failed with an unexpected ${kind}; the worker's log has the details.`,
  };
}

function toCurrentRevision(
  revision: NonNullable<HandlerResult["currentRevision"]>,
  secrets: readonly string[],
): NonNullable<SuccessResult["currentRevision"]> {
  for (const [field, value, max] of [
    ["revision", revision.revision, JOB_API_LIMITS.revisionLength],
    ["changeIdentifier", revision.changeIdentifier, JOB_API_LIMITS.changeIdentifierLength],
  ] as const) {
    const length = typeof value === "string" ? [...value].length : -1;
    if (length < 1 || length > max) {
      throw new CodepipelineWorkerError(
        "JOB_FAILED",
        `The handler's currentRevision.${field} must be 1–${max} characters (got ${length < 0 ? typeof value : length}).`,
      );
    }
  }
  const out: NonNullable<SuccessResult["currentRevision"]> = {
    revision: revision.revision,
    changeIdentifier: revision.changeIdentifier,
  };
  if (revision.created !== undefined) out.created = revision.created;
  const summary = apiText(revision.revisionSummary, JOB_API_LIMITS.revisionSummaryLength, secrets);
  if (summary !== undefined) out.revisionSummary = summary;
  return out;
}

/** The body of `PutJobSuccessResult`, without `jobId`. */
export interface SuccessResult {
  executionDetails?: { summary?: string; externalExecutionId?: string; percentComplete?: number };
  outputVariables?: Record<string, string>;
  continuationToken?: string;
  currentRevision?: {
    revision: string;
    changeIdentifier: string;
    created?: Date;
    revisionSummary?: string;
  };
}

/**
 * Turns a handler's result into the `PutJobSuccessResult` body, enforcing the API's limits:
 * summary cut to 2048 characters, output variables checked (names, total size, not together
 * with a continuation token). A handler result that breaks a hard rule throws `JOB_FAILED`.
 */
export function toSuccessResult(
  result: HandlerResult | undefined,
  progress: { percent?: number; summary?: string },
  secrets: readonly string[],
): SuccessResult {
  const r = result ?? {};
  const out: SuccessResult = {};
  const summary = r.summary ?? progress.summary;
  const percent = r.percentComplete ?? (r.continuationToken ? progress.percent : 100);
  const details: NonNullable<SuccessResult["executionDetails"]> = {};
  const summaryText = apiText(summary, JOB_API_LIMITS.summaryLength, secrets);
  if (summaryText !== undefined) details.summary = summaryText;
  const external = apiText(
    r.externalExecutionId,
    JOB_API_LIMITS.externalExecutionIdLength,
    secrets,
  );
  if (external !== undefined) details.externalExecutionId = external;
  if (percent !== undefined && Number.isFinite(percent))
    details.percentComplete = Math.max(0, Math.min(100, Math.round(percent)));
  if (Object.keys(details).length > 0) out.executionDetails = details;
  if (r.currentRevision) out.currentRevision = toCurrentRevision(r.currentRevision, secrets);
  if (r.continuationToken !== undefined) {
    if (r.outputVariables && Object.keys(r.outputVariables).length > 0) {
      throw new CodepipelineWorkerError(
        "JOB_FAILED",
        "The handler returned both outputVariables and a continuationToken; CodePipeline accepts output variables only on the final result.",
      );
    }
    const tokenLength = [...r.continuationToken].length;
    if (tokenLength < 1 || tokenLength > JOB_API_LIMITS.continuationTokenLength) {
      throw new CodepipelineWorkerError(
        "JOB_FAILED",
        `The handler's continuationToken must be 1–${JOB_API_LIMITS.continuationTokenLength} characters (got ${tokenLength}).`,
      );
    }
    out.continuationToken = r.continuationToken;
  }
  if (r.outputVariables) {
    let bytes = 0;
    for (const [key, value] of Object.entries(r.outputVariables)) {
      if (!JOB_API_LIMITS.outputVariableKey.test(key)) {
        throw new CodepipelineWorkerError(
          "JOB_FAILED",
          `Output variable name ${JSON.stringify(key)} is invalid: use only A-Z a-z 0-9 @ - _.`,
        );
      }
      if (typeof value !== "string") {
        throw new CodepipelineWorkerError("JOB_FAILED", `Output variable ${key} must be a string.`);
      }
      bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    }
    if (bytes > JOB_API_LIMITS.outputVariablesBytes) {
      throw new CodepipelineWorkerError(
        "JOB_FAILED",
        `Output variables total ${bytes} bytes; CodePipeline allows ${JOB_API_LIMITS.outputVariablesBytes}.`,
      );
    }
    out.outputVariables = redactDeep(r.outputVariables, secrets);
  }
  return out;
}
