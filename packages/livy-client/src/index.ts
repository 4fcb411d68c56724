export type { AuthProvider, AuthRequest, LivyHttpOptions } from "./adapters/http.js";
export {
  LivyClient,
  type LivyClientOptions,
  type SubmitBatchOptions,
} from "./client.js";
export type { RetryOptions } from "./core/retry.js";
export {
  FAILED_BATCH_STATES,
  isFailedBatchState,
  isKnownSessionState,
  isTerminalBatchState,
  SESSION_STATES,
  STATEMENT_STATES,
  TERMINAL_BATCH_STATES,
} from "./core/states.js";
export type * from "./core/types.js";
export { isLivyError, LivyError, type LivyErrorCode, type LivyErrorDetails } from "./errors.js";
export type { Logger } from "./logger.js";
export type { CallOptions, Clock, SessionPort } from "./ports.js";
export {
  LivySession,
  type RunOptions,
  type StatementResult,
  statementResult,
  type WaitIdleOptions,
} from "./session.js";
export {
  DEFAULT_WAIT_TIMEOUT_MS,
  type TransientErrorEvent,
  type WaitForBatchOptions,
  type WatchBatchesOptions,
  type WatchBatchesResult,
} from "./wait.js";
