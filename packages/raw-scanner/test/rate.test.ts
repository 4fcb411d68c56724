import { describe, expect, it } from "vitest";
import { RawScannerError, TokenBucket } from "../src/index.js";

/** Drives a bucket the way the scanner does (take a batch, else sleep until due) on a fake clock. */
function simulate(rate: number, seconds: number, batch: number, timerGranularityMs = 1) {
  let now = 0;
  const bucket = new TokenBucket({ rate, now: () => now });
  let sent = 0;
  let sleeps = 0;
  while (now < seconds * 1000) {
    const n = bucket.take(batch);
    if (n > 0) {
      sent += n;
      now += 0.01; // sending a batch takes a little time
      continue;
    }
    sleeps++;
    // setTimeout never fires early, and has a granularity: model both.
    now += Math.max(timerGranularityMs, Math.ceil(bucket.delayFor(1)));
  }
  return { sent, sleeps };
}

describe("TokenBucket", () => {
  it.each([
    [100, 256],
    [1000, 256],
    [20000, 256],
    [250000, 256],
  ])("sends %d/s within 5%% over 10 s (batches of %d)", (rate, batch) => {
    const { sent } = simulate(rate, 10, batch);
    expect(Math.abs(sent - rate * 10) / (rate * 10)).toBeLessThan(0.05);
  });

  it("sleeps between tokens instead of spinning", () => {
    const { sleeps, sent } = simulate(100, 10, 256);
    // At 100/s a token is due every 10 ms: about one sleep per token, not thousands.
    expect(sleeps).toBeLessThan(sent * 2);
    expect(sleeps).toBeGreaterThan(sent / 2);
  });

  it("caps what piles up while idle at the burst size", () => {
    let now = 0;
    const bucket = new TokenBucket({ rate: 1000, burst: 50, now: () => now });
    now = 60_000;
    expect(bucket.take(10_000)).toBe(50);
    expect(bucket.take(1)).toBe(0);
    expect(bucket.delayFor(1)).toBeCloseTo(1, 5);
    now += 5;
    expect(bucket.take(100)).toBe(5);
  });

  it("starts with one token, or with `initial` (capped at the burst) for a self-pacing transport", () => {
    let now = 0;
    expect(new TokenBucket({ rate: 100_000, burst: 25_000, now: () => now }).take(1e6)).toBe(1);
    const lead = new TokenBucket({ rate: 100_000, burst: 25_000, initial: 25_000, now: () => now });
    expect(lead.take(1e6)).toBe(25_000);
    now += 10;
    // Then at the rate: 100 per millisecond.
    expect(lead.take(1e6)).toBe(1000);
    const capped = new TokenBucket({ rate: 1000, burst: 50, initial: 5000, now: () => now });
    expect(capped.take(1e6)).toBe(50);
    for (const initial of [-1, Number.NaN]) {
      expect(() => new TokenBucket({ rate: 1000, initial })).toThrow(RawScannerError);
    }
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])("rejects rate %s", (rate) => {
    expect(() => new TokenBucket({ rate })).toThrow(RawScannerError);
  });
});
