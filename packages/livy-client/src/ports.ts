// The small ports the waiting code and the session handle depend on. LivyClient satisfies them
// and passes itself in as these shapes, so wait.ts and session.ts never import the client.

import type {
  Batch,
  CompletionRequest,
  CompletionResponse,
  LogResponse,
  MessageResponse,
  PageOptions,
  Session,
  SessionList,
  Statement,
  StatementKind,
} from "./core/types.js";
import type { Logger } from "./logger.js";

/** Cancellation for a single call. */
export interface CallOptions {
  /** Aborts the call with `ABORTED`. @defaultValue none */
  signal?: AbortSignal | undefined;
}

/** Time, injectable for tests. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Waits `ms`, rejecting when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** What waiting for batches needs: get, log, delete, list, a clock and an optional logger. */
export interface BatchWaitPort extends Clock {
  getBatch(id: number, options?: CallOptions): Promise<Batch>;
  getBatchLog(id: number, options?: PageOptions & CallOptions): Promise<LogResponse>;
  deleteBatch(id: number, options?: CallOptions): Promise<MessageResponse>;
  listBatches(options?: PageOptions & CallOptions): Promise<SessionList<Batch>>;
  readonly logger?: Logger | undefined;
}

/** What a {@link LivySession} handle needs. */
export interface SessionPort extends Clock {
  getSession(id: number, options?: CallOptions): Promise<Session>;
  runStatement(
    sessionId: number,
    request: { code: string; kind?: StatementKind },
    options?: CallOptions,
  ): Promise<Statement>;
  getStatement(sessionId: number, statementId: number, options?: CallOptions): Promise<Statement>;
  cancelStatement(
    sessionId: number,
    statementId: number,
    options?: CallOptions,
  ): Promise<MessageResponse>;
  completion(
    sessionId: number,
    request: CompletionRequest,
    options?: CallOptions,
  ): Promise<CompletionResponse>;
  deleteSession(id: number, options?: CallOptions): Promise<MessageResponse>;
}
