/**
 * `raw-scan firewall`: the printed rules, the reserved-ports list arithmetic, failures, and
 * (tag `root`) --apply / --remove for real with iptables and nft inside an empty network
 * namespace this test creates (`unshare -n`), so the host's firewall is never touched.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { type CliIo, runCli } from "../src/cli/main.js";
import { applyFirewall, type CommandRunner, withoutReserved, withReserved } from "../src/index.js";
import { missingNetns, missingTool } from "./helpers/tools.js";

const io = () => {
  let out = "";
  let err = "";
  const t: CliIo = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env: {},
    defaultConfigPaths: [],
  };
  return { io: t, out: () => out, err: () => err };
};

describe("raw-scan firewall --print", () => {
  it("prints the iptables, nft and pf rules, their undo lines and the reservation", async () => {
    const t = io();
    expect(await runCli(["firewall", "--print", "--source-port", "50000-50511"], t.io)).toBe(0);
    const out = t.out();
    expect(out).toContain(
      "iptables -I INPUT 1 -p tcp --dport 50000:50511 -m comment --comment raw_scan -j DROP",
    );
    expect(out).toContain("nft add rule inet raw_scan input tcp dport 50000-50511 drop");
    expect(out).toContain("undo: nft delete table inet raw_scan");
    expect(out).toContain("block in quick proto tcp from any to any port 50000:50511");
    expect(out).toContain("sysctl -w net.ipv4.ip_local_reserved_ports=50000-50511");
  });

  it("prints one tool when asked, with the default range", async () => {
    const t = io();
    expect(await runCli(["firewall", "--print", "--tool", "nft"], t.io)).toBe(0);
    expect(t.out()).toContain("tcp dport 40000-41023 drop");
    expect(t.out()).not.toContain("iptables");
  });

  it.each([
    [["firewall", "--print", "--apply"], /--print or --apply, not both/],
    [["firewall", "--remove"], /--remove goes with --apply/],
    [["firewall", "--tool", "ufw"], /--tool must be auto, iptables, nft or pf, got ufw/],
    [["firewall", "--bogus"], /unknown option "--bogus" for firewall/],
    [["firewall", "--print", "--source-port", "40000-40002"], /power of two/],
    [["firewall", "--apply", "--tool", "pf"], /for pf add this line to \/etc\/pf\.conf/],
  ])("fails with a clear message: %j", async (args, message) => {
    const t = io();
    expect(await runCli(args, t.io)).toBe(1);
    expect(t.err()).toMatch(message);
  });
});

describe("reserved ports", () => {
  it("adds the range once and removes exactly it", () => {
    expect(withReserved("", { first: 40000, last: 41023 })).toBe("40000-41023");
    expect(withReserved("8080,40000-41023", { first: 40000, last: 41023 })).toBe(
      "8080,40000-41023",
    );
    expect(withReserved("39000-42000", { first: 40000, last: 41023 })).toBe("39000-42000");
    expect(withReserved("8080", { first: 40000, last: 40000 })).toBe("8080,40000");
    expect(withoutReserved("8080,40000-41023", { first: 40000, last: 41023 })).toBe("8080");
    expect(withoutReserved("39000-42000", { first: 40000, last: 41023 })).toBe("39000-42000");
  });

  it("a failing firewall command is a FIREWALL error with the tool's message; the file is untouched", async () => {
    const dir = mkdtempSync(join(tmpdir(), "raw-scan-fw-"));
    const path = join(dir, "reserved");
    writeFileSync(path, "8080\n");
    const calls: string[] = [];
    const run: CommandRunner = async (command, args) => {
      calls.push(`${command} ${args.join(" ")}`);
      if (args[0] === "-C") return { code: 1, stdout: "", stderr: "" };
      return { code: 4, stdout: "", stderr: "iptables: Permission denied (you must be root)." };
    };
    try {
      const e = await applyFirewall({
        range: { first: 40000, last: 41023 },
        tool: "iptables",
        run,
        reservedPortsPath: path,
        platform: "linux",
      }).catch((error: unknown) => error as Error & { code?: string });
      expect(e).toBeInstanceOf(Error);
      expect((e as { code?: string }).code).toBe("FIREWALL");
      expect((e as Error).message).toMatch(
        /iptables -I INPUT 1 .* failed \(exit 4\): iptables: Permission denied/,
      );
      expect(calls).toEqual([
        "iptables -C INPUT -p tcp --dport 40000:41023 -m comment --comment raw_scan -j DROP",
        "iptables -I INPUT 1 -p tcp --dport 40000:41023 -m comment --comment raw_scan -j DROP",
      ]);
      expect(readFileSync(path, "utf8")).toBe("8080\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const cli = join(import.meta.dirname, "..", "src", "cli.ts");
const why =
  missingNetns() || missingTool("iptables", ["--version"]) || missingTool("nft", ["--version"]);

describe.skipIf(why !== false)("raw-scan firewall --apply", { tags: ["root"] }, () => {
  /** Runs a shell script in a fresh network namespace; `$RS` is the CLI. */
  const inNetns = async (script: string) => {
    const { stdout } = await promisify(execFile)("unshare", ["-n", "sh", "-ec", script, "sh"], {
      env: { ...process.env, RS: `${process.execPath} --import ${tsx} ${cli}` },
      timeout: 120_000,
    });
    return stdout;
  };

  it.each(["iptables", "nft"])(
    "with %s: installs the drop rule and the reservation once, then removes both",
    async (tool) => {
      const list =
        tool === "iptables"
          ? "iptables -S INPUT"
          : "nft list table inet raw_scan 2>/dev/null || true";
      const out = await inNetns(
        `$RS firewall --apply --tool ${tool}; $RS firewall --apply --tool ${tool}; echo ---; ${list}; ` +
          "cat /proc/sys/net/ipv4/ip_local_reserved_ports; echo ---; " +
          `$RS firewall --apply --remove --tool ${tool}; echo ---; ${list}; cat /proc/sys/net/ipv4/ip_local_reserved_ports`,
      );
      const [applied, installed, removed, after] = out.split("---\n") as [
        string,
        string,
        string,
        string,
      ];
      expect(applied.match(/^done: /gm)?.length).toBeGreaterThanOrEqual(2);
      expect(applied).toMatch(/already so: .*40000/);
      expect(installed).toContain("40000-41023\n");
      const rules = installed.split("\n").filter((l) => /40000[-:]41023 .*(drop|DROP)/.test(l));
      expect(rules.length).toBe(1);
      expect(removed).toMatch(/^done: /m);
      expect(after).not.toMatch(/40000/);
    },
    120_000,
  );
});
