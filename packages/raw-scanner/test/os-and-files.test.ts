import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  firewallRules,
  OutputSink,
  overlaps,
  overlapWarning,
  RawScannerError,
  readEphemeralRange,
  readScan,
  suggestSourcePorts,
  writeOutputFile,
} from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "raw-scan-native-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("source ports and the OS", () => {
  it("reads Linux's and macOS's ephemeral range, with typed errors", async () => {
    expect(
      await readEphemeralRange({ platform: "linux", readFile: async () => "32768\t60999\n" }),
    ).toEqual({
      first: 32768,
      last: 60999,
    });
    expect(
      await readEphemeralRange({ platform: "darwin", sysctl: async () => "49152\n65535\n" }),
    ).toEqual({
      first: 49152,
      last: 65535,
    });
    const failures = [
      readEphemeralRange({
        platform: "linux",
        readFile: async () => {
          throw new Error("EACCES");
        },
      }),
      readEphemeralRange({ platform: "linux", readFile: async () => "60999 32768" }),
      readEphemeralRange({
        platform: "darwin",
        sysctl: async () => {
          throw new Error("no sysctl");
        },
      }),
      readEphemeralRange({ platform: "win32" }),
    ];
    for (const f of failures) {
      await expect(f).rejects.toBeInstanceOf(RawScannerError);
      await expect(f).rejects.toMatchObject({ code: "OS_QUERY" });
    }
  });

  it.skipIf(process.platform !== "linux")("reads this Linux host's real range", async () => {
    const text = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8");
    const [first, last] = text.trim().split(/\s+/).map(Number);
    expect(await readEphemeralRange()).toEqual({ first, last });
  });

  it("warns about masscan's example range inside Linux's default ephemeral range", () => {
    const linux = { first: 32768, last: 60999 };
    expect(overlaps({ first: 40000, last: 41023 }, linux)).toBe(true);
    expect(overlapWarning({ first: 61440, last: 62463 }, linux)).toBeUndefined();
    const w = overlapWarning({ first: 40000, last: 41023 }, linux) ?? "";
    expect(w).toContain(firewallRules({ first: 40000, last: 41023 }).iptables);
    expect(firewallRules({ first: 61000, last: 61000 })).toEqual({
      iptables: "iptables -A INPUT -p tcp --dport 61000 -j DROP",
      nft: "nft add rule inet filter input tcp dport 61000 drop",
      pf: "block in quick proto tcp from any to any port 61000",
    });
  });

  it("suggests aligned power-of-two ranges outside the ephemeral range", () => {
    expect(suggestSourcePorts({ first: 32768, last: 60999 })).toEqual({
      first: 61440,
      last: 62463,
    });
    expect(suggestSourcePorts({ first: 49152, last: 65535 }, 1024)).toEqual({
      first: 48128,
      last: 49151,
    });
    expect(suggestSourcePorts({ first: 32768, last: 65000 }, 1024)).toEqual({
      first: 31744,
      last: 32767,
    });
    expect(suggestSourcePorts({ first: 1024, last: 65535 })).toBeUndefined();
    for (let size = 1; size <= 4096; size *= 2) {
      const s = suggestSourcePorts({ first: 32768, last: 60999 }, size);
      expect(s && s.last - s.first + 1).toBe(size);
      expect(s && s.first % size).toBe(0);
    }
  });
});

describe("output files", () => {
  const result = {
    time: new Date(1_800_000_000_000),
    address: "127.0.0.1",
    port: 22,
    protocol: "tcp" as const,
    status: "open" as const,
    reason: "syn-ack",
    ttl: 0,
  };

  it("appear complete under their name only at close", async () => {
    const path = join(dir, "atomic.json");
    const sink = await OutputSink.open(path, "json", { startTime: new Date() });
    sink.write(result);
    expect(readdirSync(dir)).not.toContain("atomic.json");
    await sink.close({ startTime: new Date() });
    expect(readScan(readFileSync(path)).length).toBe(1);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("leave nothing behind when the results fail midway", async () => {
    const path = join(dir, "failed.xml");
    async function* failing() {
      yield result;
      throw new RawScannerError("ABORTED", "stop");
    }
    await expect(
      writeOutputFile(path, "xml", failing(), { startTime: new Date() }),
    ).rejects.toMatchObject({
      code: "ABORTED",
    });
    expect(readdirSync(dir).filter((f) => f.startsWith(".failed") || f === "failed.xml")).toEqual(
      [],
    );
    await writeOutputFile(path, "xml", [result], { startTime: new Date() });
    expect(readScan(readFileSync(path))).toHaveLength(1);
  });

  it.each([
    ["json", "empty.J"],
    ["ndjson", "empty.D"],
    ["list", "empty.L"],
    ["grepable", "empty.G"],
    ["xml", "empty.X"],
    ["binary", "empty.B"],
  ] as const)("of a scan that found nothing are what masscan writes: %s", async (format, name) => {
    const masscan = readFileSync(join(import.meta.dirname, "fixtures", "masscan-empty", name));
    expect(masscan.length).toBe(0); // masscan 1.3.2 leaves an empty file for an empty scan
    const path = join(dir, `nothing.${name}`);
    await writeOutputFile(path, format, [], { startTime: new Date(), ports: [[81, 81]] });
    expect(readFileSync(path)).toEqual(masscan);
    expect(readScan(readFileSync(path))).toEqual([]);
  });

  it("throw OUTPUT_WRITE when the directory does not exist", async () => {
    await expect(
      OutputSink.open(join(dir, "nope", "x.json"), "json", { startTime: new Date() }),
    ).rejects.toMatchObject({
      code: "OUTPUT_WRITE",
    });
  });

  it("throw OUTPUT_WRITE at close when the file cannot be moved into place", async () => {
    const target = join(dir, "is-a-dir");
    const sink = await OutputSink.open(join(target, "..", "is-a-dir"), "list", {
      startTime: new Date(),
    });
    // Make the rename fail: the target is a non-empty directory.
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(target, "child"), { recursive: true });
    sink.write(result);
    await expect(sink.close({ startTime: new Date() })).rejects.toMatchObject({
      code: "OUTPUT_WRITE",
    });
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
