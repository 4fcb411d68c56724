import type { KnownSessionState, KnownStatementState, SessionState } from "./types.js";

/** Every session/batch state Livy 0.7–0.8 defines. */
export const SESSION_STATES: readonly KnownSessionState[] = [
  "not_started",
  "starting",
  "recovering",
  "idle",
  "running",
  "busy",
  "shutting_down",
  "error",
  "dead",
  "killed",
  "success",
];

/** Every statement state Livy 0.7–0.8 defines. */
export const STATEMENT_STATES: readonly KnownStatementState[] = [
  "waiting",
  "running",
  "available",
  "error",
  "cancelling",
  "cancelled",
];

/** Batch states after which nothing more happens. */
export const TERMINAL_BATCH_STATES: readonly KnownSessionState[] = [
  "success",
  "dead",
  "killed",
  "error",
];

/** Terminal batch states that mean the job did not succeed. */
export const FAILED_BATCH_STATES: readonly KnownSessionState[] = ["dead", "killed", "error"];

/** Whether a batch in this state will not change any more. */
export function isTerminalBatchState(state: SessionState): boolean {
  return (TERMINAL_BATCH_STATES as readonly string[]).includes(state);
}

/** Whether a batch in this state has failed. */
export function isFailedBatchState(state: SessionState): boolean {
  return (FAILED_BATCH_STATES as readonly string[]).includes(state);
}

/** Whether the state is one this client knows (others come from newer servers). */
export function isKnownSessionState(state: string): state is KnownSessionState {
  return (SESSION_STATES as readonly string[]).includes(state);
}

/** Whether an interactive session in this state can never run a statement again. */
export function isEndedSessionState(state: SessionState): boolean {
  return ["shutting_down", "error", "dead", "killed", "success"].includes(state);
}
