// Lambda handlers for the tasks of a compiled pipeline (see pipeline/asl.ts): submit a job's
// batch, read its state. Built on LivyClient, configured by the environment, ready to deploy.
import { LivyClient, type LivyClientOptions } from "../client.js";
import { isTerminalBatchState } from "../core/states.js";
import type { CreateBatchRequest } from "../core/types.js";
import { isLivyError, LivyError } from "../errors.js";
import type { BatchTaskOutput, StatusTaskInput, SubmitTaskInput } from "../pipeline/asl.js";
import { renderBatch } from "../pipeline/define.js";

export type { BatchTaskOutput, StatusTaskInput, SubmitTaskInput } from "../pipeline/asl.js";

/** Options of {@link createSubmitHandler} and {@link createStatusHandler}. */
export interface LivyHandlerOptions {
  /** The Livy to talk to. @defaultValue a client configured from `env` (see {@link livyFromEnv}) */
  livy?: LivyClient | LivyClientOptions;
  /** Environment to configure the client from. @defaultValue process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Clock (epoch milliseconds) for job deadlines. @defaultValue Date.now */
  now?: () => number;
}

/**
 * The error a handler throws for a transient Livy failure (5xx, 429, reset, timeout): the state
 * machine's Retry names it (`LivyTransientError`), so it is retried and never a job failure.
 */
export class LivyTransientError extends Error {
  override readonly name = "LivyTransientError";
}

/**
 * A client from the environment: `LIVY_URL` (required), `LIVY_AUTHORIZATION` (sent as the
 * `Authorization` header), `LIVY_HEADERS` (a JSON object of extra headers), `LIVY_TIMEOUT_MS`.
 */
export function livyFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): LivyClient {
  const url = env.LIVY_URL;
  if (!url) {
    throw new LivyError(
      "INVALID_ARGUMENT",
      "Invalid LIVY_URL: the handler needs the Livy URL in LIVY_URL",
      {
        field: "LIVY_URL",
      },
    );
  }
  let headers: Record<string, string> = {};
  if (env.LIVY_HEADERS) {
    try {
      headers = JSON.parse(env.LIVY_HEADERS) as Record<string, string>;
    } catch (cause) {
      throw new LivyError("INVALID_ARGUMENT", "Invalid LIVY_HEADERS: expected a JSON object", {
        field: "LIVY_HEADERS",
        cause,
      });
    }
  }
  if (env.LIVY_AUTHORIZATION) headers.authorization = env.LIVY_AUTHORIZATION;
  const timeout = env.LIVY_TIMEOUT_MS === undefined ? undefined : Number(env.LIVY_TIMEOUT_MS);
  return new LivyClient({ url, headers, ...(timeout === undefined ? {} : { timeoutMs: timeout }) });
}

function clientOf(options: LivyHandlerOptions): () => LivyClient {
  let client: LivyClient | undefined;
  return () => {
    client ??=
      options.livy instanceof LivyClient
        ? options.livy
        : options.livy
          ? new LivyClient(options.livy)
          : livyFromEnv(options.env);
    return client;
  };
}

function transient(error: unknown): never {
  if (isLivyError(error) && error.retryable) {
    throw Object.assign(new LivyTransientError(error.message), { cause: error });
  }
  throw error;
}

function check(condition: boolean, field: string, message: string): void {
  if (!condition)
    throw new LivyError("INVALID_ARGUMENT", `Invalid ${field}: ${message}`, { field });
}

/**
 * The submit task: renders the job's `{{input}}` references, submits the batch named
 * `<pipeline>-<job>-<execution>-<attempt>` with `reattach` (a retried task finds the batch it
 * already started), and returns its id, state, attempt and deadline.
 */
export function createSubmitHandler(
  options: LivyHandlerOptions = {},
): (event: SubmitTaskInput) => Promise<BatchTaskOutput> {
  const livy = clientOf(options);
  const now = options.now ?? Date.now;
  return async (event) => {
    check(
      typeof event?.pipeline === "string" && typeof event.job === "string",
      "event",
      "expected pipeline and job",
    );
    check(typeof event.execution === "string", "execution", "expected the execution name");
    check(
      Number.isInteger(event.attempt) && event.attempt >= 1,
      "attempt",
      `expected a positive integer, got ${event.attempt}`,
    );
    const input: Record<string, string> = {};
    for (const [key, value] of Object.entries(event.input ?? {})) {
      if (typeof value === "string") input[key] = value;
    }
    const batch = renderBatch(event.batch, input) as unknown as CreateBatchRequest;
    const name = `${event.pipeline}-${event.job}-${event.execution}-${event.attempt}`;
    const created = await livy()
      .submitBatch({ ...batch, name }, { reattach: true })
      .catch(transient);
    return {
      batchId: created.id,
      state: created.state,
      attempt: event.attempt,
      ...(event.timeoutSeconds ? { deadline: now() + event.timeoutSeconds * 1000 } : {}),
    };
  };
}

/**
 * The status task: reads the batch's state; once a job's `deadline` passed while it still runs,
 * deletes (kills) it and answers `killed`.
 */
export function createStatusHandler(
  options: LivyHandlerOptions = {},
): (event: StatusTaskInput) => Promise<BatchTaskOutput> {
  const livy = clientOf(options);
  const now = options.now ?? Date.now;
  return async (event) => {
    check(
      Number.isInteger(event?.batchId) && event.batchId >= 0,
      "batchId",
      `expected a batch id, got ${event?.batchId}`,
    );
    const batch = await livy().getBatch(event.batchId).catch(transient);
    const out = (state: string): BatchTaskOutput => ({
      batchId: event.batchId,
      state,
      attempt: event.attempt,
      ...(event.deadline === undefined ? {} : { deadline: event.deadline }),
    });
    if (
      !isTerminalBatchState(batch.state) &&
      event.deadline !== undefined &&
      now() > event.deadline
    ) {
      await livy().deleteBatch(event.batchId).catch(transient);
      return out("killed");
    }
    return out(batch.state);
  };
}

/** The submit task configured from `process.env` (handler `index.submit`). */
export const submit = createSubmitHandler();
/** The status task configured from `process.env` (handler `index.status`). */
export const status = createStatusHandler();
