import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectPool } from "../src/adapters/connect-pool.js";
import {
  loadNative,
  type PortStatus,
  RawScannerError,
  type ScanProgressEvent,
  type ScanResult,
  type ScanTransport,
  SynCookies,
  scan,
  validateScanOptions,
} from "../src/index.js";
import {
  blackholePort,
  close,
  listen,
  ownLoopback,
  portOf,
  portsWithGroundTruth,
} from "./helpers/loopback.js";
import { missingTool } from "./helpers/tools.js";

/** nmap missing: skipped here with the reason, a failure in CI (.ci/apt-packages installs it). */
const noNmap = missingTool("nmap", ["--version"]);

const collect = async (run: AsyncIterable<ScanResult>) => {
  const out: ScanResult[] = [];
  for await (const r of run) out.push(r);
  return out;
};

const errorOf = async (fn: () => unknown) => {
  try {
    const r = fn();
    if (r && typeof (r as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function")
      await collect(r as AsyncIterable<ScanResult>);
  } catch (e) {
    if (e instanceof RawScannerError) return e;
    throw e;
  }
  throw new Error("expected a RawScannerError");
};

describe("scan on loopback: the open set equals the ground truth", () => {
  const hosts = [ownLoopback(), ownLoopback()];
  let truth: Array<Awaited<ReturnType<typeof portsWithGroundTruth>>>;
  beforeAll(async () => {
    truth = [
      await portsWithGroundTruth(hosts[0] as string, 60, 40),
      await portsWithGroundTruth(hosts[1] as string, 25, 15),
    ];
  });
  afterAll(async () => {
    await Promise.all(truth.map((t) => t.stop()));
  });

  it("finds exactly the listening (address, port) pairs, each probed once", async () => {
    const ports = [...new Set(truth.flatMap((t) => [...t.open, ...t.closed]))].sort(
      (a, b) => a - b,
    );
    const progress: ScanProgressEvent[] = [];
    const run = scan({
      targets: hosts,
      ports,
      rate: 50_000,
      seed: 12345n,
      show: ["open", "closed", "filtered"],
      onProgress: (p) => progress.push(p),
    });
    expect(run.size).toBe(BigInt(hosts.length * ports.length));
    const results = await collect(run);
    const key = (a: string, p: number) => `${a}:${p}`;
    expect(new Set(results.map((r) => key(r.address, r.port))).size).toBe(results.length);
    expect(results.length).toBe(hosts.length * ports.length);
    const openFound = results.filter((r) => r.status === "open").map((r) => key(r.address, r.port));
    const expected = truth.flatMap((t, i) => t.open.map((p) => key(hosts[i] as string, p)));
    expect(openFound.sort()).toEqual(expected.sort());
    for (const r of results) {
      expect(r.reason).toBe(r.status === "open" ? "syn-ack" : "rst-ack");
      expect(r.protocol).toBe("tcp");
      expect(r.time).toBeInstanceOf(Date);
    }
    const last = progress.at(-1) as ScanProgressEvent;
    expect(last).toMatchObject({
      phase: "done",
      sent: results.length,
      done: results.length,
      found: expected.length,
      etaMs: 0,
    });
    expect(last.resumeIndex).toBe(run.size);
    // `auto` takes the raw-packet backend where it can run (root, addon built), else connect.
    const native = loadNative().addon?.capabilityProblem() === null;
    expect(run.backend.name).toBe(native ? "native" : "js");
  });

  it.skipIf(noNmap)("agrees with nmap -sT on the same ports", { tags: ["peer"] }, async () => {
    const host = hosts[0] as string;
    const t = truth[0] as Awaited<ReturnType<typeof portsWithGroundTruth>>;
    const ports = [...t.open, ...t.closed].sort((a, b) => a - b);
    const { stdout } = await promisify(execFile)("nmap", [
      "-sT",
      "-Pn",
      "-n",
      "-T5",
      "-oG",
      "-",
      "-p",
      ports.join(","),
      host,
    ]);
    const nmapOpen = [...stdout.matchAll(/(\d+)\/open\/tcp/g)]
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const ours = (await collect(scan({ targets: host, ports, rate: 50_000 })))
      .map((r) => r.port)
      .sort((a, b) => a - b);
    expect(ours).toEqual(nmapOpen);
    expect(ours).toEqual([...t.open].sort((a, b) => a - b));
  });

  it("gives the same order for the same seed, and a different one for another", async () => {
    const host = hosts[1] as string;
    const ports = (truth[1] as Awaited<ReturnType<typeof portsWithGroundTruth>>).open;
    const order = async (seed: bigint) =>
      (await collect(scan({ targets: host, ports, seed, rate: 200, concurrency: 1 }))).map(
        (r) => r.port,
      );
    const a = await order(1n);
    expect(await order(1n)).toEqual(a);
    expect(await order(2n)).not.toEqual(a);
  });

  it("splits the work across shards without overlap", async () => {
    const host = hosts[0] as string;
    const t = truth[0] as Awaited<ReturnType<typeof portsWithGroundTruth>>;
    const ports = [...t.open, ...t.closed];
    const seen: string[] = [];
    for (const index of [1, 2, 3]) {
      for (const r of await collect(
        scan({
          targets: host,
          ports,
          seed: 5n,
          shard: `${index}/3`,
          rate: 50_000,
          show: ["open", "closed"],
        }),
      )) {
        seen.push(`${r.port}`);
      }
    }
    expect(seen.length).toBe(ports.length);
    expect(new Set(seen).size).toBe(ports.length);
  });

  it("pauses and resumes from the saved index without losing a probe", async () => {
    const host = hosts[0] as string;
    const t = truth[0] as Awaited<ReturnType<typeof portsWithGroundTruth>>;
    const ports = [...t.open, ...t.closed];
    const controller = new AbortController();
    const first = scan({
      targets: host,
      ports,
      seed: 77n,
      rate: 400,
      show: ["open", "closed"],
      signal: controller.signal,
    });
    const got: ScanResult[] = [];
    let error: unknown;
    try {
      for await (const r of first) {
        got.push(r);
        if (got.length === 30) controller.abort();
      }
    } catch (e) {
      error = e;
    }
    expect((error as RawScannerError).code).toBe("ABORTED");
    const resumeIndex = first.resumeIndex;
    expect(resumeIndex).toBeGreaterThan(0n);
    expect(resumeIndex).toBeLessThan(first.size);
    const rest = await collect(
      scan({
        targets: host,
        ports,
        seed: 77n,
        rate: 50_000,
        show: ["open", "closed"],
        resumeIndex,
      }),
    );
    const all = new Set([...got, ...rest].map((r) => r.port));
    expect(all.size).toBe(ports.length);
    // Only probes in flight at the pause are probed twice.
    expect(got.length + rest.length - ports.length).toBeLessThanOrEqual(16);
  });
});

describe("scan: unanswered probes, retries and the wait", () => {
  let hole: Awaited<ReturnType<typeof blackholePort>>;
  const host = ownLoopback();
  beforeAll(async () => {
    hole = await blackholePort(host);
  }, 30_000);
  afterAll(async () => {
    await hole.stop();
  });

  it("reports a port that never answers as filtered, after the retries", async () => {
    const progress: ScanProgressEvent[] = [];
    const results = await collect(
      scan({
        targets: host,
        ports: [hole.port],
        rate: 100,
        retries: 2,
        retryDelayMs: 50,
        connectTimeoutMs: 150,
        show: ["open", "closed", "filtered"],
        onProgress: (p) => progress.push(p),
      }),
    );
    expect(results.map((r) => [r.status, r.reason])).toEqual([["filtered", "no-response"]]);
    expect(progress.at(-1)?.sent).toBe(3);
  }, 30_000);

  it("reports filtered through worker threads too", async () => {
    const results = await collect(
      scan({
        targets: host,
        ports: [hole.port],
        rate: 100,
        connectTimeoutMs: 200,
        workers: 1,
        show: ["filtered"],
      }),
    );
    expect(results.map((r) => [r.status, r.reason])).toEqual([["filtered", "no-response"]]);
  }, 30_000);

  it("starts the wait only once a worker has sent every probe it queued", async () => {
    // One connect open at a time in one worker: when the silent port goes first, the closed one
    // waits in the worker's queue until that times out (400 ms). A 0.2 s wait must not cut it
    // off unsent and call it filtered.
    const t = await portsWithGroundTruth(host, 0, 1);
    try {
      const closed = t.closed[0] as number;
      for (const seed of [1n, 2n, 3n, 4n]) {
        const results = await collect(
          scan({
            targets: host,
            ports: [hole.port, closed],
            seed,
            rate: 100_000,
            connectTimeoutMs: 400,
            concurrency: 1,
            workers: 1,
            waitMs: 200,
            show: ["open", "closed", "filtered"],
          }),
        );
        expect(results.map((r) => [r.port, r.status]).sort()).toEqual(
          [
            [hole.port, "filtered"],
            [closed, "closed"],
          ].sort(),
        );
      }
    } finally {
      await t.stop();
    }
  }, 30_000);

  it("stops waiting for late replies after `wait` seconds", async () => {
    const t0 = performance.now();
    const results = await collect(
      scan({
        targets: host,
        ports: [hole.port],
        rate: 100,
        connectTimeoutMs: 20_000,
        waitMs: 300,
        show: ["filtered"],
      }),
    );
    const elapsed = performance.now() - t0;
    expect(results.map((r) => r.status)).toEqual(["filtered"]);
    expect(elapsed).toBeLessThan(5000);
  }, 30_000);
});

describe("scan: rate", () => {
  it("keeps to the rate on a real clock and leaves the event loop free", {
    tags: ["slow"],
    timeout: 30_000,
  }, async () => {
    const host = ownLoopback();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const rate = 400;
    const t0 = performance.now();
    const progress: ScanProgressEvent[] = [];
    const results = await collect(
      scan({
        targets: host,
        ports: "20001-20800",
        rate,
        show: ["closed"],
        onProgress: (p) => progress.push(p),
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(timer);
    expect(results.length).toBe(800);
    // 800 probes at 400/s: 2 s. Never faster than 5%; a loaded machine may be slower.
    expect(seconds).toBeGreaterThan(2 * 0.95);
    expect(seconds).toBeLessThan(2 * 1.5);
    // The measured rate over the run agrees with the elapsed time.
    const last = progress.at(-1) as ScanProgressEvent;
    expect(last.sent).toBe(800);
    // A busy-spinning scanner would starve the interval (≈100 ticks/s when the loop is free).
    expect(ticks).toBeGreaterThan(seconds * 100 * 0.25);
    expect(progress.some((p) => p.phase === "scan" && p.etaMs > 0)).toBe(true);
  });
});

describe("scan: progress", () => {
  it("says 'wait' as soon as the last probe is handed over, not at the next 250 ms tick", async () => {
    let lastProbeAt = 0;
    const held: Array<() => void> = [];
    // A transport that never answers: the probes settle when the wait ends (abortAll).
    const transport = {
      layer: "net-socket" as const,
      get inFlight() {
        return held.length;
      },
      probe(_a: string, _p: number, _f: 4 | 6, done: (s: "filtered", r: string) => void) {
        lastProbeAt = performance.now();
        held.push(() => done("filtered", "no-response"));
      },
      abortAll() {
        for (const settle of held.splice(0)) settle();
      },
    };
    const events: Array<ScanProgressEvent & { at: number }> = [];
    const results = await collect(
      scan({
        targets: "10.0.0.0/29",
        ports: "80",
        rate: 1000,
        waitMs: 300,
        transport,
        show: ["filtered"],
        onProgress: (p) => events.push({ ...p, at: performance.now() }),
      }),
    );
    expect(results).toHaveLength(8);
    const firstWait = events.find((e) => e.phase === "wait");
    expect(firstWait?.sent).toBe(8);
    // 8 probes at 1,000/s leave within ≈ 10 ms; the 'wait' event follows in the same turn of
    // the loop (it used to come with the next 250 ms progress tick).
    expect((firstWait?.at ?? Number.POSITIVE_INFINITY) - lastProbeAt).toBeLessThan(150);
    expect(events.filter((e) => e.phase === "scan").length).toBeGreaterThanOrEqual(1);
  });
});

describe("scan: validation before any packet leaves", () => {
  it.each([
    [{ targets: [], ports: "80" }, "NO_TARGETS"],
    [{ targets: "224.0.0.1", ports: "80" }, "UNSAFE_TARGET"],
    [{ targets: "127.0.0.1", ports: "80", rate: 2000, rateCap: 1000 }, "RATE_ABOVE_MAX"],
    [{ targets: "::1", ports: "80", backend: "native" as const }, "NATIVE_UNAVAILABLE"],
    [{ targets: "127.0.0.1", ports: "80", backend: "rust" as never }, "INVALID_ARGUMENT"],
    [{ targets: "127.0.0.1", ports: "0" }, "INVALID_PORT"],
    [{ targets: "127.0.0.1", ports: "80", shard: "3/2" }, "INVALID_ARGUMENT"],
    [
      { targets: "127.0.0.1", ports: "80,81", shard: "1/2", seed: 1, resumeIndex: 1 },
      "RESUME_MISMATCH",
    ],
    [{ targets: "127.0.0.1", ports: "80,81", shard: "1/2" }, "INVALID_ARGUMENT"],
    [{ targets: "127.0.0.1", ports: "80", resumeIndex: 5 }, "RESUME_MISMATCH"],
    [{ targets: "127.0.0.1", ports: "80", sourcePort: "40000-40002" }, "INVALID_SOURCE_PORT"],
    [{ targets: "127.0.0.1", ports: "80", rate: -5 }, "INVALID_ARGUMENT"],
    [{ targets: "127.0.0.1", ports: "80", retries: 1.5 }, "INVALID_ARGUMENT"],
    [{ targets: "127.0.0.1", ports: "80", bannerConcurrency: 0 }, "INVALID_ARGUMENT"],
    [{ targets: "127.0.0.1", ports: "80", cookieSecret: new Uint8Array(8) }, "INVALID_ARGUMENT"],
    [{ targets: "127.0.0.1", ports: "80", connectTimeoutMs: 0 }, "INVALID_ARGUMENT"],
  ])("%o → %s", async (options, code) => {
    expect((await errorOf(() => scan(options))).code).toBe(code);
  });

  it("derives the cookie secret from the seed unless one is given", () => {
    const a = scan({ targets: "127.0.0.1", ports: "80", seed: 9n });
    const b = scan({ targets: "127.0.0.1", ports: "80", seed: 9n });
    const c = scan({
      targets: "127.0.0.1",
      ports: "80",
      seed: 9n,
      cookieSecret: new Uint8Array(16).fill(1),
    });
    const probe = (r: typeof a) => ({ ...r.cookies.probe(0x7f000001, 0x7f000002, 80) });
    expect(probe(a)).toEqual(probe(b));
    expect(probe(c)).not.toEqual(probe(a));
    expect(probe(c)).toEqual({
      ...new SynCookies({
        secret: new Uint8Array(16).fill(1),
        sourcePorts: { first: 40000, last: 41023 },
      }).probe(0x7f000001, 0x7f000002, 80),
    });
  });

  it("says why the native backend is not there", async () => {
    const v6 = await errorOf(() => scan({ targets: "::1", ports: "80", backend: "native" }));
    expect(v6.message).toMatch(/IPv6 targets: the native backend sends IPv4 only/);
    const before = process.env.RAW_SCANNER_NATIVE_PATH;
    process.env.RAW_SCANNER_NATIVE_PATH = "/nonexistent/raw-scanner.node";
    try {
      const e = await errorOf(() => scan({ targets: "127.0.0.1", ports: "80", backend: "native" }));
      expect(e.code).toBe("NATIVE_UNAVAILABLE");
      expect(e.message).toMatch(
        /\/nonexistent\/raw-scanner\.node \(RAW_SCANNER_NATIVE_PATH\) does not load: Cannot find module/,
      );
      const run = scan({ targets: "127.0.0.1", ports: "80", backend: "auto" });
      expect(run.backend.name).toBe("js");
      expect(run.backend.reason).toMatch(
        /^auto: connect backend, native unavailable \(.*does not load/,
      );
    } finally {
      if (before === undefined) delete process.env.RAW_SCANNER_NATIVE_PATH;
      else process.env.RAW_SCANNER_NATIVE_PATH = before;
    }
  });

  it("loads the module named by RAW_SCANNER_NATIVE_PATH but refuses one that is not the addon", async () => {
    const dir = mkdtempSync(join(tmpdir(), "raw-scan-native-"));
    const marker = join(dir, "loaded");
    const addon = join(dir, "addon.cjs");
    writeFileSync(
      addon,
      `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "x"); module.exports = { version: () => "1" };`,
    );
    const before = process.env.RAW_SCANNER_NATIVE_PATH;
    process.env.RAW_SCANNER_NATIVE_PATH = addon;
    try {
      const auto = scan({ targets: "127.0.0.1", ports: "9", rate: 1000, backend: "auto" });
      await collect(auto);
      expect(auto.backend.name).toBe("js");
      expect(auto.backend.reason).toMatch(
        /is not the raw-scanner addon: it lacks the functions capabilityProblem, synCookie, blackrockShuffle, open, send, poll, stats, close/,
      );
      const e = await errorOf(() => scan({ targets: "127.0.0.1", ports: "9", backend: "native" }));
      expect(e.code).toBe("NATIVE_UNAVAILABLE");
      expect(existsSync(marker)).toBe(true);
    } finally {
      if (before === undefined) delete process.env.RAW_SCANNER_NATIVE_PATH;
      else process.env.RAW_SCANNER_NATIVE_PATH = before;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses the whole internet without an explicit exclude, saying how many addresses", async () => {
    const v4 = await errorOf(() => scan({ targets: "0.0.0.0/0", ports: "80" }));
    expect(v4.code).toBe("UNSAFE_TARGET");
    expect(v4.addressCount).toBe(4_294_967_296n);
    expect(v4.message).toContain("4,294,967,296 addresses");
    expect(v4.message).toContain('"--exclude 255.255.255.255"');
    const v6 = await errorOf(() => scan({ targets: "::/0", ports: "80" }));
    expect(v6.code).toBe("UNSAFE_TARGET");
    expect(v6.addressCount).toBe(2n ** 128n);
    // Two halves make the whole internet too; 1,000,000,000 addresses is masscan's line.
    const halves = await errorOf(() =>
      scan({ targets: ["0.0.0.0/1", "128.0.0.0/1"], ports: "80" }),
    );
    expect(halves.addressCount).toBe(4_294_967_296n);
    const justOver = await errorOf(() =>
      validateScanOptions({ targets: "10.0.0.0-69.154.202.0", ports: "80" }),
    );
    expect(justOver.addressCount).toBe(1_000_000_001n);
    // An explicit exclude is the confirmation (validated only: nothing is sent).
    expect(() =>
      validateScanOptions({ targets: "0.0.0.0/0", ports: "80", exclude: "255.255.255.255" }),
    ).not.toThrow();
    expect(() => validateScanOptions({ targets: "10.0.0.0/8", ports: "80" })).not.toThrow();
  });

  it("lets probes in flight settle when waitMs is 0", async () => {
    // Every probe answers open after 200 ms: a 0 wait must not cut them off.
    let inFlight = 0;
    const slow: ScanTransport = {
      layer: "tcp-handle",
      get inFlight() {
        return inFlight;
      },
      probe(_a, _p, _f, done) {
        inFlight++;
        setTimeout(() => {
          inFlight--;
          done("open", "syn-ack");
        }, 200);
      },
      abortAll() {},
    };
    const results = await collect(
      scan({ targets: "127.0.0.1", ports: "1-5", rate: 10_000, waitMs: 0, transport: slow }),
    );
    expect(results.map((r) => r.port).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it("ends after the wait even with a transport that never answers nor aborts", async () => {
    const deaf: ScanTransport = {
      layer: "tcp-handle",
      inFlight: 0,
      probe() {
        (deaf as { inFlight: number }).inFlight++;
      },
      abortAll() {},
    };
    const t0 = performance.now();
    const results = await collect(
      scan({ targets: "127.0.0.1", ports: "1-3", transport: deaf, waitMs: 100, show: ["open"] }),
    );
    expect(results).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it("discards a connect that reached itself and probes again", async () => {
    const transport = scripted([
      ["retry", "self-connect"],
      ["closed", "rst-ack"],
    ]);
    const debug: string[] = [];
    const run = scan({
      targets: "127.0.0.1",
      ports: [40000],
      transport,
      show: ["open", "closed"],
      logger: {
        debug: (...m) => debug.push(m.join(" ")),
        info: () => undefined,
        warn: () => undefined,
        error: () => undefined,
      },
    });
    const results = await collect(run);
    expect(results.map((r) => [r.status, r.reason])).toEqual([["closed", "rst-ack"]]);
    expect(transport.calls).toBe(2);
    expect(run.selfConnects).toBe(1);
    expect(debug.join("\n")).toContain("127.0.0.1:40000: connected to itself");
  });

  it("fails with ABORTED when the signal is already aborted", async () => {
    const e = await errorOf(() =>
      scan({ targets: "127.0.0.1", ports: "80", signal: AbortSignal.abort() }),
    );
    expect(e.code).toBe("ABORTED");
  });

  it("stops when the consumer breaks out of the loop", async () => {
    const host = ownLoopback();
    const run = scan({ targets: host, ports: "20001-40000", rate: 2000, show: ["closed"] });
    let n = 0;
    for await (const _ of run) {
      if (++n === 20) break;
    }
    const at = run.resumeIndex;
    await new Promise((r) => setTimeout(r, 200));
    expect(run.resumeIndex).toBe(at);
    expect(at).toBeLessThan(run.size);
  });

  /** A transport answering from a script, so local-trouble paths run without any network. */
  function scripted(
    answers: Array<[PortStatus | "retry", string]>,
  ): ScanTransport & { calls: number } {
    let inFlight = 0;
    const t = {
      layer: "tcp-handle" as const,
      calls: 0,
      get inFlight() {
        return inFlight;
      },
      probe(
        _address: string,
        _port: number,
        _family: 4 | 6,
        done: (s: PortStatus | "retry", r: string) => void,
      ) {
        const [status, reason] = answers[Math.min(t.calls, answers.length - 1)] as [
          PortStatus | "retry",
          string,
        ];
        t.calls++;
        inFlight++;
        setTimeout(() => {
          inFlight--;
          done(status, reason);
        }, 1);
      },
      abortAll() {},
    };
    return t;
  }

  it("retries a probe that failed on our side, then reports the real answer", async () => {
    const transport = scripted([
      ["retry", "EADDRNOTAVAIL"],
      ["retry", "EMFILE"],
      ["closed", "rst-ack"],
    ]);
    const results = await collect(
      scan({ targets: "127.0.0.1", ports: [80], transport, show: ["closed"] }),
    );
    expect(results.map((r) => [r.status, r.reason])).toEqual([["closed", "rst-ack"]]);
    expect(transport.calls).toBe(3);
  });

  it("gives up on a probe that keeps failing on our side, saying why", async () => {
    const warnings: string[] = [];
    const transport = scripted([["retry", "EAFNOSUPPORT"]]);
    const results = await collect(
      scan({
        targets: "127.0.0.1",
        ports: [80],
        transport,
        show: ["open", "closed", "filtered"],
        logger: {
          debug: () => undefined,
          info: () => undefined,
          warn: (...m) => warnings.push(m.join(" ")),
          error: () => undefined,
        },
      }),
    );
    expect(results.map((r) => [r.status, r.reason])).toEqual([
      ["filtered", "local-error:EAFNOSUPPORT"],
    ]);
    expect(transport.calls).toBe(13);
    expect(warnings.join("\n")).toMatch(/giving up after 13 local errors \(EAFNOSUPPORT\)/);
  }, 30_000);

  it("can be iterated only once", async () => {
    const server = await listen("127.0.0.1");
    try {
      const run = scan({ targets: "127.0.0.1", ports: [portOf(server)], rate: 1000 });
      await collect(run);
      expect(() => run[Symbol.asyncIterator]()).toThrow(/once/);
    } finally {
      await close(server);
    }
  });

  it("scans IPv6 loopback", async () => {
    const t = await portsWithGroundTruth("::1", 6, 6);
    try {
      const run = scan({
        targets: "::1",
        ports: [...t.open, ...t.closed],
        rate: 10_000,
        show: ["open", "closed"],
      });
      const results = await collect(run);
      expect(
        results
          .filter((r) => r.status === "open")
          .map((r) => r.port)
          .sort(),
      ).toEqual([...t.open].sort());
      expect(results.every((r) => r.address === "::1")).toBe(true);
      expect(results.length).toBe(12);
    } finally {
      await t.stop();
    }
  });

  it("spreads connects over worker threads with the same results", async () => {
    const host = ownLoopback();
    const t = await portsWithGroundTruth(host, 20, 20);
    try {
      const ports = [...t.open, ...t.closed];
      const run = scan({
        targets: host,
        ports,
        rate: 50_000,
        workers: 2,
        show: ["open", "closed"],
      });
      const results = await collect(run);
      expect(results.length).toBe(40);
      expect(
        results
          .filter((r) => r.status === "open")
          .map((r) => r.port)
          .sort(),
      ).toEqual([...t.open].sort());
      expect(run.backend.layer).toBe("tcp-handle");
      const e = await errorOf(() => scan({ targets: host, ports, workers: 1.5 }));
      expect(e.code).toBe("INVALID_ARGUMENT");
    } finally {
      await t.stop();
    }
  });

  it("shares the window between the main thread and a worker (the auto layout), each probe answered once", async () => {
    const host = ownLoopback();
    const t = await portsWithGroundTruth(host, 30, 30);
    const pool = new ConnectPool({ timeoutMs: 1000, workers: 1, concurrency: 8, local: true });
    try {
      expect(pool.backlog).toBe(8);
      const ports = [...t.open, ...t.closed]; // more than the window: the worker queues the rest
      const answers = new Map<number, string[]>();
      await new Promise<void>((resolve) => {
        let left = ports.length;
        for (const port of ports) {
          pool.probe(host, port, 4, (status) => {
            answers.set(port, [...(answers.get(port) ?? []), status]);
            if (--left === 0) resolve();
          });
        }
      });
      expect(pool.inFlight).toBe(0);
      for (const port of t.open) expect(answers.get(port)).toEqual(["open"]);
      for (const port of t.closed) expect(answers.get(port)).toEqual(["closed"]);
    } finally {
      await pool.close();
      await t.stop();
    }
  });

  it("a worker that dies hands its probes back and the pool carries on without it", async () => {
    const host = ownLoopback();
    const t = await portsWithGroundTruth(host, 5, 5);
    const pool = new ConnectPool({ timeoutMs: 1000, workers: 1, concurrency: 4 });
    try {
      const ports = [...t.open, ...t.closed];
      const sweep = () =>
        new Promise<Map<number, string[]>>((resolve) => {
          const answers = new Map<number, string[]>();
          let left = ports.length;
          for (const port of ports) {
            pool.probe(host, port, 4, (status) => {
              answers.set(port, [...(answers.get(port) ?? []), status]);
              if (--left === 0) resolve(answers);
            });
          }
        });
      const first = sweep();
      // The worker goes away with probes in it (as if it crashed).
      await (
        pool as unknown as { lanes: { worker: { terminate(): Promise<number> } }[] }
      ).lanes[0]?.worker.terminate();
      for (const [, statuses] of await first) expect(statuses).toHaveLength(1);
      // Later probes run on the main thread, with real answers.
      const second = await sweep();
      for (const port of t.open) expect(second.get(port)).toEqual(["open"]);
      for (const port of t.closed) expect(second.get(port)).toEqual(["closed"]);
      expect(pool.inFlight).toBe(0);
    } finally {
      await pool.close();
      await t.stop();
    }
  });

  it("works through net.Socket too (the fallback when Node's TCP handle is unavailable)", async () => {
    const host = ownLoopback();
    const t = await portsWithGroundTruth(host, 5, 5);
    try {
      const run = scan({
        targets: host,
        ports: [...t.open, ...t.closed],
        rate: 10_000,
        connectLayer: "net-socket",
      });
      expect(run.backend.layer).toBe("net-socket");
      expect((await collect(run)).map((r) => r.port).sort()).toEqual([...t.open].sort());
    } finally {
      await t.stop();
    }
  });
});
