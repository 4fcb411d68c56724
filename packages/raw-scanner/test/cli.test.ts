import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliIo, defaultConfigPaths, runCli } from "../src/cli/main.js";
import { loadNative, readScan } from "../src/index.js";
import { ownLoopback, portsWithGroundTruth } from "./helpers/loopback.js";

const fixtures = join(import.meta.dirname, "fixtures");
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "raw-scan-cli-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function io(extra: Partial<CliIo> = {}) {
  let out = "";
  let err = "";
  const value: CliIo = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s), isTTY: false },
    env: {},
    defaultConfigPaths: [],
    osPorts: { platform: "linux", readFile: async () => "32768\t60999\n" },
    pausedPath: join(dir, "paused.conf"),
    ...extra,
  };
  return { io: value, out: () => out, err: () => err };
}

describe("raw-scan CLI", () => {
  let truth: Awaited<ReturnType<typeof portsWithGroundTruth>>;
  const host = ownLoopback();
  beforeAll(async () => {
    truth = await portsWithGroundTruth(host, 12, 12);
  });
  afterAll(async () => {
    await truth.stop();
  });
  const portList = () => [...truth.open, ...truth.closed].join(",");

  it("scans and writes every output format atomically", async () => {
    const t = io();
    const files = { J: "s.json", D: "s.ndjson", L: "s.list", G: "s.grep", X: "s.xml", B: "s.bin" };
    const args = [host, "-p", portList(), "--rate", "20000", "--seed", "3"];
    for (const [flag, name] of Object.entries(files)) args.push(`-o${flag}`, join(dir, name));
    expect(await runCli(args, t.io)).toBe(0);
    for (const name of Object.values(files)) {
      const records = readScan(readFileSync(join(dir, name)));
      expect(records.map((r) => r.port).sort(), name).toEqual([...truth.open].sort());
    }
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    // The native backend where it can run (root, addon built), else connect: the output is the same.
    const native = loadNative().addon?.capabilityProblem() === null;
    expect(t.err()).toMatch(
      native
        ? /Scanning 24 probes \(native backend, raw-packet\)/
        : /Scanning 24 probes \(js backend/,
    );
  });

  it("writes empty files for a scan that finds nothing, byte for byte as masscan does", async () => {
    const t = io();
    const closed = truth.closed.join(",");
    const files = { J: "e.json", D: "e.ndjson", L: "e.list", G: "e.grep", X: "e.xml", B: "e.bin" };
    const args = [host, "-p", closed, "--rate", "20000", "-oD", "-"];
    for (const [flag, name] of Object.entries(files)) args.push(`-o${flag}`, join(dir, name));
    expect(await runCli(args, t.io)).toBe(0);
    for (const [flag, name] of Object.entries(files)) {
      const masscan = readFileSync(join(fixtures, "masscan-empty", `empty.${flag}`));
      expect(readFileSync(join(dir, name)), name).toEqual(masscan);
    }
    expect(t.out()).toBe("");
  });

  it("prints masscan's interactive lines when no output file is given, and streams -oD -", async () => {
    const t = io();
    expect(await runCli([host, `-p${portList()}`, "--rate", "20000"], t.io)).toBe(0);
    const lines = t.out().trim().split("\n");
    expect(lines.length).toBe(truth.open.length);
    expect(lines[0]).toMatch(
      new RegExp(`^Discovered open port \\d+/tcp on ${host.replaceAll(".", "\\.")}$`),
    );
    const s = io();
    expect(await runCli([host, `-p${portList()}`, "--rate", "20000", "-oD", "-"], s.io)).toBe(0);
    expect(readScan(s.out()).length).toBe(truth.open.length);
  });

  it("reads the default config files and -c, and lets the command line win", async () => {
    const def = join(dir, "default.conf");
    writeFileSync(def, `# defaults\nrate = 20000\nports = ${truth.open[0]}\n`);
    const extra = join(dir, "extra.conf");
    writeFileSync(extra, `range = ${host}\nseed = 99\n`);
    const t = io({ defaultConfigPaths: [join(dir, "missing.conf"), def] });
    expect(await runCli(["-c", extra, "--seed", "100", "--echo"], t.io)).toBe(0);
    expect(t.out()).toContain("seed = 100\n");
    expect(t.out()).toContain("rate = 20000     \n");
    expect(t.out()).toContain(`ports = ${truth.open[0]}\n`);
    expect(t.out()).toContain(`range = ${host}\n`);
    const s = io({ defaultConfigPaths: [def] });
    expect(await runCli(["-c", extra], s.io)).toBe(0);
    expect(s.out()).toContain(`Discovered open port ${truth.open[0]}/tcp`);
  });

  it("prints masscan's progress line with --progress", async () => {
    const t = io();
    expect(
      await runCli(
        [host, "-p", "20001-20300", "--rate", "600", "--progress", "--workers", "1"],
        t.io,
      ),
    ).toBe(0);
    expect(t.err()).toMatch(
      /\rrate: +[\d.]+-kpps, +[\d.]+% done, \d+:\d\d:\d\d remaining, found=0/,
    );
  });

  it("documents default config paths under /etc and ~/.config", () => {
    expect(defaultConfigPaths({ HOME: "/home/u" })).toEqual([
      "/etc/raw-scanner/raw-scanner.conf",
      "/home/u/.config/raw-scanner/raw-scanner.conf",
    ]);
    expect(defaultConfigPaths({ XDG_CONFIG_HOME: "/x" })[1]).toBe(
      "/x/raw-scanner/raw-scanner.conf",
    );
  });

  it.each([
    [["127.0.0.1", "-p80", "--rtae", "5"], /unknown option "rtae"; did you mean "rate"\?/],
    [["-p80"], /no targets given/],
    [["127.0.0.1"], /no ports given/],
    [["224.0.0.1", "-p80"], /reserved block/],
    [["127.0.0.1", "-p80", "--rate", "5000", "--rate-cap", "100"], /above the rate cap/],
    [["::1", "-p80", "--backend", "native"], /native' is not available .*IPv6 targets/],
    [["127.0.0.1", "-p80", "-sU"], /unknown option "-sU"/],
    [
      ["-c", "/nonexistent/raw.conf", "127.0.0.1", "-p80"],
      /cannot read config file \/nonexistent\/raw\.conf/,
    ],
    [["127.0.0.1", "-p80", "--excludefile", "/nonexistent/ex.txt"], /cannot read exclude file/],
    [["--readscan", "/nonexistent/scan.bin"], /cannot read scan file/],
    [["127.0.0.1", "-p80", "--source-port", "40000-40100"], /power of two/],
    [["127.0.0.1", "-p80", "--resume", "/nonexistent/paused.conf"], /cannot read resume file/],
  ])("fails with a clear message: %j", async (args, message) => {
    const t = io();
    expect(await runCli(args, t.io)).toBe(1);
    expect(t.err()).toMatch(message);
  });

  it("refuses --shards without --seed, and runs a shard with one", async () => {
    const t = io();
    expect(await runCli([host, "-p", portList(), "--shards", "1/2"], t.io)).toBe(1);
    expect(t.err()).toMatch(/--shards 1\/2 needs --seed: every machine must use the same seed/);
    expect(t.err()).toMatch(/e\.g\. --seed \d+/);
    const seen: number[] = [];
    for (const shard of ["1/2", "2/2"]) {
      const s = io();
      expect(
        await runCli(
          [
            host,
            "-p",
            portList(),
            "--shards",
            shard,
            "--seed",
            "42",
            "--rate",
            "20000",
            "-oD",
            "-",
          ],
          s.io,
        ),
      ).toBe(0);
      seen.push(...readScan(s.out()).map((r) => r.port));
    }
    expect(seen.sort((a, b) => a - b)).toEqual([...truth.open].sort((a, b) => a - b));
  });

  it("speaks masscan's flags: --top-ports, --max-rate, no-op flags with notes, --open", async () => {
    const t = io();
    expect(
      await runCli(
        [
          host,
          "--top-ports",
          "10",
          "--max-rate",
          "5000",
          "-sS",
          "-Pn",
          "-n",
          "--randomize-hosts",
          "-e",
          "eth0",
          "--open",
          "--echo",
        ],
        t.io,
      ),
    ).toBe(0);
    expect(t.out()).toContain("rate = 5000");
    expect(t.out()).toContain("top-ports = 10\n");
    expect(t.out()).toContain("open-only = true\n");
    expect(t.err()).toContain("-sS: the native backend does a SYN scan when it can run");
    expect(t.err()).toContain("-Pn: there is no host discovery");
    expect(t.err()).toContain("-n: names are never resolved");
    expect(t.err()).toContain("--randomize-hosts: hosts are always probed in a random order");
    expect(t.err()).toContain('"adapter" is a masscan raw-packet option; ignored');
    // nmap's ten most frequent TCP ports, as nmap -sT --top-ports 10 lists them.
    const listener = await portsWithGroundTruth(host, 0, 0);
    const s = io();
    expect(
      await runCli(
        [host, "--top-ports", "10", "--rate", "20000", "--show", "closed", "-oD", "-"],
        s.io,
      ),
    ).toBe(0);
    await listener.stop();
    expect(
      readScan(s.out())
        .map((r) => r.port)
        .sort((a, b) => a - b),
    ).toEqual([21, 22, 23, 25, 80, 110, 139, 443, 445, 3389]);
  });

  it("--echo validates what it prints", async () => {
    const bad = io();
    expect(
      await runCli([host, "-p80", "--rate", "5000", "--rate-cap", "100", "--echo"], bad.io),
    ).toBe(1);
    expect(bad.err()).toMatch(/above the rate cap 100/);
    const reserved = io();
    expect(await runCli(["224.0.0.1", "-p80", "--echo"], reserved.io)).toBe(1);
    expect(reserved.err()).toMatch(/reserved block/);
    const noPorts = io();
    expect(await runCli([host, "--echo"], noPorts.io)).toBe(1);
    expect(noPorts.err()).toMatch(/no ports given/);
    const ok = io();
    expect(await runCli([host, "-p80", "--echo"], ok.io)).toBe(0);
    expect(ok.out()).toContain(`range = ${host}\n`);
  });

  it.each([
    [
      ["127.0.0.1", "-p80", "--top-port", "10"],
      /unknown option "top-port"; did you mean "top-ports"\?/,
    ],
    [["127.0.0.1", "-p80", "-oZ", "x"], /unknown option "-oZ"; did you mean "-oJ"\?/],
    [["127.0.0.1", "-p80", "--hello-string[80]", "not base64!"], /must be base64/],
    [["127.0.0.1", "-p80", "--top-ports", "1001"], /top-ports = 1001: must be an integer 1–1000/],
  ])("names the right flag for a mistake: %j", async (args, message) => {
    const t = io();
    expect(await runCli(args, t.io)).toBe(1);
    expect(t.err()).toMatch(message);
  });

  it("reads masscan's own config file with --masscan-conf", async () => {
    const conf = join(dir, "masscan.conf");
    writeFileSync(
      conf,
      "# /etc/masscan/masscan.conf of a masscan user\nrate = 2000\nsource-port = 61440-62463\nexclude = 127.0.0.254\nadapter-ip = 10.0.0.9\n",
    );
    const t = io({ masscanConfPath: conf });
    expect(await runCli([host, "-p80", "--masscan-conf", "--echo"], t.io)).toBe(0);
    expect(t.out()).toContain("rate = 2000");
    expect(t.out()).toContain("source-port = 61440-62463\n");
    expect(t.out()).toContain("exclude = 127.0.0.254\n");
    expect(t.err()).toContain('"adapter-ip" is a masscan raw-packet option');
    // Not read unless asked; a missing file that was asked for is an error.
    const u = io({ masscanConfPath: conf });
    expect(await runCli([host, "-p80", "--echo"], u.io)).toBe(0);
    expect(u.out()).not.toContain("source-port");
    const m = io({ masscanConfPath: join(dir, "absent.conf") });
    expect(await runCli([host, "-p80", "--masscan-conf", "--echo"], m.io)).toBe(1);
    expect(m.err()).toMatch(/cannot read masscan config file .*absent\.conf/);
  });

  it("--readscan prints open ports only unless --show closed, and accepts --open", async () => {
    const mixed = join(dir, "mixed.list");
    writeFileSync(
      mixed,
      "#masscan\nopen tcp 22 127.0.0.1 1800000000\nclosed tcp 23 127.0.0.1 1800000000\n# end\n",
    );
    const t = io();
    expect(await runCli(["--readscan", mixed], t.io)).toBe(0);
    expect(t.out()).toBe("Discovered open port 22/tcp on 127.0.0.1\n");
    const o = io();
    expect(await runCli(["--readscan", mixed, "--open"], o.io)).toBe(0);
    expect(o.out()).toBe("Discovered open port 22/tcp on 127.0.0.1\n");
    const c = io();
    expect(await runCli(["--readscan", mixed, "--show", "closed"], c.io)).toBe(0);
    expect(c.out()).toBe(
      "Discovered open port 22/tcp on 127.0.0.1\nDiscovered closed port 23/tcp on 127.0.0.1\n",
    );
  });

  it("refuses a resume file that is not a paused scan", async () => {
    const f = join(dir, "notpaused.conf");
    writeFileSync(f, "rate = 10\n");
    const t = io();
    expect(await runCli([host, "-p80", "--resume", f], t.io)).toBe(1);
    expect(t.err()).toMatch(/no resume-index and seed/);
  });

  it("leaves no output file behind when it cannot create one", async () => {
    const t = io();
    expect(await runCli([host, "-p80", "-oJ", join(dir, "no/such/dir/out.json")], t.io)).toBe(1);
    expect(t.err()).toMatch(/cannot create output/);
  });

  it("excludes from a file", async () => {
    const ex = join(dir, "exclude.txt");
    writeFileSync(ex, `# keep this one out\n${host}\n`);
    const t = io();
    expect(await runCli([host, "-p80", "--excludefile", ex], t.io)).toBe(1);
    expect(t.err()).toMatch(/every target is excluded/);
  });

  it("converts scan files with --readscan, as masscan does", async () => {
    const t = io();
    const out = join(dir, "converted.json");
    expect(await runCli(["--readscan", join(fixtures, "scan.bin"), "-oJ", out], t.io)).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(join(fixtures, "readscan.json"), "utf8"));
    const s = io();
    expect(
      await runCli(["--readscan", join(fixtures, "scan.xml"), join(fixtures, "scan.list")], s.io),
    ).toBe(0);
    expect(s.out()).toContain(
      "Banner on port 22/tcp on 10.98.0.2: [ssh] SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
    );
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "[\n{");
    const b = io();
    expect(await runCli(["--readscan", bad], b.io)).toBe(1);
    expect(b.err()).toMatch(/invalid JSON/);
  });

  it("notes masscan-only options instead of failing on them", async () => {
    const t = io();
    expect(await runCli([host, "-p80", "--adapter", "eth0", "--echo"], t.io)).toBe(0);
    expect(t.err()).toMatch(/"adapter" is a masscan raw-packet option; ignored/);
  });

  it("warns when --source-port overlaps the ephemeral range and prints the firewall rules", async () => {
    const t = io();
    expect(
      await runCli(
        [host, `-p${truth.open[0]}`, "--source-port", "40000-41023", "--rate", "1000"],
        t.io,
      ),
    ).toBe(0);
    expect(t.err()).toMatch(/overlaps the OS ephemeral range 32768-60999/);
    expect(t.err()).toContain("iptables -A INPUT -p tcp --dport 40000:41023 -j DROP");
    expect(t.err()).toContain("nft add rule inet filter input tcp dport 40000-41023 drop");
    expect(t.err()).toContain("block in quick proto tcp from any to any port 40000:41023");
  });

  it("source-ports: reads the OS range and suggests a free power-of-two range with its rule", async () => {
    const t = io();
    expect(await runCli(["source-ports", "--source-port", "40000-41023"], t.io)).toBe(0);
    expect(t.out()).toContain("OS ephemeral port range: 32768-60999");
    expect(t.out()).toContain("warning: source-port 40000-41023 overlaps");
    expect(t.out()).toContain("suggested: --source-port 61440-62463");
    expect(t.out()).toContain("iptables -A INPUT -p tcp --dport 61440:62463 -j DROP");
    const mac = io({ osPorts: { platform: "darwin", sysctl: async () => "49152\n65535\n" } });
    expect(await runCli(["source-ports"], mac.io)).toBe(0);
    expect(mac.out()).toContain("suggested: --source-port 48128-49151");
    const full = io({ osPorts: { platform: "linux", readFile: async () => "1024 65535" } });
    expect(await runCli(["source-ports"], full.io)).toBe(1);
    const broken = io({ osPorts: { platform: "linux", readFile: async () => "garbage" } });
    expect(await runCli(["source-ports"], broken.io)).toBe(1);
    expect(broken.err()).toMatch(/did not hold a port range/);
  });

  it("prints help and version", async () => {
    const t = io();
    expect(await runCli(["--help"], t.io)).toBe(0);
    expect(t.out()).toMatch(/usage: raw-scan/);
    expect(t.out()).toMatch(/authorised/);
    const v = io();
    expect(await runCli(["--version"], v.io)).toBe(0);
    expect(v.out()).toMatch(/^raw-scan \d+\.\d+\.\d+\n$/);
  });

  it("pauses on Ctrl-C into paused.conf; --resume appends to the first run's outputs", async () => {
    let interrupt: ((signal: "SIGINT") => void) | undefined;
    const t = io({
      onInterrupt: (h) => {
        interrupt = h;
        return () => undefined;
      },
    });
    const list1 = join(dir, "part1.list");
    const json1 = join(dir, "part1.json");
    const ports = "20001-20400";
    const first = runCli(
      [
        host,
        "-p",
        ports,
        "--rate",
        "400",
        "--seed",
        "8",
        "--show",
        "closed",
        "-oL",
        list1,
        "-oJ",
        json1,
      ],
      t.io,
    );
    await new Promise((r) => setTimeout(r, 300));
    interrupt?.("SIGINT");
    expect(await first).toBe(130);
    expect(t.err()).toContain(`results so far are in ${list1}, ${json1}`);
    const paused = readFileSync(join(dir, "paused.conf"), "utf8");
    expect(paused).toMatch(/^seed = 8\n/);
    expect(paused).toMatch(/resume-index = \d+\n/);
    const part1 = readScan(readFileSync(list1));
    expect(part1.length).toBeGreaterThan(0);
    expect(part1.length).toBeLessThan(400);
    const list2 = join(dir, "part2.list");
    const s = io();
    expect(
      await runCli(["--resume", join(dir, "paused.conf"), "--rate", "50000", "-oL", list2], s.io),
    ).toBe(0);
    // The first run's files now hold both runs: every port once at least, the first run's
    // records still there (the files were appended to, not replaced).
    const all = readScan(readFileSync(list1));
    const allJson = readScan(readFileSync(json1));
    expect(new Set(all.map((r) => r.port)).size).toBe(400);
    expect(new Set(allJson.map((r) => r.port)).size).toBe(400);
    expect(all.slice(0, part1.length)).toEqual(part1);
    const part2 = readScan(readFileSync(list2));
    expect(all.length).toBe(part1.length + part2.length);
    // Only probes in flight at the pause are probed twice.
    expect(all.length - 400).toBeLessThanOrEqual(16);
  });

  it("appends with --append-output and refuses to append to a file of another format", async () => {
    const out = join(dir, "appended.list");
    for (let i = 0; i < 2; i++) {
      const t = io();
      expect(
        await runCli(
          [host, "-p", portList(), "--rate", "20000", "-oL", out, "--append-output"],
          t.io,
        ),
      ).toBe(0);
    }
    const records = readScan(readFileSync(out));
    expect(records.length).toBe(2 * truth.open.length);
    writeFileSync(join(dir, "other.list"), readFileSync(join(fixtures, "scan.json")));
    const bad = io();
    expect(
      await runCli(
        [host, "-p", portList(), "-oL", join(dir, "other.list"), "--append-output"],
        bad.io,
      ),
    ).toBe(1);
    expect(bad.err()).toMatch(
      /cannot append to .*other\.list: it is not a complete list scan file/,
    );
    // The file that could not be appended to is untouched.
    expect(readFileSync(join(dir, "other.list"), "utf8")).toBe(
      readFileSync(join(fixtures, "scan.json"), "utf8"),
    );
  });

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)(
    "runs as a real process and %s pauses it: outputs written, paused.conf saved, exit %i",
    { tags: ["slow"], timeout: 60_000 },
    async (signal, exitCode) => {
      const cwd = mkdtempSync(join(dir, `${signal}-`));
      const cli = join(import.meta.dirname, "..", "src", "cli.ts");
      // tsx resolved from this package, since the child runs in a temporary directory.
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
      const child = spawn(
        process.execPath,
        [
          "--import",
          tsx,
          cli,
          host,
          "-p",
          "1-65535",
          "--rate",
          "500",
          "--show",
          "closed",
          "-oL",
          "found.list",
        ],
        { cwd, stdio: ["ignore", "pipe", "pipe"] },
      );
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no start: ${stderr}`)), 20_000);
        child.stderr.on("data", () => {
          if (stderr.includes("Scanning")) {
            clearTimeout(t);
            resolve();
          }
        });
      });
      await new Promise((r) => setTimeout(r, 500));
      child.kill(signal);
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      expect(stderr).toContain(`paused by ${signal}; results so far are in found.list`);
      expect(code).toBe(exitCode);
      expect(readFileSync(join(cwd, "paused.conf"), "utf8")).toMatch(/resume-index = \d+\n/);
      const found = readScan(readFileSync(join(cwd, "found.list")));
      expect(found.length).toBeGreaterThan(0);
      expect(found.every((r) => r.kind === "status")).toBe(true);
      // Nothing is left in a hidden temporary file.
      expect(readdirSync(cwd).sort()).toEqual(["found.list", "paused.conf"]);
    },
  );
});
