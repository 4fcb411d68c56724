/**
 * Privileged (tag `root`): the native raw-packet backend in network namespaces these tests
 * create — a veth pair from a scanner namespace to a target namespace whose AnyIP route
 * (`ip route add local 10.78.0.0/16 dev lo`) answers for 65,536 addresses, and one namespace
 * scanning its own AnyIP loopback. Nothing leaves the namespaces.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadNative } from "../src/index.js";
import { missingNetns, missingTool } from "./helpers/tools.js";

const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const child = join(import.meta.dirname, "helpers", "native-scan.ts");

function missingAddon(): false | string {
  const loaded = loadNative();
  if (loaded.addon) return false;
  if (process.env.CI === "true") {
    throw new Error(`the native addon must be built in CI (pnpm build does it): ${loaded.reason}`);
  }
  return `native addon not built: ${loaded.reason}`;
}

const why =
  missingNetns() ||
  missingTool("ip", ["netns", "list"]) ||
  missingTool("iptables", ["--version"]) ||
  missingAddon();

const ip = (...args: string[]) =>
  execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] }).toString();
const inNs = (ns: string, ...cmd: string[]) => ip("netns", "exec", ns, ...cmd);

interface ChildResult {
  open: number;
  closed: number;
  openPorts: number[];
  closedPorts: number[];
  duplicates: number;
  banners: number;
  bannerTexts: string[];
  seconds: number;
  backend: { name: string; reason: string; layer: string; stats?: Record<string, number> };
}

/** Runs the scan child inside `ns`; resolves with its JSON line. */
async function scanIn(ns: string, options: Record<string, unknown>): Promise<ChildResult> {
  const { stdout } = await promisify(execFile)(
    "ip",
    ["netns", "exec", ns, process.execPath, "--import", tsx, child, JSON.stringify(options)],
    { maxBuffer: 16 * 1024 * 1024, timeout: 170_000 },
  );
  return JSON.parse(stdout.trim().split("\n").pop() as string) as ChildResult;
}

/** Reserves the scanner's source ports in `ns` (written to /proc: procps is not everywhere). */
const reservePorts = (ns: string) =>
  inNs(ns, "sh", "-c", "echo 40000-41023 > /proc/sys/net/ipv4/ip_local_reserved_ports");

const BANNER = "SSH-2.0-tinkerbox-target";
/** A listener on 0.0.0.0:80 (every AnyIP address) that greets like an SSH server. */
const LISTENER = `
  const net = require("net");
  const s = net.createServer((c) => { c.on("error", () => {}); c.end("${BANNER}\\r\\n"); });
  s.listen({ port: 80, host: "0.0.0.0", backlog: 65535 }, () => console.log("ready"));`;

function startListener(ns: string): Promise<ChildProcess> {
  const p = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", LISTENER], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    p.stdout?.once("data", () => resolve(p));
    p.once("exit", (code) => reject(new Error(`listener in ${ns} exited (${code})`)));
  });
}

const DROP_RULE = ["INPUT", "-p", "tcp", "--dport", "40000:41023", "-j", "DROP"];

describe.skipIf(why !== false)("native backend over a veth pair", { tags: ["root"] }, () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const scanner = `rsn-s-${tag}`;
  const target = `rsn-t-${tag}`;
  let listener: ChildProcess | undefined;

  beforeAll(async () => {
    ip("netns", "add", scanner);
    ip("netns", "add", target);
    ip(
      "link",
      "add",
      `va${tag}`,
      "netns",
      scanner,
      "type",
      "veth",
      "peer",
      "name",
      `vb${tag}`,
      "netns",
      target,
    );
    inNs(scanner, "ip", "addr", "add", "10.77.0.1/30", "dev", `va${tag}`);
    inNs(target, "ip", "addr", "add", "10.77.0.2/30", "dev", `vb${tag}`);
    for (const [ns, dev] of [
      [scanner, `va${tag}`],
      [target, `vb${tag}`],
    ] as const) {
      inNs(ns, "ip", "link", "set", dev, "up");
      inNs(ns, "ip", "link", "set", "lo", "up");
    }
    inNs(scanner, "ip", "route", "add", "10.78.0.0/16", "via", "10.77.0.2");
    inNs(target, "ip", "route", "add", "local", "10.78.0.0/16", "dev", "lo");
    // The kernel must never hand the scanner's source ports to a connect (the banner grabs).
    reservePorts(scanner);
    listener = await startListener(target);
  }, 60_000);

  afterAll(() => {
    listener?.kill("SIGKILL");
    for (const ns of [scanner, target]) {
      try {
        ip("netns", "del", ns);
      } catch {}
    }
  });

  const small = {
    targets: "10.78.1.0/28",
    ports: "80,81",
    rate: 2000,
    show: ["open", "closed"],
    banners: true,
  };

  it("finds every open and closed port of the target host and grabs the banners", async () => {
    const r = await scanIn(scanner, small);
    expect(r.backend.name).toBe("native");
    expect(r.backend.layer).toBe("raw-packet");
    expect(r.open).toBe(16);
    expect(r.openPorts).toEqual([80]);
    expect(r.closed).toBe(16);
    expect(r.closedPorts).toEqual([81]);
    expect(r.duplicates).toBe(0);
    expect(r.banners).toBe(16);
    expect(r.bannerTexts).toEqual([BANNER]);
  }, 60_000);

  it("with a rule dropping the source-port range, replies still arrive (AF_PACKET) and so do banners", async () => {
    inNs(scanner, "iptables", "-A", ...DROP_RULE);
    try {
      const r = await scanIn(scanner, small);
      expect(r.backend.name).toBe("native");
      expect(r.open).toBe(16);
      expect(r.closed).toBe(16);
      expect(r.banners).toBe(16);
      expect(r.bannerTexts).toEqual([BANNER]);
      // The rule really dropped the replies before the kernel could answer them.
      const counters = inNs(scanner, "iptables", "-L", "INPUT", "-v", "-n", "-x");
      const line = counters.split("\n").find((l) => l.includes("dpts:40000:41023")) ?? "";
      expect(Number(line.trim().split(/\s+/)[0])).toBeGreaterThanOrEqual(32);
    } finally {
      inNs(scanner, "iptables", "-D", ...DROP_RULE);
    }
  }, 60_000);

  it("reports what it cannot send as filtered with the local error: no route, and an OUTPUT rule", async () => {
    const reasons = async (targets: string) => {
      const { stdout } = await promisify(execFile)(
        "ip",
        [
          "netns",
          "exec",
          scanner,
          process.execPath,
          "--import",
          tsx,
          "-e",
          `import("${pathToFileURL(join(import.meta.dirname, "..", "src", "index.ts")).href}").then(async ({ scan }) => {
            const run = scan({ targets: ${JSON.stringify(targets)}, ports: "80", rate: 1000, show: ["open", "closed", "filtered"], backend: "native", waitMs: 5000 });
            const out = [];
            for await (const r of run) out.push(r.status + " " + r.reason);
            console.log(JSON.stringify({ out, stats: run.backend.stats }));
          })`,
        ],
        { timeout: 60_000 },
      );
      return JSON.parse(stdout.trim()) as { out: string[]; stats: { sendErrors: number } };
    };
    const unroutable = await reasons("10.99.0.1");
    expect(unroutable.out).toEqual(["filtered local-error:ENETUNREACH"]);
    expect(unroutable.stats.sendErrors).toBe(13);
    inNs(scanner, "iptables", "-A", "OUTPUT", "-d", "10.78.9.9", "-j", "DROP");
    try {
      const dropped = await reasons("10.78.9.9");
      expect(dropped.out).toEqual(["filtered local-error:EPERM"]);
    } finally {
      inNs(scanner, "iptables", "-D", "OUTPUT", "-d", "10.78.9.9", "-j", "DROP");
    }
  }, 60_000);

  for (const rate of [10_000, 50_000, 100_000]) {
    it(`finds ≥ 99.9% of 65,536 open addresses at ${rate.toLocaleString("en-US")} packets/s (2 retries)`, {
      tags: ["slow"],
      timeout: 180_000,
    }, async () => {
      const r = await scanIn(scanner, {
        targets: "10.78.0.0/16",
        ports: "80",
        rate,
        retries: 2,
        retryDelayMs: 500,
        waitMs: 1000,
      });
      expect(r.backend.name).toBe("native");
      expect(r.openPorts).toEqual([80]);
      expect(r.duplicates).toBe(0);
      expect(r.open).toBeGreaterThanOrEqual(65_471); // 99.9% of 65,536
      expect(r.open).toBeLessThanOrEqual(65_536);
      // The sender thread paces: the SYNs never leave faster than the rate (load only slows
      // them). One sendmmsg batch (≤ 256) may leave at once.
      const stats = r.backend.stats as Record<string, number>;
      expect(stats.sent).toBeGreaterThanOrEqual(65_536);
      expect(stats.sendSpanMs).toBeGreaterThanOrEqual(
        (((stats.sent as number) - 256) / rate) * 1000 * 0.95,
      );
    });
  }
});

describe.skipIf(why !== false)("native backend on an AnyIP loopback", { tags: ["root"] }, () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const ns = `rsn-l-${tag}`;
  let listener: ChildProcess | undefined;

  beforeAll(async () => {
    ip("netns", "add", ns);
    inNs(ns, "ip", "link", "set", "lo", "up");
    inNs(ns, "ip", "route", "add", "local", "10.79.0.0/20", "dev", "lo");
    reservePorts(ns);
    listener = await startListener(ns);
  }, 60_000);

  afterAll(() => {
    listener?.kill("SIGKILL");
    try {
      ip("netns", "del", ns);
    } catch {}
  });

  it("scans 4,096 addresses × 2 ports: every port 80 open, every port 81 closed", async () => {
    const r = await scanIn(ns, {
      targets: "10.79.0.0/20",
      ports: "80,81",
      rate: 20_000,
      retries: 1,
      show: ["open", "closed"],
    });
    expect(r.backend.name).toBe("native");
    expect(r.open).toBe(4096);
    expect(r.closed).toBe(4096);
    expect(r.openPorts).toEqual([80]);
    expect(r.closedPorts).toEqual([81]);
    expect(r.duplicates).toBe(0);
  }, 60_000);

  it("keeps finding ports and banners with the source-port range dropped by nftables", async () => {
    inNs(
      ns,
      "nft",
      "add table inet rsn; add chain inet rsn input { type filter hook input priority 0; }; add rule inet rsn input tcp dport 40000-41023 drop",
    );
    try {
      const r = await scanIn(ns, {
        targets: "10.79.3.0/28",
        ports: "80,81",
        rate: 2000,
        banners: true,
        show: ["open", "closed"],
      });
      expect(r.open).toBe(16);
      expect(r.closed).toBe(16);
      expect(r.banners).toBe(16);
      expect(r.bannerTexts).toEqual([BANNER]);
    } finally {
      inNs(ns, "nft", "delete table inet rsn");
    }
  }, 60_000);

  it("auto falls back to connect without CAP_NET_RAW and says why; native then refuses", async () => {
    const noRaw = (options: Record<string, unknown>) =>
      promisify(execFile)(
        "ip",
        [
          "netns",
          "exec",
          ns,
          "setpriv",
          "--bounding-set",
          "-net_raw",
          "--inh-caps",
          "-net_raw",
          process.execPath,
          "--import",
          tsx,
          child,
          JSON.stringify(options),
        ],
        { timeout: 60_000 },
      );
    const { stdout } = await noRaw({
      targets: "10.79.0.1",
      ports: "80,81",
      rate: 100,
      show: ["open", "closed"],
    });
    const r = JSON.parse(stdout.trim()) as ChildResult;
    expect(r.backend.name).toBe("js");
    expect(r.backend.reason).toMatch(
      /native unavailable \(no raw socket access: .*Operation not permitted/,
    );
    expect(r.open).toBe(1);
    expect(r.closed).toBe(1);
    const failed = await noRaw({
      targets: "10.79.0.1",
      ports: "80",
      rate: 100,
      backend: "native",
    }).then(
      () => undefined,
      (e: { stderr?: string }) => e.stderr ?? "",
    );
    expect(failed).toMatch(/NATIVE_UNAVAILABLE/);
    expect(failed).toMatch(/setcap cap_net_raw/);
  }, 60_000);
});
