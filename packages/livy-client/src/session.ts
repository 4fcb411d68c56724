import { isEndedSessionState } from "./core/states.js";
import type {
  CompletionRequest,
  CompletionResponse,
  MessageResponse,
  Session,
  Statement,
  StatementKind,
} from "./core/types.js";
import { LivyError } from "./errors.js";
import type { CallOptions, SessionPort } from "./ports.js";

/** Options of {@link LivySession.run}. */
export interface RunOptions extends CallOptions {
  /** Statement kind (required by `shared` sessions). @defaultValue the session's kind */
  kind?: StatementKind;
  /** Delay between statement polls. @defaultValue 250 */
  pollIntervalMs?: number;
  /** Give up (and cancel the statement) after this long. @defaultValue no limit */
  timeoutMs?: number;
}

/** Options of {@link LivySession.waitUntilIdle} and {@link LivyClient.startSession}. */
export interface WaitIdleOptions extends CallOptions {
  /** Delay between state polls. @defaultValue 500 */
  pollIntervalMs?: number;
  /** Give up after this long. @defaultValue no limit */
  timeoutMs?: number;
  /** Called when the session state changes. @defaultValue none */
  onState?: (state: string) => void;
}

/** The output of a statement that finished with `status: "ok"`. */
export interface StatementResult {
  /** The statement as the server last returned it. */
  statement: Statement;
  /** All MIME bundles of the output. */
  data: Record<string, unknown>;
  /** `text/plain` output, if any. */
  text?: string;
  /** `application/json` output, if any. */
  json?: unknown;
}

/** A handle on one interactive session. */
export class LivySession {
  constructor(
    readonly client: SessionPort,
    readonly id: number,
  ) {}

  /** The session as the server sees it now. */
  info(options?: CallOptions): Promise<Session> {
    return this.client.getSession(this.id, options);
  }

  /** Waits until the session is `idle`; throws `SESSION_FAILED` if it ends first. */
  async waitUntilIdle(options: WaitIdleOptions = {}): Promise<Session> {
    const started = this.client.now();
    const interval = options.pollIntervalMs ?? 500;
    let last = "";
    for (;;) {
      const session = await this.client.getSession(this.id, options);
      if (session.state !== last) {
        last = session.state;
        options.onState?.(session.state);
      }
      if (session.state === "idle") return session;
      if (isEndedSessionState(session.state)) {
        throw new LivyError(
          "SESSION_FAILED",
          `Livy session ${this.id} is ${session.state} and cannot run code; last log lines:\n${session.log.join("\n")}`,
          { sessionId: this.id },
        );
      }
      if (options.timeoutMs !== undefined && this.client.now() - started >= options.timeoutMs) {
        throw new LivyError(
          "TIMEOUT",
          `Livy session ${this.id} was not idle within ${options.timeoutMs} ms (state ${session.state})`,
          {
            sessionId: this.id,
          },
        );
      }
      await sleepOrAbort(this.client, interval, options.signal);
    }
  }

  /**
   * Runs code and returns its output. An output with `status: "error"` throws `STATEMENT_FAILED`
   * with `ename`, `evalue` and `traceback`; a cancelled statement throws `STATEMENT_CANCELLED`.
   */
  async run(code: string, options: RunOptions = {}): Promise<StatementResult> {
    const statement = await this.client.runStatement(
      this.id,
      { code, ...(options.kind ? { kind: options.kind } : {}) },
      options,
    );
    const started = this.client.now();
    let current = statement;
    for (;;) {
      if (["available", "error", "cancelled"].includes(current.state)) break;
      if (options.timeoutMs !== undefined && this.client.now() - started >= options.timeoutMs) {
        await this.client.cancelStatement(this.id, current.id).catch(() => undefined);
        throw new LivyError(
          "TIMEOUT",
          `Livy statement ${current.id} in session ${this.id} did not finish within ${options.timeoutMs} ms; it was cancelled`,
          { sessionId: this.id, statementId: current.id },
        );
      }
      await sleepOrAbort(this.client, options.pollIntervalMs ?? 250, options.signal);
      current = await this.client.getStatement(this.id, statement.id, options);
    }
    return statementResult(this.id, current);
  }

  /** Cancels a statement. */
  cancel(statementId: number, options?: CallOptions): Promise<MessageResponse> {
    return this.client.cancelStatement(this.id, statementId, options);
  }

  /** Completion candidates. */
  complete(request: CompletionRequest, options?: CallOptions): Promise<CompletionResponse> {
    return this.client.completion(this.id, request, options);
  }

  /** Deletes the session. */
  close(options?: CallOptions): Promise<MessageResponse> {
    return this.client.deleteSession(this.id, options);
  }
}

/** Turns a finished statement into its result or the matching {@link LivyError}. */
export function statementResult(sessionId: number, statement: Statement): StatementResult {
  const output = statement.output;
  if (statement.state === "cancelled" || statement.state === "cancelling") {
    throw new LivyError(
      "STATEMENT_CANCELLED",
      `Livy statement ${statement.id} in session ${sessionId} was cancelled`,
      {
        sessionId,
        statementId: statement.id,
      },
    );
  }
  if (output?.status === "error") {
    const traceback = Array.isArray(output.traceback) ? output.traceback.map(String) : [];
    throw new LivyError(
      "STATEMENT_FAILED",
      `Livy statement ${statement.id} in session ${sessionId} failed: ${output.ename}: ${output.evalue}`,
      {
        sessionId,
        statementId: statement.id,
        ename: String(output.ename),
        evalue: String(output.evalue),
        traceback,
      },
    );
  }
  if (output?.status !== "ok" || typeof output.data !== "object" || output.data === null) {
    throw new LivyError(
      "INVALID_RESPONSE",
      `Livy statement ${statement.id} in session ${sessionId} ended in state ${statement.state} without a readable output`,
      { sessionId, statementId: statement.id },
    );
  }
  const data = output.data;
  const result: StatementResult = { statement, data };
  const text = data["text/plain"];
  if (typeof text === "string") result.text = text;
  if ("application/json" in data) result.json = data["application/json"];
  return result;
}

async function sleepOrAbort(
  client: SessionPort,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  try {
    await client.sleep(ms, signal);
  } catch (cause) {
    throw new LivyError("ABORTED", "Waiting for Livy was aborted", { cause });
  }
}
