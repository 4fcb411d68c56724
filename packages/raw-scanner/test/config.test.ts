import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mergeConfig, parseArgv } from "../src/cli/argv.js";
import { emptyConfig } from "../src/core/config.js";
import { formatEcho, parseConfig, RawScannerError, suggestOption } from "../src/index.js";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");

const error = (fn: () => unknown): RawScannerError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof RawScannerError) return e;
    throw e;
  }
  throw new Error("expected a RawScannerError");
};

describe("masscan.conf parsing", () => {
  it("reads name = value lines, comments, and treats dashes and underscores alike", () => {
    const c = parseConfig(
      [
        "# a comment",
        "rate = 1000",
        "max_rate=5000",
        "rate-cap = 9000",
        "  Source-Port = 40000-41023  ",
        "ports = 22,80",
        "port = 443",
        "range = 127.0.0.0/24",
        "exclude = 127.0.0.5",
        "exclude-file = /tmp/x",
        "banners",
        "seed = 18446744073709551615",
        "shards = 2/3",
        "retries = 2",
        "wait = 0",
        "workers = auto",
        "output-format = json",
        "output-filename = out.json",
        "",
      ].join("\n"),
    );
    // masscan's max-rate is its rate: the later line wins, as in masscan.
    expect(c.rate).toBe(5000);
    expect(c.rateCap).toBe(9000);
    expect(c.sourcePort).toBe("40000-41023");
    expect(c.ports).toEqual(["22,80", "443"]);
    expect(c.targets).toEqual(["127.0.0.0/24"]);
    expect(c.exclude).toEqual(["127.0.0.5"]);
    expect(c.excludeFiles).toEqual(["/tmp/x"]);
    expect(c.banners).toBe(true);
    expect(c.seed).toBe(18446744073709551615n);
    expect(c.shard).toEqual({ index: 2, count: 3 });
    expect(c.retries).toBe(2);
    expect(c.wait).toBe(0);
    expect(c.workers).toBe("auto");
    expect(parseConfig("workers = 3").workers).toBe(3);
    expect(c.outputs).toEqual([{ format: "json", filename: "out.json" }]);
  });

  it("makes an unknown option fatal, naming file, line and the closest option", () => {
    const e = error(() =>
      parseConfig("rate = 10\nrtae = 100\n", "/etc/raw-scanner/raw-scanner.conf"),
    );
    expect(e.code).toBe("CONFIG_UNKNOWN_OPTION");
    expect(e.suggestion).toBe("rate");
    expect(e.line).toBe(2);
    expect(e.path).toBe("/etc/raw-scanner/raw-scanner.conf");
    expect(e.message).toMatch(/raw-scanner\.conf:2: unknown option "rtae"; did you mean "rate"\?/);
    expect(suggestOption("zzzzzzzzzzzz")).toBeUndefined();
  });

  it.each([
    ["rate = fast", /rate = fast: must be a number/],
    ["seed = -1", /seed/],
    ["seed = 18446744073709551616", /64-bit/],
    ["shard = 3/2", /shard/],
    ["retries = 1.5", /retries/],
    ["banners = maybe", /true or false/],
    ["backend = rust", /auto, native or js/],
    ["show = everything", /open, closed or filtered/],
    ["output-format = pdf", /must be one of/],
    ["output-format = json", /given together/],
    ["= 5", /not a name = value line/],
    ["resume-index = x", /non-negative integer/],
    ["workers = many", /auto or an integer 0–64/],
  ])("rejects %s", (line, message) => {
    const e = error(() => parseConfig(line));
    expect(e.code).toBe("CONFIG_INVALID");
    expect(e.message).toMatch(message);
  });

  it("reads masscan's own --echo output, noting masscan-only options as ignored", () => {
    const c = parseConfig(fixture("echo.conf"));
    expect(c.seed).toBe(11417171262826744275n);
    expect(c.rate).toBe(100);
    expect(c.shard).toEqual({ index: 1, count: 1 });
    expect(c.ports).toEqual(["80"]);
    expect(c.targets).toEqual(["10.0.0.0/8"]);
    expect(c.ignored).toEqual(["nocapture"]);
  });

  it("echoes in masscan's layout, and the echo parses back to the same configuration", () => {
    const args = parseArgv([
      "-p80",
      "10.0.0.0/8",
      "--rate",
      "100",
      "--source-port",
      "40000-41023",
      "--seed",
      "11417171262826744275",
    ]);
    const text = formatEcho(args.config, {
      seed: 11417171262826744275n,
      rate: 100,
      shard: { index: 1, count: 1 },
    });
    const masscan = fixture("echo.conf").split("\n");
    const ours = text.split("\n");
    // Same first lines (seed, padded rate, shard) and the same target section, byte for byte.
    expect(ours.slice(0, 3)).toEqual(masscan.slice(0, 3));
    const section = (lines: string[]) =>
      lines.slice(lines.indexOf("# TARGET SELECTION (IP, PORTS, EXCLUDES)"));
    expect(section(ours)).toEqual(section(masscan));
    expect(ours).toContain("source-port = 40000-41023");
    const back = parseConfig(text);
    expect(back.seed).toBe(11417171262826744275n);
    expect(back.sourcePort).toBe("40000-41023");
    expect(back.targets).toEqual(["10.0.0.0/8"]);
    expect(back.ports).toEqual(["80"]);
  });
});

describe("command-line arguments", () => {
  it("reads masscan's flags", () => {
    const a = parseArgv([
      "127.0.0.1",
      "-p22,80",
      "-p",
      "443",
      "--rate=5000",
      "--banners",
      "-oJ",
      "a.json",
      "-oL",
      "a.list",
      "-oG",
      "a.grep",
      "-oX",
      "a.xml",
      "-oD",
      "a.ndjson",
      "-oB",
      "a.bin",
      "--excludefile",
      "ex.txt",
      "--shards",
      "1/2",
      "--seed",
      "7",
      "--source-port",
      "40000-40063",
      "--wait",
      "2",
      "-c",
      "extra.conf",
      "--resume",
      "paused.conf",
      "::1",
      "--exclude",
      "127.0.0.9",
      "--allow-reserved",
      "false",
    ]);
    expect(a.command).toBe("scan");
    expect(a.config.targets).toEqual(["127.0.0.1", "::1"]);
    expect(a.config.ports).toEqual(["22,80", "443"]);
    expect(a.config.rate).toBe(5000);
    expect(a.config.banners).toBe(true);
    expect(a.config.allowReserved).toBe(false);
    expect(a.config.outputs.map((o) => o.format)).toEqual([
      "json",
      "list",
      "grepable",
      "xml",
      "ndjson",
      "binary",
    ]);
    expect(a.config.excludeFiles).toEqual(["ex.txt"]);
    expect(a.config.exclude).toEqual(["127.0.0.9"]);
    expect(a.config.shard).toEqual({ index: 1, count: 2 });
    expect(a.config.seed).toBe(7n);
    expect(a.config.sourcePort).toBe("40000-40063");
    expect(a.config.wait).toBe(2);
    expect(a.configFiles).toEqual(["extra.conf"]);
    expect(a.resumeFile).toBe("paused.conf");
  });

  it("knows the other commands", () => {
    expect(parseArgv(["--echo", "-p80", "127.0.0.1"]).command).toBe("echo");
    expect(parseArgv(["--readscan", "a.bin", "b.json", "-oJ", "x"]).readscan).toEqual([
      "a.bin",
      "b.json",
    ]);
    expect(parseArgv(["source-ports", "--size", "64"]).size).toBe(64);
    expect(parseArgv(["-h"]).command).toBe("help");
    expect(parseArgv(["--version"]).command).toBe("version");
  });

  it("fails clearly on unknown flags and missing values", () => {
    expect(error(() => parseArgv(["--ratee", "5"])).suggestion).toBe("rate");
    expect(error(() => parseArgv(["-x"])).code).toBe("CONFIG_UNKNOWN_OPTION");
    expect(error(() => parseArgv(["-oJ"])).message).toMatch(/-oJ needs a value/);
    expect(error(() => parseArgv(["--readscan"])).message).toMatch(/at least one file/);
    expect(error(() => parseArgv(["source-ports", "--size", "3.5"])).code).toBe("INVALID_ARGUMENT");
  });

  it("merges: lists add up, later single values win", () => {
    const a = parseConfig("rate = 10\nports = 22\nrange = 127.0.0.1\n");
    const b = parseConfig("rate = 20\nports = 80\n");
    const m = mergeConfig(a, b);
    expect(m.rate).toBe(20);
    expect(m.ports).toEqual(["22", "80"]);
    expect(m.targets).toEqual(["127.0.0.1"]);
    expect(mergeConfig(emptyConfig(), a).rate).toBe(10);
  });
});

describe("masscan's flags on the command line", () => {
  it("reads each with masscan's meaning", () => {
    const a = parseArgv([
      "127.0.0.1",
      "-p80",
      "--max-rate",
      "700",
      "--rate-cap",
      "800",
      "--hello-timeout",
      "5",
      "--connection-timeout",
      "12",
      "--connect-timeout",
      "0.5",
      "--http-user-agent",
      "Mozilla/5.0 (audit)",
      "--hello-string[8080]",
      "R0VUIC8gSFRUUC8xLjANCg0K",
      "--append-output",
      "--open-only",
      "--output-file",
      "out.xml",
      "--output-format",
      "xml",
      "--adapter",
      "eth1",
      "-vv",
      "--masscan-conf",
    ]);
    expect(a.config.rate).toBe(700);
    expect(a.config.rateCap).toBe(800);
    expect(a.config.helloTimeout).toBe(5);
    expect(a.config.connectionTimeout).toBe(12);
    expect(a.config.connectTimeout).toBe(0.5);
    expect(a.config.httpUserAgent).toBe("Mozilla/5.0 (audit)");
    expect(a.config.hellos).toEqual({ 8080: "R0VUIC8gSFRUUC8xLjANCg0K" });
    expect(a.config.appendOutput).toBe(true);
    expect(a.config.openOnly).toBe(true);
    expect(a.config.outputs).toEqual([{ format: "xml", filename: "out.xml" }]);
    expect(a.config.ignored).toEqual(["adapter"]);
    expect(a.verbose).toBe(2);
    expect(a.masscanConf).toBe(true);
    // The echo of all that parses back to the same settings.
    const echoed = parseConfig(
      formatEcho(a.config, { seed: 1n, rate: 700, shard: { index: 1, count: 1 } }),
    );
    expect([echoed.rateCap, echoed.helloTimeout, echoed.connectionTimeout, echoed.hellos]).toEqual([
      800,
      5,
      12,
      { 8080: "R0VUIC8gSFRUUC8xLjANCg0K" },
    ]);
  });

  it("no longer takes a short flag for a long name: -sS is masscan's SYN scan, accepted", () => {
    expect(parseArgv(["127.0.0.1", "-p80", "-sS"]).config.notes).toEqual([
      "-sS: the native backend does a SYN scan when it can run (root or cap_net_raw); the connect backend completes the handshake",
    ]);
    expect(suggestOption("ss")).toBeUndefined();
    expect(suggestOption("top-port")).toBe("top-ports");
    expect(suggestOption("hello-timout")).toBe("hello-timeout");
  });
});
