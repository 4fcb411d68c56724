import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay, seededRandom } from "../src/core/backoff.js";
import { createWorker, defineAction, registerActionType } from "../src/index.js";
import { setup } from "./helpers.js";

describe("backoffDelay", () => {
  it("stays within [base, min(max, base·2^attempt)] (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (attempt, base, extra, r) => {
          const max = base + extra;
          const d = backoffDelay(attempt, { baseMs: base, maxMs: max, random: () => r });
          expect(d).toBeGreaterThanOrEqual(base);
          expect(d).toBeLessThanOrEqual(Math.min(max, base * 2 ** attempt));
        },
      ),
    );
  });
  it("is mulberry32: the reference sequence for seed 42, uniform in [0, 1), different per seed", () => {
    // First outputs of mulberry32(42), from the published reference algorithm (Tommy Ettinger).
    expect(Array.from({ length: 4 }, seededRandom(42))).toEqual([
      0.6011037519201636, 0.44829055899754167, 0.8524657934904099, 0.6697340414393693,
    ]);
    const values = Array.from({ length: 10_000 }, seededRandom(7));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    expect(new Set(values).size).toBeGreaterThan(9_990);
    expect(Array.from({ length: 3 }, seededRandom(1))).not.toEqual(
      Array.from({ length: 3 }, seededRandom(2)),
    );
  });
  it("spreads delays with the jitter source: full jitter between base and the ceiling", () => {
    const delays = [0, 0.5, 0.999].map((r) =>
      backoffDelay(3, { baseMs: 100, maxMs: 10_000, random: () => r }),
    );
    // attempt 3: ceiling min(10 000, 100·2³) = 800; delay = 100 + 700·r
    expect(delays).toEqual([100, 450, 799]);
  });
});

describe("idle polling", { tags: ["slow"] }, () => {
  it("backs off while there is no work instead of polling at the base interval", async () => {
    const s = await setup();
    try {
      const action = defineAction({
        actionTypeId: { category: "Test", provider: "Idle", version: "1" },
        inputArtifacts: { min: 0, max: 0 },
        outputArtifacts: { min: 0, max: 0 },
        handler: () => undefined,
      });
      await registerActionType(action, { client: s.client });
      const worker = createWorker(action, {
        client: s.client,
        pollIntervalMs: 20,
        maxPollIntervalMs: 320,
        random: () => 1,
      });
      const run = worker.run();
      await new Promise((r) => setTimeout(r, 1200));
      await worker.stop();
      const stats = await run;
      // At a fixed 20 ms the worker would poll ~60 times; doubling waits 20+40+80+160+320+320… ≈ 7 polls.
      expect(stats.polls).toBeGreaterThanOrEqual(3);
      expect(stats.polls).toBeLessThanOrEqual(10);
    } finally {
      await s.close();
    }
  });
});
