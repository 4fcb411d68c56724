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

/**
 * A transport with only the tagged path (its `probe` throws): answers in a random order after
 * random delays; a pair in `silentOnce` gets no answer to its first probe (filtered, then open
 * on the retry), one in `busyOnce` meets a local failure first ("retry").
 */
function taggedRecorder(
  seed: number,
  silentOnce: Set<string>,
  busyOnce: Set<string>,
  /** Report every outcome twice (a faulty transport): the loop must count it once. */
  twice = false,
) {
  let settle: Parameters<NonNullable<ScanTransport["bindOutcomes"]>>[0] | undefined;
  const waiting = new Map<number, NodeJS.Timeout>();
  const probes: string[] = [];
  let x = seed >>> 0 || 1;
  const random = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const transport: ScanTransport & { probes: string[] } = {
    layer: "raw-packet",
    probes,
    get inFlight() {
      return waiting.size;
    },
    probe() {
      throw new Error("the loop must use the tagged path");
    },
    bindOutcomes(fn) {
      settle = fn;
    },
    probeTagged(address, port, tag) {
      const pair = `${address}|${port}`;
      probes.push(pair);
      const first = probes.filter((p) => p === pair).length === 1;
      const outcome: [Parameters<NonNullable<typeof settle>>[1], string] =
        first && silentOnce.has(pair)
          ? ["filtered", "no-response"]
          : first && busyOnce.has(pair)
            ? ["retry", "ENOBUFS"]
            : port % 2 === 0
              ? ["open", "syn-ack"]
              : ["closed", "rst-ack"];
      waiting.set(
        tag,
        setTimeout(() => {
          waiting.delete(tag);
          settle?.(tag, outcome[0], outcome[1], 64);
          if (twice) settle?.(tag, "open", "syn-ack", 1);
        }, random() * 8),
      );
    },
    abortAll() {
      for (const [tag, timer] of waiting) {
        clearTimeout(timer);
        waiting.delete(tag);
        settle?.(tag, "filtered", "no-response", 0);
      }
    },
  };
  return transport;
}

describe("the tagged (allocation-free) transport path", () => {
  it("settles every pair exactly once, out of order, with retries and local failures", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 }), async (seed) => {
        // 8 addresses × 12 ports; the uint32 of 10.0.0.x is 167772160 + x.
        const pairs: string[] = [];
        for (let h = 1; h <= 8; h++)
          for (let p = 1; p <= 12; p++) pairs.push(`${167772160 + h}|${p}`);
        const silentOnce = new Set(pairs.filter((_, i) => (i * 7 + seed) % 5 === 0));
        const busyOnce = new Set(pairs.filter((_, i) => (i * 3 + seed) % 7 === 0));
        const transport = taggedRecorder(seed, silentOnce, busyOnce);
        const results = await drain(
          scan({
            targets: "10.0.0.1-10.0.0.8",
            ports: "1-12",
            seed: BigInt(seed),
            rate: 1_000_000,
            retries: 1,
            retryDelayMs: 5,
            waitMs: 2000,
            // A small window: slots are freed and reused many times over.
            concurrency: 16,
            transport,
            show: ["open", "closed", "filtered"],
          }),
        );
        expect(results).toHaveLength(96);
        const byPair = new Map(results.map((r) => [`${r.address}|${r.port}`, r]));
        expect(byPair.size).toBe(96);
        for (let h = 1; h <= 8; h++) {
          for (let p = 1; p <= 12; p++) {
            const r = byPair.get(`10.0.0.${h}|${p}`);
            expect(r?.status).toBe(p % 2 === 0 ? "open" : "closed");
            expect(r?.ttl).toBe(64);
          }
        }
        // One probe per pair, plus one more for each silent or busy one.
        const extra = new Set([...silentOnce, ...busyOnce]).size;
        expect(transport.probes).toHaveLength(96 + extra);
        expect(new Set(transport.probes).size).toBe(96);
      }),
      { numRuns: 25 },
    );
  });

  it("ignores a second outcome for the same probe (a transport that reports twice)", async () => {
    const transport = taggedRecorder(7, new Set(), new Set(), true);
    const results = await drain(
      scan({
        targets: "10.2.0.1-10.2.0.20",
        ports: "1-10",
        rate: 1_000_000,
        concurrency: 8,
        transport,
        show: ["open", "closed"],
      }),
    );
    expect(results).toHaveLength(200);
    expect(new Set(results.map((r) => `${r.address}|${r.port}`)).size).toBe(200);
    // The first outcome counts: odd ports closed, even ones open, TTL 64 (the echo says 1).
    expect(results.filter((r) => r.status === "closed")).toHaveLength(100);
    expect(results.every((r) => r.ttl === 64)).toBe(true);
  });

  it("resumes after a stop with slots reused, losing nothing", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        async (stopAfter, seed) => {
          const options = {
            targets: "10.1.0.0/26",
            ports: "1-40",
            seed: BigInt(seed),
            rate: 1_000_000,
            show: ["open" as const, "closed" as const],
          };
          const first = taggedRecorder(seed, new Set(), new Set());
          const run = scan({ ...options, transport: first });
          const seen = new Set<string>();
          let n = 0;
          for await (const r of run) {
            seen.add(`${r.address}|${r.port}`);
            if (++n === stopAfter) break;
          }
          const second = taggedRecorder(seed + 1, new Set(), new Set());
          for (const r of await drain(
            scan({ ...options, transport: second, resumeIndex: run.resumeIndex }),
          )) {
            seen.add(`${r.address}|${r.port}`);
          }
          expect(seen.size).toBe(64 * 40);
        },
      ),
      { numRuns: 15 },
    );
  });
});
