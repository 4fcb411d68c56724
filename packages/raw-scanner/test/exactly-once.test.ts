import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ScanResult, type ScanTransport, scan } from "../src/index.js";

/** Records every probe and answers "closed" at once: the scan loop with no network at all. */
function recorder(): ScanTransport & { probes: string[] } {
  let inFlight = 0;
  const probes: string[] = [];
  return {
    layer: "tcp-handle",
    probes,
    get inFlight() {
      return inFlight;
    },
    probe(address, port, _family, done) {
      probes.push(`${address}|${port}`);
      inFlight++;
      queueMicrotask(() => {
        inFlight--;
        done("closed", "rst-ack");
      });
    },
    abortAll() {},
  };
}

const drain = async (run: AsyncIterable<ScanResult>) => {
  const out: ScanResult[] = [];
  for await (const r of run) out.push(r);
  return out;
};

describe("every (address, port) pair is probed exactly once", () => {
  it("across targets, ports, seeds and shards", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 4 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.boolean(),
        async (hosts, ports, shards, seed, withV6) => {
          const targets = [`127.9.0.1-127.9.0.${hosts}`, ...(withV6 ? ["::1"] : [])];
          const seen: string[] = [];
          for (let i = 1; i <= shards; i++) {
            const transport = recorder();
            const results = await drain(
              scan({
                targets,
                ports,
                seed,
                shard: `${i}/${shards}`,
                rate: 1_000_000,
                transport,
                show: ["closed"],
              }),
            );
            expect(results.length).toBe(transport.probes.length);
            seen.push(...transport.probes);
          }
          const expected = (hosts + (withV6 ? 1 : 0)) * ports.length;
          expect(seen.length).toBe(expected);
          expect(new Set(seen).size).toBe(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("across a pause and a resume, losing nothing", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 150 }),
        fc.bigInt({ min: 0n, max: 1n << 63n }),
        async (stopAfter, seed) => {
          const options = {
            targets: "127.9.1.0/28",
            ports: "1-20",
            seed,
            rate: 1_000_000,
            show: ["closed" as const],
          };
          const first = recorder();
          const run = scan({ ...options, transport: first });
          let n = 0;
          for await (const _ of run) if (++n === stopAfter) break;
          const second = recorder();
          await drain(scan({ ...options, transport: second, resumeIndex: run.resumeIndex }));
          const all = new Set([...first.probes, ...second.probes]);
          expect(all.size).toBe(16 * 20);
        },
      ),
      { numRuns: 30 },
    );
  });
});
