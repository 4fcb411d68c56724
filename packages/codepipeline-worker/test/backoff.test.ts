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
  it("is reproducible with a seed", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
  });
});

describe("idle polling", () => {
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
