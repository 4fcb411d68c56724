/**
 * The Rust addon against the TypeScript core: shared test vectors (test/fixtures/
 * native-vectors.json, golden) for the SYN cookies and the permutation, random agreement, the
 * loader's checks and the backend choice. Needs the addon built (pnpm build does it when cargo
 * is present); skipped with the reason otherwise, a failure in CI.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BACKEND_ENV,
  Blackrock,
  checkAddon,
  chooseBackend,
  loadNative,
  NATIVE_ABI_VERSION,
  type NativeAddon,
  nativeCandidates,
  platformTriple,
  RawScannerError,
  RawTransport,
  SynCookies,
} from "../src/index.js";

interface Vectors {
  cookies: Array<{
    secret: string;
    first: number;
    last: number;
    src: number;
    dst: number;
    dport: number;
    srcPort: number;
    seq: number;
  }>;
  permutations: Array<{
    range: number;
    seed: string;
    rounds: number;
    start: number;
    values: number[];
  }>;
}
const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, "fixtures", "native-vectors.json"), "utf8"),
) as Vectors;

const loaded = loadNative();
const noAddon: false | string = loaded.addon
  ? false
  : process.env.CI === "true"
    ? (() => {
        throw new Error(
          `the native addon must be built in CI (pnpm build does it): ${loaded.reason}`,
        );
      })()
    : `native addon not built: ${loaded.reason}`;
const addon = loaded.addon as NativeAddon;

const shuffleNative = (
  range: number,
  seed: bigint,
  rounds: number,
  start: number,
  count: number,
) => {
  const buf = addon.blackrockShuffle(range, seed, rounds, start, count);
  return Array.from({ length: count }, (_, i) => buf.readDoubleLE(i * 8));
};

describe("shared test vectors", () => {
  it("the TypeScript cookies (pure JS and WebAssembly) give the golden values", () => {
    expect(vectors.cookies.length).toBe(12);
    for (const v of vectors.cookies) {
      for (const wasm of [false, true]) {
        const c = new SynCookies({
          secret: Buffer.from(v.secret, "hex"),
          sourcePorts: { first: v.first, last: v.last },
          wasm,
        });
        expect({ ...c.probe(v.src, v.dst, v.dport) }).toEqual({ srcPort: v.srcPort, seq: v.seq });
      }
    }
  });

  it("the TypeScript permutation gives the golden values", () => {
    expect(vectors.permutations.length).toBe(6);
    for (const p of vectors.permutations) {
      const b = new Blackrock(p.range, BigInt(p.seed), p.rounds);
      expect(p.values.map((_, i) => b.shuffle(p.start + i))).toEqual(p.values);
    }
  });

  it.skipIf(noAddon)("the Rust cookies give the same golden values", () => {
    for (const v of vectors.cookies) {
      const secret = Buffer.from(v.secret, "hex");
      expect(addon.synCookie(secret, v.first, v.last, v.src, v.dst, v.dport)).toEqual([
        v.srcPort,
        v.seq,
      ]);
    }
  });

  it.skipIf(noAddon)("the Rust permutation gives the same golden values", () => {
    for (const p of vectors.permutations) {
      expect(shuffleNative(p.range, BigInt(p.seed), p.rounds, p.start, p.values.length)).toEqual(
        p.values,
      );
    }
  });

  it.skipIf(noAddon)("Rust and TypeScript agree on random secrets, ranges and tuples", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 1, max: 65535 }),
        fc.nat(0xffffffff),
        fc.nat(0xffffffff),
        fc.integer({ min: 0, max: 65535 }),
        (secret, bits, start, src, dst, dport) => {
          const size = 2 ** bits;
          const first = Math.min(start, 65536 - size);
          const last = first + size - 1;
          const ts = new SynCookies({ secret, sourcePorts: { first, last } }).probe(
            src,
            dst,
            dport,
          );
          expect(addon.synCookie(secret, first, last, src, dst, dport)).toEqual([
            ts.srcPort,
            ts.seq,
          ]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it.skipIf(noAddon)(
    "Rust and TypeScript agree on the permutation of random ranges and seeds",
    () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 2 ** 52 }),
          fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
          fc.integer({ min: 1, max: 14 }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          (range, seed, rounds, at) => {
            const start = Math.min(range - 1, Math.floor(at * range));
            const count = Math.min(4, range - start);
            const b = new Blackrock(range, seed, rounds);
            const ts = Array.from({ length: count }, (_, i) => b.shuffle(start + i));
            expect(shuffleNative(range, seed, rounds, start, count)).toEqual(ts);
          },
        ),
        { numRuns: 300 },
      );
    },
  );

  it("just under 2^53 the TypeScript permutation takes the bigint path and stays a permutation", () => {
    // 2^53 − 1 = 94,906,265 × 94,906,267 − …: the Feistel square overshoots 2^53.
    const b = new Blackrock(2 ** 53 - 1, 5n);
    for (const x of [0, 1, 2 ** 52, 2 ** 53 - 2]) {
      const y = b.shuffle(x);
      expect(y).toBeLessThan(2 ** 53 - 1);
      expect(b.unshuffle(y)).toBe(x);
    }
  });

  it.skipIf(noAddon)("the addon refuses ranges beyond the number path instead of diverging", () => {
    expect(() => addon.blackrockShuffle(2 ** 53 - 1, 5n, 4, 0, 1)).toThrow(
      /Feistel square exceeds 2\^53/,
    );
  });

  it.skipIf(noAddon)("every index of a small range maps to a distinct position in Rust", () => {
    const all = shuffleNative(1000, 99n, 4, 0, 1000);
    expect(new Set(all).size).toBe(1000);
    expect(Math.max(...all)).toBe(999);
  });
});

describe("the addon's own checks", () => {
  it.skipIf(noAddon)("rejects bad arguments with a typed error, never crashes", () => {
    const bad = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as Error & { code?: string };
      }
      throw new Error("expected a throw");
    };
    const short = bad(() => addon.synCookie(Buffer.alloc(3), 40000, 41023, 1, 2, 3));
    expect(short.message).toBe("secret: expected 16 bytes");
    expect(short.code).toBe("ERR_RAW_SCANNER_NATIVE");
    expect(bad(() => addon.synCookie(Buffer.alloc(16), 40000, 41000, 1, 2, 3)).message).toMatch(
      /power-of-two count/,
    );
    expect(bad(() => addon.synCookie(Buffer.alloc(16), 1, 1, 1, 2, 70000)).message).toMatch(
      /dport: expected an integer 0–65535/,
    );
    expect(bad(() => addon.blackrockShuffle(10, 1 as unknown as bigint, 4, 0, 1)).message).toMatch(
      /seed: expected a bigint/,
    );
    expect(bad(() => addon.blackrockShuffle(10, 1n, 4, 5, 6)).message).toMatch(/beyond the range/);
    expect(bad(() => addon.poll({} as never)).message).toMatch(
      /expected the value open\(\) returned/,
    );
    // The rate is checked before any socket opens: these fail the same with or without root.
    const secret = Buffer.alloc(16);
    expect(bad(() => addon.open(secret, 40000, 41023, 1 << 20, -1)).message).toBe(
      "rate: expected a number ≥ 0, got -1",
    );
    expect(bad(() => addon.open(secret, 40000, 41023, 1 << 20, Number.NaN)).message).toBe(
      "rate: expected a number ≥ 0, got NaN",
    );
    expect(
      bad(() => (addon.open as (...a: unknown[]) => unknown)(secret, 40000, 41023, 1 << 20))
        .message,
    ).toBe("rate: missing");
  });
});

describe("RawTransport (a stand-in addon records what it is handed)", () => {
  function standIn() {
    // `wire`: what the stand-in's sender thread has put on the wire (its stats().sent).
    const calls = { open: [] as unknown[][], sent: [] as Buffer[], wire: 0 };
    const fakeAddon = {
      open: (...args: unknown[]) => {
        calls.open.push(args);
        return {};
      },
      send: (_h: unknown, probes: Uint8Array) => {
        calls.sent.push(Buffer.from(probes));
      },
      poll: () => undefined,
      stats: () => ({ sent: calls.wire, sendErrors: 0 }),
      close: () => ({ sent: calls.wire, sendErrors: 0 }),
    } as unknown as NativeAddon;
    return { calls, fakeAddon };
  }
  const base = {
    secret: new Uint8Array(16),
    sourcePorts: { first: 40000, last: 41023 },
    timeoutMs: 1000,
    backlog: 0,
  };

  it("passes the rate to the sender thread, writes IPv4 probes big-endian, counts paced probes as queued", async () => {
    const { calls, fakeAddon } = standIn();
    const t = new RawTransport({ ...base, addon: fakeAddon, rate: 1000 });
    expect(calls.open[0]?.[4]).toBe(1000);
    expect(t.leadMs).toBe(250);
    const done = () => {};
    for (let i = 0; i < 100; i++) t.probeV4(0x0a4e0000 + i, 80, done);
    t.probe("10.78.1.2", 443, 4, done);
    expect(t.inFlight).toBe(101);
    // Queued: handed over minus what the sender thread counted.
    expect(t.queued).toBe(101);
    await new Promise((r) => setImmediate(r));
    expect(calls.sent).toHaveLength(1);
    expect(t.queued).toBe(101);
    calls.wire = 40;
    expect(t.queued).toBe(61);
    const batch = calls.sent[0] as Buffer;
    expect(batch.length).toBe(101 * 8);
    expect(batch.subarray(0, 6)).toEqual(Buffer.from([10, 78, 0, 0, 0, 80]));
    expect(batch.subarray(99 * 8, 99 * 8 + 6)).toEqual(Buffer.from([10, 78, 0, 99, 0, 80]));
    expect(batch.subarray(100 * 8, 100 * 8 + 6)).toEqual(Buffer.from([10, 78, 1, 2, 1, 187]));
    t.abortAll();
    await t.close();
  });

  it("paced: a probe the sender thread has not sent yet never times out; a sent one does, after timeoutMs", async () => {
    const { calls, fakeAddon } = standIn();
    const t = new RawTransport({ ...base, timeoutMs: 30, addon: fakeAddon, rate: 1_000_000 });
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) {
      t.probeV4(0x0a4e0000 + i, 80, (status, reason) => outcomes.push(`${i} ${status} ${reason}`));
    }
    // 10 SYNs at 1,000,000/s were due within 10 µs; the (slow) thread has sent 4 of them.
    calls.wire = 4;
    await new Promise((r) => setTimeout(r, 150));
    expect(outcomes).toEqual([0, 1, 2, 3].map((i) => `${i} filtered no-response`));
    expect(t.inFlight).toBe(6);
    expect(t.queued).toBe(6);
    calls.wire = 10;
    await new Promise((r) => setTimeout(r, 10));
    // Seen sent just now: their 30 ms start now.
    expect(t.inFlight).toBe(6);
    await new Promise((r) => setTimeout(r, 150));
    expect(outcomes).toHaveLength(10);
    expect(t.inFlight).toBe(0);
    await t.close();
  });

  it("tagged path: replies settle by tag, once; duplicates, strangers and a superseded probe are handled", async () => {
    const { calls, fakeAddon } = standIn();
    // Result records as the addon's receiver thread writes them: address, port, status, ttl, errno.
    const pending: Buffer[] = [];
    const record = (addr: number, port: number, status: number, ttl: number, errno = 0) => {
      const b = Buffer.alloc(12);
      b.writeUInt32BE(addr, 0);
      b.writeUInt16BE(port, 4);
      b[6] = status;
      b[7] = ttl;
      b.writeUInt32BE(errno, 8);
      pending.push(b);
    };
    (fakeAddon as unknown as { poll: () => Buffer | undefined }).poll = () =>
      pending.length ? Buffer.concat(pending.splice(0)) : undefined;
    const t = new RawTransport({ ...base, timeoutMs: 60, addon: fakeAddon });
    expect(() => t.probeTagged(0x0a4e0001, 80, 0)).toThrow(/before bindOutcomes/);
    const outcomes: string[] = [];
    t.bindOutcomes((tag, status, reason, ttl) =>
      outcomes.push(`${tag} ${status} ${reason} ${ttl}`),
    );
    expect(() => t.probeTagged(0x0a4e0001, 80, -3)).toThrow(/tag must be ≥ 0/);
    t.probeTagged(0x0a4e0001, 80, 7);
    t.probeTagged(0x0a4e0002, 80, 8);
    t.probeTagged(0x0a4e0003, 443, 9);
    t.probeTagged(0x0a4e0004, 22, 10);
    // The same pair again while its first probe waits: the first ends as unanswered.
    t.probeTagged(0x0a4e0004, 22, 11);
    expect(outcomes).toEqual(["10 filtered no-response 0"]);
    expect(t.inFlight).toBe(4);
    await new Promise((r) => setImmediate(r));
    expect((calls.sent[0] as Buffer).length).toBe(5 * 8);
    record(0x0a4e0002, 80, 1, 61);
    record(0x0a4e0002, 80, 1, 61); // a retransmitted SYN-ACK
    record(0x0a4e0001, 80, 2, 62);
    record(0x0a4e0009, 80, 1, 64); // nothing asked for it
    record(0x0a4e0004, 22, 3, 0, 101); // the sender thread could not send it
    await new Promise((r) => setTimeout(r, 20));
    expect(outcomes.slice(1)).toEqual([
      "8 open syn-ack 61",
      "7 closed rst-ack 62",
      "11 retry ENETUNREACH 0",
    ]);
    expect(t.inFlight).toBe(1);
    await new Promise((r) => setTimeout(r, 120));
    expect(outcomes.slice(4)).toEqual(["9 filtered no-response 0"]);
    expect(t.inFlight).toBe(0);
    // abortAll settles what still waits, through the same function.
    t.probeTagged(0x0a4e0005, 80, 12);
    t.probeTagged(0x0a4e0006, 80, 13);
    t.abortAll();
    expect(outcomes.slice(5)).toEqual(["12 filtered no-response 0", "13 filtered no-response 0"]);
    await t.close();
    t.probeTagged(0x0a4e0007, 80, 14);
    expect(outcomes.at(-1)).toBe("14 filtered closed 0");
  });

  it("unpaced (no rate): rate 0 to the addon, no lead, queued is only what waits for the flush", async () => {
    const { calls, fakeAddon } = standIn();
    const t = new RawTransport({ ...base, addon: fakeAddon });
    expect(calls.open[0]?.[4]).toBe(0);
    expect(t.leadMs).toBe(0);
    t.probeV4(0x0a4e0001, 80, () => {});
    expect(t.queued).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(t.queued).toBe(0);
    const outcomes: string[] = [];
    t.probe("::1", 80, 6, (status, reason) => outcomes.push(`${status} ${reason}`));
    expect(outcomes).toEqual(["filtered ipv6-unsupported"]);
    t.abortAll();
    await t.close();
  });
});

describe("loader", () => {
  const fake = (overrides: Record<string, unknown> = {}) => ({
    ABI_VERSION: NATIVE_ABI_VERSION,
    capabilityProblem: () => null,
    synCookie: () => [0, 0],
    blackrockShuffle: () => Buffer.alloc(0),
    open: () => ({}),
    send: () => undefined,
    poll: () => undefined,
    stats: () => ({}),
    close: () => ({}),
    ...overrides,
  });

  it("accepts only a module with every export and the same ABI version", () => {
    expect(checkAddon(fake())).toBeUndefined();
    expect(checkAddon(undefined)).toBe("it exports no object");
    expect(checkAddon({ version: () => "1" })).toBe(
      "it lacks the functions capabilityProblem, synCookie, blackrockShuffle, open, send, poll, stats, close",
    );
    expect(checkAddon(fake({ poll: 1 }))).toBe("it lacks the functions poll");
    expect(checkAddon(fake({ ABI_VERSION: 1 }))).toMatch(
      /^its ABI_VERSION is 1, this package needs 2 \(rebuild it/,
    );
    expect(checkAddon(fake({ ABI_VERSION: undefined }))).toMatch(/^its ABI_VERSION is undefined/);
  });

  it("names napi-rs's platform triples", () => {
    expect(platformTriple("linux", "x64", true)).toBe("linux-x64-gnu");
    expect(platformTriple("linux", "arm64", false)).toBe("linux-arm64-musl");
    expect(platformTriple("darwin", "arm64", true)).toBe("darwin-arm64");
  });

  it("looks only at RAW_SCANNER_NATIVE_PATH when it is set", () => {
    expect(nativeCandidates({ RAW_SCANNER_NATIVE_PATH: "/x/y.node" })).toEqual([
      { path: "/x/y.node", from: "RAW_SCANNER_NATIVE_PATH" },
    ]);
  });

  it.skipIf(noAddon)("finds the local build next to the sources", () => {
    const found = nativeCandidates({});
    expect(found[0]?.from).toBe("local build");
    expect(found[0]?.path).toMatch(/native\/raw-scanner\.linux-[a-z0-9]+-(gnu|musl)\.node$/);
    expect(loaded.path).toBe(found[0]?.path);
  });

  it("says why a module is refused: missing file, wrong module, wrong ABI", () => {
    const dir = mkdtempSync(join(tmpdir(), "raw-scan-loader-"));
    try {
      const wrongAbi = join(dir, "abi.cjs");
      writeFileSync(
        wrongAbi,
        `module.exports = ${JSON.stringify({ ABI_VERSION: 99 })}; for (const f of ["capabilityProblem","synCookie","blackrockShuffle","open","send","poll","stats","close"]) module.exports[f] = () => {};`,
      );
      expect(loadNative({ RAW_SCANNER_NATIVE_PATH: wrongAbi }).reason).toMatch(
        /abi\.cjs \(RAW_SCANNER_NATIVE_PATH\) is not the raw-scanner addon: its ABI_VERSION is 99/,
      );
      expect(loadNative({ RAW_SCANNER_NATIVE_PATH: join(dir, "none.node") }).reason).toMatch(
        /none\.node \(RAW_SCANNER_NATIVE_PATH\) does not load: Cannot find module/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("backend choice", () => {
  const base = { hasV6: false, customTransport: false };

  it("RAW_SCANNER_BACKEND=js forces the connect backend whatever the option says", () => {
    const b = chooseBackend("native", { ...base, env: { [BACKEND_ENV]: "js" } });
    expect(b).toEqual({ name: "js", reason: "RAW_SCANNER_BACKEND=js: TCP connect scan" });
  });

  it("refuses an unknown RAW_SCANNER_BACKEND value", () => {
    expect(() => chooseBackend("auto", { ...base, env: { [BACKEND_ENV]: "rust" } })).toThrow(
      /RAW_SCANNER_BACKEND must be native or js, got "rust"/,
    );
  });

  it("a custom transport, connect options and IPv6 targets keep auto on connect, each with its reason", () => {
    expect(chooseBackend("auto", { ...base, customTransport: true, env: {} }).reason).toBe(
      "custom transport given",
    );
    expect(chooseBackend("auto", { ...base, connectOptions: true, env: {} }).reason).toMatch(
      /connectLayer or workers given/,
    );
    const v6 = chooseBackend("auto", { ...base, hasV6: true, env: {} });
    expect(v6.name).toBe("js");
    expect(v6.reason).toBe(
      "auto: connect backend, native unavailable (IPv6 targets: the native backend sends IPv4 only)",
    );
  });

  it("native that cannot run throws NATIVE_UNAVAILABLE with the reason", () => {
    let error: unknown;
    try {
      chooseBackend("auto", {
        ...base,
        env: { [BACKEND_ENV]: "native", RAW_SCANNER_NATIVE_PATH: "/nonexistent/addon.node" },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RawScannerError);
    expect((error as RawScannerError).code).toBe("NATIVE_UNAVAILABLE");
    expect((error as RawScannerError).message).toMatch(
      /backend 'native' is not available \(RAW_SCANNER_BACKEND=native\): \/nonexistent\/addon\.node/,
    );
  });

  it.skipIf(noAddon)("auto takes native exactly when the addon says raw sockets open here", () => {
    const b = chooseBackend("auto", { ...base, env: {} });
    const problem = addon.capabilityProblem();
    expect(b.name).toBe(problem === null ? "native" : "js");
    if (problem !== null) expect(b.reason).toContain(problem);
    expect(b.reason.length).toBeGreaterThan(10);
  });
});

describe("the crate's own unit tests (pacer schedule, packet checksums, SipHash, permutation)", () => {
  const cargo = spawnSync("cargo", ["--version"], { encoding: "utf8" });
  const noCargo: false | string =
    !cargo.error && cargo.status === 0
      ? false
      : process.env.CI === "true"
        ? (() => {
            throw new Error("cargo must be installed in CI (.ci/apt-packages)");
          })()
        : "cargo not found on PATH";
  it.skipIf(noCargo)(
    `cargo test passes${noCargo ? ` (skipped: ${noCargo})` : ""}`,
    { tags: ["slow"], timeout: 300_000 },
    () => {
      const r = spawnSync("cargo", ["test", "--release", "--offline", "--quiet"], {
        cwd: join(import.meta.dirname, "..", "native"),
        encoding: "utf8",
      });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      // Every test of the crate ran (a filter or a cfg must not hide some).
      expect(r.stdout).toMatch(/test result: ok\. 7 passed; 0 failed/);
    },
  );
});
