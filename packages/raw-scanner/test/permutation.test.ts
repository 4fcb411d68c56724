import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Blackrock, RawScannerError } from "../src/index.js";

describe("Blackrock permutation", () => {
  it("is a bijection on [0, range) for any range and seed", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (range, seed) => {
          const p = new Blackrock(range, seed);
          const seen = new Uint8Array(range);
          const problems: string[] = [];
          for (let i = 0; i < range; i++) {
            const x = p.shuffle(i);
            if (!(x >= 0 && x < range) || seen[x] === 1) problems.push(`${i} -> ${x}`);
            seen[x] = 1;
            if (p.unshuffle(x) !== i) problems.push(`unshuffle(${x}) != ${i}`);
          }
          expect(problems).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("inverts on huge (bigint) ranges", () => {
    const range = (1n << 128n) * 65535n + 12345n;
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: range - 1n }),
        fc.bigInt({ min: 0n, max: 1n << 63n }),
        (i, seed) => {
          const p = new Blackrock(range, seed);
          const x = p.shuffleBig(i);
          expect(x < range && x >= 0n).toBe(true);
          expect(p.unshuffleBig(x)).toBe(i);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("inverts at the top of the number fast path (2^48 = all IPv4 × all ports)", () => {
    const p = new Blackrock(2 ** 32 * 65536, 7n);
    for (const i of [0, 1, 2 ** 47, 2 ** 48 - 1, 123456789012])
      expect(p.unshuffle(p.shuffle(i))).toBe(i);
  });

  it("depends on the seed and is reproducible with it", () => {
    const order = (seed: bigint) =>
      Array.from({ length: 50 }, (_, i) => new Blackrock(1000, seed).shuffle(i));
    expect(order(1n)).toEqual(order(1n));
    expect(order(1n)).not.toEqual(order(2n));
    // Not the identity, and neighbours land far apart.
    const o = order(42n);
    expect(o.filter((x, i) => x === i).length).toBeLessThan(5);
  });

  it("partitions the space across shards: every index exactly once", () => {
    const range = 997;
    const p = new Blackrock(range, 9n);
    const hits = new Uint8Array(range);
    const shards = 3;
    for (let s = 0; s < shards; s++)
      for (let i = s; i < range; i += shards) {
        const x = p.shuffle(i);
        hits[x] = (hits[x] ?? 0) + 1;
      }
    expect([...hits].every((h) => h === 1)).toBe(true);
  });

  it("rejects an empty range and silly round counts", () => {
    expect(() => new Blackrock(0, 1n)).toThrow(RawScannerError);
    expect(() => new Blackrock(10, 1n, 0)).toThrow(/rounds/);
  });
});
