/** How idempotent requests (GET, DELETE) are retried. POST is never retried blindly. */
export interface RetryOptions {
  /** Retries after the first attempt. @defaultValue 4 */
  retries?: number;
  /** Delay before the first retry, doubled for each further one. @defaultValue 250 */
  baseDelayMs?: number;
  /** Upper bound of one backoff delay. @defaultValue 8000 */
  maxDelayMs?: number;
  /** Longest `Retry-After` the client will honour; longer ones fail fast. @defaultValue 60000 */
  maxRetryAfterMs?: number;
}

/** {@link RetryOptions} with every default applied. */
export type ResolvedRetryOptions = Required<RetryOptions>;

/** Applies the defaults of {@link RetryOptions}; `false` turns retries off. */
export function resolveRetry(options: RetryOptions | false | undefined): ResolvedRetryOptions {
  const base = { retries: 4, baseDelayMs: 250, maxDelayMs: 8000, maxRetryAfterMs: 60_000 };
  if (options === false) return { ...base, retries: 0 };
  return { ...base, ...stripUndefined(options ?? {}) };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Exponential backoff with "equal jitter": half the exponential step is fixed, half random, so
 * retries from many clients spread out but never collapse to zero. `attempt` starts at 1.
 */
export function backoffDelay(
  attempt: number,
  options: ResolvedRetryOptions,
  random: () => number,
): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * Parses a `Retry-After` header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). Returns the
 * delay in milliseconds, or `undefined` when absent or unparseable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
