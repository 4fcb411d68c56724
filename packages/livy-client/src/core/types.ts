// Wire types of the Apache Livy REST API (0.7 and 0.8), as documented in Livy's rest-api.md and
// produced by its servlets. Every response type keeps an index signature so that fields added by
// newer servers reach the caller instead of being dropped.

/** Session and batch states known to Livy 0.7–0.8. */
export type KnownSessionState =
  | "not_started"
  | "starting"
  | "recovering"
  | "idle"
  | "running"
  | "busy"
  | "shutting_down"
  | "error"
  | "dead"
  | "killed"
  | "success";

/**
 * A session or batch state. Known states are literals; a state from a newer server is passed
 * through as a plain string (`string & {}` keeps editor completion for the known ones).
 */
export type SessionState = KnownSessionState | (string & {});

/** Statement states known to Livy 0.7–0.8. */
export type KnownStatementState =
  | "waiting"
  | "running"
  | "available"
  | "error"
  | "cancelling"
  | "cancelled";

/** A statement state; unknown states from newer servers pass through as strings. */
export type StatementState = KnownStatementState | (string & {});

/**
 * Interactive session kinds. `"javascript"` is understood only by this package's dev server
 * (a dev-only extension that runs statements in a Node worker); real Livy rejects it.
 */
export type SessionKind =
  | "spark"
  | "pyspark"
  | "sparkr"
  | "sql"
  | "shared"
  | "javascript"
  | "scala"
  | "python"
  | "r";

/** Statement kinds (a `shared` session accepts any of them per statement). */
export type StatementKind =
  | "spark"
  | "pyspark"
  | "sparkr"
  | "sql"
  | "javascript"
  | "scala"
  | "python"
  | "r";

/** Fields common to batch and interactive session creation. */
export interface SparkResourceRequest {
  /** User to impersonate when running the job (needs `livy.superusers` / Knox impersonation). */
  proxyUser?: string;
  /** Jars to be used in this session. */
  jars?: string[];
  /** Python files to be used in this session. */
  pyFiles?: string[];
  /** Files to be used in this session. */
  files?: string[];
  /** Amount of memory for the driver process, e.g. `"4g"`. */
  driverMemory?: string;
  /** Number of cores for the driver process. */
  driverCores?: number;
  /** Amount of memory per executor process, e.g. `"4g"`. */
  executorMemory?: string;
  /** Number of cores per executor. */
  executorCores?: number;
  /** Number of executors to launch. */
  numExecutors?: number;
  /** Archives to be used in this session. */
  archives?: string[];
  /** YARN queue to submit to. */
  queue?: string;
  /** Name of the session or batch (Livy 0.7+). {@link LivyClient.submitBatch} uses it to reattach. */
  name?: string;
  /** Spark configuration properties. */
  conf?: Record<string, string>;
}

/** `POST /batches` body. */
export interface CreateBatchRequest extends SparkResourceRequest {
  /** File containing the application to execute (required). */
  file: string;
  /** Application Java/Spark main class. */
  className?: string;
  /** Command line arguments for the application. */
  args?: string[];
}

/** `POST /sessions` body. */
export interface CreateSessionRequest extends SparkResourceRequest {
  /** Session kind; optional since Livy 0.5 (statements then name their own kind). */
  kind?: SessionKind;
  /** Seconds of client silence after which Livy kills the session (0 = never). */
  heartbeatTimeoutInSecond?: number;
  /** Idle time after which the session is stopped, e.g. `"10m"` (Livy 0.8+; sent only when set). */
  ttl?: string;
}

/** Application info Livy reports for a batch or session. */
export interface AppInfo {
  driverLogUrl?: string | null;
  sparkUiUrl?: string | null;
  [key: string]: unknown;
}

/** A batch as returned by `GET /batches/{id}`. */
export interface Batch {
  id: number;
  /** Batch name (Livy 0.7+), `null` when not given. */
  name?: string | null;
  owner?: string | null;
  proxyUser?: string | null;
  state: SessionState;
  appId: string | null;
  appInfo: AppInfo;
  /** The last lines of the log (Livy sends up to 10). */
  log: string[];
  [key: string]: unknown;
}

/** An interactive session as returned by `GET /sessions/{id}`. */
export interface Session {
  id: number;
  name?: string | null;
  appId: string | null;
  owner: string | null;
  proxyUser: string | null;
  kind: SessionKind | (string & {});
  state: SessionState;
  appInfo: AppInfo;
  log: string[];
  /** Idle TTL (Livy 0.8+). */
  ttl?: string | null;
  /** The remaining fields of Livy 0.8's session view (from the create request; 0 or null when not set). */
  driverMemory?: string | null;
  driverCores?: number;
  executorMemory?: string | null;
  executorCores?: number;
  conf?: Record<string, string> | null;
  archives?: string[] | null;
  files?: string[] | null;
  heartbeatTimeoutInSecond?: number;
  jars?: string[] | null;
  numExecutors?: number;
  pyFiles?: string[] | null;
  queue?: string | null;
  [key: string]: unknown;
}

/** `GET /batches` and `GET /sessions`. */
export interface SessionList<T> {
  from: number;
  total: number;
  sessions: T[];
  [key: string]: unknown;
}

/** `GET /batches/{id}/state`. */
export interface StateResponse {
  id: number;
  state: SessionState;
  [key: string]: unknown;
}

/** `GET /batches/{id}/log` and `GET /sessions/{id}/log`. */
export interface LogResponse {
  id: number;
  /** Offset of the first returned line. */
  from: number;
  /** Total number of lines the server currently holds. */
  total: number;
  log: string[];
  [key: string]: unknown;
}

/** `from`/`size` paging for list and log calls. */
export interface PageOptions {
  /** Offset to start from (log: default is the last `size` lines). */
  from?: number;
  /** Number of entries to return (Livy default 100). */
  size?: number;
}

/** Output of a finished statement, a Jupyter-like message. */
export type StatementOutput = StatementOkOutput | StatementErrorOutput;

/** Output of a statement that succeeded. */
export interface StatementOkOutput {
  status: "ok";
  execution_count: number;
  /** MIME type → value, e.g. `text/plain`, `application/json`. */
  data: Record<string, unknown>;
  [key: string]: unknown;
}

/** Output of a statement that raised. */
export interface StatementErrorOutput {
  status: "error";
  execution_count: number;
  ename: string;
  evalue: string;
  traceback: string[];
  [key: string]: unknown;
}

/** A statement, `GET /sessions/{id}/statements/{statementId}`. */
export interface Statement {
  id: number;
  code: string;
  state: StatementState;
  output: StatementOutput | null;
  /** Progress between 0 and 1. */
  progress?: number;
  /** Start time, ms since epoch (0 when not started). */
  started?: number;
  /** Completion time, ms since epoch (0 when not completed). */
  completed?: number;
  [key: string]: unknown;
}

/** `POST /sessions/{id}/statements` body. */
export interface RunStatementRequest {
  code: string;
  /** Statement kind; required for `shared` sessions (Livy 0.5+). */
  kind?: StatementKind;
}

/** `GET /sessions/{id}/statements`. */
export interface StatementList {
  total_statements?: number;
  statements: Statement[];
  [key: string]: unknown;
}

/** `POST /sessions/{id}/completion` body. */
export interface CompletionRequest {
  code: string;
  kind: StatementKind;
  cursor: number;
}

/** `POST /sessions/{id}/completion` response. */
export interface CompletionResponse {
  candidates: string[];
  [key: string]: unknown;
}

/** `GET /version`. */
export interface VersionResponse {
  version: string;
  /** The git revision Livy was built from. */
  revision?: string;
  user?: string;
  date?: string;
  url?: string;
  branch?: string;
  [key: string]: unknown;
}

/** `{ "msg": "…" }` as sent by DELETE and cancel. */
export interface MessageResponse {
  msg: string;
  [key: string]: unknown;
}
