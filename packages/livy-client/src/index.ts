export type { AuthProvider, AuthRequest, LivyHttpOptions, LivyLogger } from "./adapters/http.js";
export {
  type CallOptions,
  LivyClient,
  type LivyClientOptions,
  LivySession,
  type RunOptions,
  type StatementResult,
  type SubmitBatchOptions,
  statementResult,
  type WaitIdleOptions,
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
export {
  BatchLogFollower,
  type WaitForBatchOptions,
  type WatchBatchesOptions,
  type WatchBatchesResult,
  waitForBatch,
  watchBatches,
} from "./wait.js";
