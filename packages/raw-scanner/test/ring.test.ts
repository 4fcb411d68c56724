import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NumberRing, PairTable } from "../src/core/ring.js";

describe("NumberRing (the loop's and the raw transport's per-probe queues)", () => {
  it("behaves as an array queue across growth and wrap-around", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 1e9 }), fc.constant(-1)), { maxLength: 3000 }),
        (ops) => {
          const ring = new NumberRing(16);
          const model: number[] = [];
          let base = 0;
          for (const op of ops) {
            if (op >= 0) {
              expect(ring.push(op)).toBe(base + model.length);
              model.push(op);
            } else {
              const want = model.length > 0 ? (model.shift() as number) : Number.NaN;
              if (!Number.isNaN(want)) base++;
              expect(ring.shift()).toBe(want);
            }
            expect(ring.length).toBe(model.length);
            expect(ring.head).toBe(base);
          }
          // Absolute positions still address the same entries after all that growth.
          for (let i = 0; i < model.length; i++) expect(ring.at(base + i)).toBe(model[i]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("set() changes the entry at a position; clear() empties without moving positions back", () => {
    const ring = new NumberRing(4);
    for (let i = 0; i < 40; i++) ring.push(i * 10);
    ring.set(ring.head + 3, -1);
    expect(ring.at(3)).toBe(-1);
    expect(ring.peek()).toBe(0);
    ring.clear();
    expect(ring.length).toBe(0);
    expect(ring.head).toBe(40);
    expect(ring.push(7)).toBe(40);
    expect(ring.shift()).toBe(7);
    expect(ring.shift()).toBeNaN();
  });
});

describe("PairTable ((address, port) → number, open addressing)", () => {
  it("agrees with a Map through sets, gets and deletes (backward-shift deletion included)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom("set", "get", "delete"),
            // Few addresses and ports: long probe clusters and many deletions inside them.
            fc.integer({ min: 0, max: 40 }).map((a) => (a * 2654435761) >>> 0),
            fc.integer({ min: 0, max: 3 }),
            fc.nat(),
          ),
          { maxLength: 4000 },
        ),
        (ops) => {
          const table = new PairTable(4);
          const model = new Map<number, number>();
          for (const [op, address, port, value] of ops) {
            const key = address * 65536 + port;
            if (op === "set") {
              expect(table.set(key, value)).toBe(model.get(key) ?? -1);
              model.set(key, value);
            } else if (op === "get") {
              expect(table.get(key)).toBe(model.get(key) ?? -1);
            } else {
              expect(table.delete(key)).toBe(model.get(key) ?? -1);
              model.delete(key);
            }
            expect(table.size).toBe(model.size);
          }
          for (const [key, value] of model) expect(table.get(key)).toBe(value);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("keeps the highest address and port apart from their neighbours", () => {
    const table = new PairTable();
    const top = 0xffffffff * 65536 + 65535;
    table.set(top, 1);
    table.set(top - 1, 2);
    table.set(0, 3);
    expect([table.get(top), table.get(top - 1), table.get(0), table.get(65535)]).toEqual([
      1, 2, 3, -1,
    ]);
    table.clear();
    expect(table.size).toBe(0);
    expect(table.get(top)).toBe(-1);
  });
});
