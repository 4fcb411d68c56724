import type { Batch } from "./core/types.js";

/**
 * Every code a {@link LivyError} can carry.
 *
 * | code | meaning | `retryable` |
 * |---|---|---|
 * | `INVALID_ARGUMENT` | a request field or option is invalid; nothing was sent | no |
 * | `INVALID_URL` | the Livy URL cannot be parsed or is not http(s) | no |
 * | `BAD_REQUEST` | Livy answered 400 (bad field, missing CSRF header, too many sessions) | no |
 * | `UNAUTHORIZED` | 401: credentials missing or rejected (Knox, Kerberos/SPNEGO, basic auth) | no |
 * | `FORBIDDEN` | 403: authenticated, but not allowed (impersonation, ACLs) | no |
 * | `NOT_FOUND` | 404: unknown or forgotten batch, session or statement | no |
 * | `CONFLICT` | 409: the request conflicts with the server's state | no |
 * | `RATE_LIMITED` | 429 after every retry was used | see below |
 * | `SERVER_ERROR` | 5xx after every retry was used (often a proxy's HTML page) | see below |
 * | `HTTP_ERROR` | any other non-2xx status | no |
 * | `INVALID_RESPONSE` | a 2xx whose body is not the JSON Livy sends (truncated, wrong shape); an HTML login page never | see below |
 * | `NETWORK` | connection refused, reset or closed mid-body | see below |
 * | `TIMEOUT` | a request took longer than its `timeoutMs`, or a wait passed its deadline (`killed` says whether `killOnTimeout` worked) | requests only, see below |
 * | `ABORTED` | the caller's `signal` aborted | no |
 * | `BATCH_FAILED` | a batch ended in `dead`, `error` or `killed` | no |
 * | `INVALID_PIPELINE` | a pipeline definition is invalid (name, dependency, cycle, input reference, batch), or `toStateMachine({ validate: true })` compiled it to a definition that does not validate (`field: "definition"`, the message lists asl-validator's errors); nothing ran; `field` names it | no |
 * | `BATCH_REPLACED` | while waiting, the batch id came to name another job (Livy restarted without recovery and reused it) | no |
 * | `SESSION_FAILED` | an interactive session ended while it was needed | no |
 * | `STATEMENT_FAILED` | a statement's output has `status: "error"` (`ename`, `evalue`, `traceback`) | no |
 * | `STATEMENT_CANCELLED` | a statement was cancelled before it produced output | no |
 * | `AWS_ERROR` | a Step Functions request (deploy, start, status) failed; `awsError` names the service's error (`StateMachineDoesNotExist`, `ExecutionAlreadyExists`, `InvalidDefinition`, …) | no |
 *
 * **The `retryable` rule.** `retryable` is true only for a transient failure (`RATE_LIMITED`,
 * `SERVER_ERROR`, `INVALID_RESPONSE`, `NETWORK`, `TIMEOUT`) of a request that cannot have started
 * work twice: never for `POST /batches`, `POST /sessions` or `POST /sessions/{id}/statements`
 * (the job may have started before the answer was lost: reattach by name instead), never for an
 * HTML page where JSON was expected (a login or proxy page answers the same again), and never for
 * a wait's own deadline.
 */
export type LivyErrorCode =
  | "INVALID_ARGUMENT"
  | "INVALID_URL"
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "RATE_LIMITED"
  | "SERVER_ERROR"
  | "HTTP_ERROR"
  | "INVALID_RESPONSE"
  | "NETWORK"
  | "TIMEOUT"
  | "ABORTED"
  | "BATCH_FAILED"
  | "BATCH_REPLACED"
  | "INVALID_PIPELINE"
  | "SESSION_FAILED"
  | "STATEMENT_FAILED"
  | "STATEMENT_CANCELLED"
  | "AWS_ERROR";

/** Data a {@link LivyError} may carry, depending on its code. */
export interface LivyErrorDetails {
  /** The underlying error (a fetch failure, a JSON parse error, an abort reason). */
  cause?: unknown;
  /** HTTP status of the failed response. */
  status?: number;
  /** HTTP method and path of the failed request. */
  method?: string;
  /** Path of the failed request, relative to the Livy URL. */
  path?: string;
  /** The first bytes of the response body (HTML stripped to text), for diagnosis. */
  body?: string;
  /** The field of a request that is invalid (`INVALID_ARGUMENT`). */
  field?: string;
  /** Batch id (`BATCH_FAILED`, `TIMEOUT`, `NOT_FOUND` while waiting). */
  batchId?: number;
  /** The batch as last seen (`BATCH_FAILED`, `TIMEOUT`). */
  batch?: Batch;
  /** The last log lines of the batch (`BATCH_FAILED`, `TIMEOUT`). */
  logTail?: string[];
  /** Interactive session id. */
  sessionId?: number;
  /** Statement id (`STATEMENT_FAILED`, `STATEMENT_CANCELLED`). */
  statementId?: number;
  /** Exception name from a failed statement. */
  ename?: string;
  /** Exception value (message) from a failed statement. */
  evalue?: string;
  /** Traceback lines from a failed statement. */
  traceback?: string[];
  /** How many attempts were made before giving up. */
  attempts?: number;
  /** `TIMEOUT` of a wait with `killOnTimeout`: whether the batch was deleted. */
  killed?: boolean;
  /** `AWS_ERROR`: the error name the AWS service answered with, e.g. `StateMachineDoesNotExist`. */
  awsError?: string;
}

const RETRYABLE: ReadonlySet<LivyErrorCode> = new Set([
  "RATE_LIMITED",
  "SERVER_ERROR",
  "INVALID_RESPONSE",
  "NETWORK",
  "TIMEOUT",
]);

/**
 * The one error class of @tinkerbox/livy-client. `code` says what went wrong (see
 * {@link LivyErrorCode}); the other fields carry what a caller needs to act on it.
 */
export class LivyError extends Error {
  override readonly name = "LivyError";
  readonly code: LivyErrorCode;
  readonly status?: number;
  readonly method?: string;
  readonly path?: string;
  readonly body?: string;
  readonly field?: string;
  readonly batchId?: number;
  readonly batch?: Batch;
  readonly logTail?: string[];
  readonly sessionId?: number;
  readonly statementId?: number;
  readonly ename?: string;
  readonly evalue?: string;
  readonly traceback?: string[];
  readonly attempts?: number;
  readonly killed?: boolean;
  readonly awsError?: string;

  constructor(code: LivyErrorCode, message: string, details: LivyErrorDetails = {}) {
    const { cause, ...rest } = details;
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    for (const [key, value] of Object.entries(rest)) {
      if (value !== undefined) (this as Record<string, unknown>)[key] = value;
    }
  }

  /**
   * Whether sending the same request again may succeed and cannot start work twice (AWS SDK's
   * `$retryable`); see the rule under {@link LivyErrorCode}.
   */
  get retryable(): boolean {
    if (!RETRYABLE.has(this.code) || this.method === undefined) return false;
    if (this.method === "POST" && startsWork(this.path ?? "")) return false;
    return !(this.code === "INVALID_RESPONSE" && this.body?.startsWith("HTML page"));
  }
}

/** Whether a POST to this path may start a job: a batch, a session or a statement. */
function startsWork(path: string): boolean {
  return /^\/(batches|sessions|sessions\/[^/]+\/statements)\/?(\?|$)/.test(path);
}

/** Narrows an unknown error to a {@link LivyError}, optionally with one of the given codes. */
export function isLivyError(error: unknown, ...codes: LivyErrorCode[]): error is LivyError {
  return error instanceof LivyError && (codes.length === 0 || codes.includes(error.code));
}
