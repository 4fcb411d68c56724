import { RawScannerError } from "../errors.js";

/** Options for {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens (packets) per second. */
  rate: number;
  /**
   * Most tokens that may pile up while idle.
   *
   * @defaultValue 1/50 s worth of `rate`, at least 1
   */
  burst?: number;
  /**
   * Tokens at the start: 1 lets a scan start gently; `burst` lets a transport that paces its
   * own sending (the native backend's sender thread) start with its whole lead queued, so it
   * never waits for the loop.
   *
   * @defaultValue 1
   */
  initial?: number;
  /**
   * Monotonic milliseconds clock, injected for tests (a rate needs a clock that never jumps,
   * so not epoch time).
   *
   * @defaultValue `performance.now`
   */
  now?: () => number;
}

/**
 * A token bucket: `rate` tokens per second, at most `burst` stored. The scanner takes tokens
 * in batches and sleeps (never spins) until the next token is due, so the event loop stays free.
 */
export class TokenBucket {
  readonly rate: number;
  readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;

  constructor(options: TokenBucketOptions) {
    const { rate } = options;
    if (!(typeof rate === "number" && Number.isFinite(rate) && rate > 0)) {
      throw new RawScannerError(
        "INVALID_ARGUMENT",
        `rate must be a positive number, got ${String(rate)}`,
      );
    }
    this.rate = rate;
    this.burst = Math.max(1, options.burst ?? Math.ceil(rate / 50));
    this.now = options.now ?? (() => performance.now());
    this.last = this.now();
    const initial = options.initial ?? 1;
    if (!(Number.isFinite(initial) && initial >= 0)) {
      throw new RawScannerError("INVALID_ARGUMENT", `initial must be ≥ 0, got ${String(initial)}`);
    }
    this.tokens = Math.min(this.burst, initial);
  }

  private refill(): void {
    const t = this.now();
    const elapsed = t - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / 1000);
      this.last = t;
    }
  }

  /** Takes up to `max` whole tokens now and returns how many were taken. */
  take(max: number): number {
    this.refill();
    const n = Math.min(max, Math.floor(this.tokens));
    if (n > 0) this.tokens -= n;
    return n;
  }

  /** Milliseconds until `n` tokens are available (0 if they are). */
  delayFor(n = 1): number {
    this.refill();
    const missing = Math.min(n, this.burst) - this.tokens;
    return missing <= 0 ? 0 : (missing * 1000) / this.rate;
  }
}
