import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import type { SourcePortRange } from "../core/cookies.js";
import { firewallRules } from "../core/source-ports.js";
import { RawScannerError } from "../errors.js";

/** A firewall tool `raw-scan firewall` knows. */
export type FirewallTool = "iptables" | "nft" | "pf";

/** Runs a command; resolves with its exit code and output (never rejects on a non-zero exit). */
export type CommandRunner = (
  command: string,
  args: readonly string[],
) => Promise<{ code: number; stdout: string; stderr: string }>;

/** The Linux file of `net.ipv4.ip_local_reserved_ports`. */
export const RESERVED_PORTS_PATH = "/proc/sys/net/ipv4/ip_local_reserved_ports";

/** Name of the nftables table (and iptables comment) the rules live in, so removal is exact. */
const TAG = "raw_scan";

/** The commands that install and remove the drop rule with one tool, as argv lists. */
export interface FirewallCommands {
  tool: FirewallTool;
  /** Shell lines to print (what `--apply` runs, or for pf what to put in /etc/pf.conf). */
  print: string[];
  /** Shell lines that undo it. */
  undo: string[];
}

/**
 * The drop rule for `range` with each tool, plus the reservation of the range, as commands a
 * person can paste: iptables and nft get their own tag (comment / table) so `--remove` deletes
 * exactly what `--apply` added.
 */
export function firewallCommands(range: SourcePortRange): {
  iptables: FirewallCommands;
  nft: FirewallCommands;
  pf: FirewallCommands;
  reserve: { print: string[]; undo: string[] };
} {
  const { first, last } = range;
  const span = `${first}:${last}`;
  const dash = `${first}-${last}`;
  const rules = firewallRules(range);
  return {
    iptables: {
      tool: "iptables",
      print: [`iptables -I INPUT 1 -p tcp --dport ${span} -m comment --comment ${TAG} -j DROP`],
      undo: [`iptables -D INPUT -p tcp --dport ${span} -m comment --comment ${TAG} -j DROP`],
    },
    nft: {
      tool: "nft",
      print: [
        `nft add table inet ${TAG}`,
        `nft 'add chain inet ${TAG} input { type filter hook input priority -10; }'`,
        `nft add rule inet ${TAG} input tcp dport ${dash} drop`,
      ],
      undo: [`nft delete table inet ${TAG}`],
    },
    pf: {
      tool: "pf",
      print: [`${rules.pf}   # in /etc/pf.conf, then: pfctl -f /etc/pf.conf`],
      undo: ["remove that line from /etc/pf.conf, then: pfctl -f /etc/pf.conf"],
    },
    reserve: {
      print: [
        `sysctl -w net.ipv4.ip_local_reserved_ports=${dash}   # keep: echo 'net.ipv4.ip_local_reserved_ports=${dash}' > /etc/sysctl.d/60-raw-scan.conf`,
      ],
      undo: ["sysctl -w net.ipv4.ip_local_reserved_ports= (or the list without the range)"],
    },
  };
}

/** Parses `8080,40000-41023` into ranges. */
export function parseReservedPorts(text: string): SourcePortRange[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [a, b] = s.split("-");
      return { first: Number(a), last: Number(b ?? a) };
    });
}

/** The reserved list with `range` added (unchanged when already covered). */
export function withReserved(current: string, range: SourcePortRange): string {
  const list = parseReservedPorts(current);
  let covered = 0;
  for (let p = range.first; p <= range.last; p++) {
    if (list.some((r) => r.first <= p && p <= r.last)) covered++;
  }
  if (covered === range.last - range.first + 1) return list.map(fmt).join(",");
  return [...list, range].map(fmt).join(",");
}

/** The reserved list without exactly `range` (other entries kept). */
export function withoutReserved(current: string, range: SourcePortRange): string {
  return parseReservedPorts(current)
    .filter((r) => !(r.first === range.first && r.last === range.last))
    .map(fmt)
    .join(",");
}

const fmt = (r: SourcePortRange) => (r.first === r.last ? `${r.first}` : `${r.first}-${r.last}`);

/** Options of {@link applyFirewall}. */
export interface ApplyFirewallOptions {
  range: SourcePortRange;
  /**
   * The tool; `auto` takes nft when it is installed, else iptables.
   *
   * @defaultValue `"auto"`
   */
  tool?: FirewallTool | "auto";
  /**
   * Undo instead of install.
   *
   * @defaultValue false
   */
  remove?: boolean;
  /**
   * Also reserve the range (`net.ipv4.ip_local_reserved_ports`) so the kernel never hands it
   * to a connect of its own.
   *
   * @defaultValue true
   */
  reserve?: boolean;
  /**
   * Runs the firewall commands.
   *
   * @defaultValue child_process.execFile
   */
  run?: CommandRunner;
  /**
   * The reserved-ports file.
   *
   * @defaultValue `/proc/sys/net/ipv4/ip_local_reserved_ports`
   */
  reservedPortsPath?: string;
  /**
   * The platform.
   *
   * @defaultValue `process.platform`
   */
  platform?: NodeJS.Platform;
}

/** What {@link applyFirewall} did, line by line. */
export interface ApplyFirewallResult {
  tool: FirewallTool;
  /** Each step, as it would be typed, and whether it changed something. */
  steps: Array<{ command: string; changed: boolean }>;
}

export const defaultRunner: CommandRunner = (command, args) =>
  new Promise((resolve) => {
    execFile(command, [...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code =
        error === null
          ? 0
          : typeof (error as { code?: unknown }).code === "number"
            ? ((error as { code: number }).code as number)
            : 127;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || error?.message || "") });
    });
  });

/**
 * Installs (or removes) the rule that drops inbound TCP to the scanner's source ports, and
 * reserves the range; idempotent (a second apply changes nothing). Linux only: for pf it
 * throws with the line to add to /etc/pf.conf.
 */
export async function applyFirewall(options: ApplyFirewallOptions): Promise<ApplyFirewallResult> {
  const run = options.run ?? defaultRunner;
  const platform = options.platform ?? process.platform;
  const { range } = options;
  const commands = firewallCommands(range);
  if (
    options.tool === "pf" ||
    (platform !== "linux" && options.tool !== "iptables" && options.tool !== "nft")
  ) {
    throw new RawScannerError(
      "FIREWALL",
      `--apply installs iptables or nft rules on Linux; for pf add this line to /etc/pf.conf and run pfctl -f /etc/pf.conf:\n  ${firewallRules(range).pf}`,
    );
  }
  let tool = options.tool ?? "auto";
  if (tool === "auto") {
    tool = (await run("nft", ["--version"])).code === 0 ? "nft" : "iptables";
  }
  const steps: ApplyFirewallResult["steps"] = [];
  const must = async (args: readonly string[], line: string) => {
    const r = await run(tool, args);
    if (r.code !== 0) {
      throw new RawScannerError(
        "FIREWALL",
        `${line} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}${r.code === 127 ? ` (is ${tool} installed?)` : ""}`,
        { input: line },
      );
    }
    steps.push({ command: line, changed: true });
  };
  const span = `${range.first}:${range.last}`;
  const match = ["-p", "tcp", "--dport", span, "-m", "comment", "--comment", TAG, "-j", "DROP"];
  if (tool === "iptables") {
    const present = (await run("iptables", ["-C", "INPUT", ...match])).code === 0;
    if (options.remove) {
      if (present) await must(["-D", "INPUT", ...match], commands.iptables.undo[0] as string);
      else steps.push({ command: commands.iptables.undo[0] as string, changed: false });
    } else if (present) {
      steps.push({ command: commands.iptables.print[0] as string, changed: false });
    } else {
      await must(["-I", "INPUT", "1", ...match], commands.iptables.print[0] as string);
    }
  } else {
    const listed = await run("nft", ["list", "table", "inet", TAG]);
    const exists = listed.code === 0;
    const dports = `${range.first}-${range.last}`;
    if (options.remove) {
      if (exists) await must(["delete", "table", "inet", TAG], commands.nft.undo[0] as string);
      else steps.push({ command: commands.nft.undo[0] as string, changed: false });
    } else if (exists && listed.stdout.includes(`tcp dport ${dports} drop`)) {
      for (const line of commands.nft.print) steps.push({ command: line, changed: false });
    } else {
      // One table of our own, rebuilt: whatever was in it before, it ends with exactly one rule.
      if (exists) await must(["delete", "table", "inet", TAG], `nft delete table inet ${TAG}`);
      await must(["add", "table", "inet", TAG], commands.nft.print[0] as string);
      await must(
        ["add", "chain", "inet", TAG, "input", "{ type filter hook input priority -10; }"],
        commands.nft.print[1] as string,
      );
      await must(
        ["add", "rule", "inet", TAG, "input", "tcp", "dport", dports, "drop"],
        commands.nft.print[2] as string,
      );
    }
  }
  if (options.reserve ?? true) {
    const path = options.reservedPortsPath ?? RESERVED_PORTS_PATH;
    let current: string;
    try {
      current = (await readFile(path, "utf8")).trim();
    } catch (cause) {
      throw new RawScannerError("FIREWALL", `cannot read ${path}: ${(cause as Error).message}`, {
        cause,
        path,
      });
    }
    const next = options.remove ? withoutReserved(current, range) : withReserved(current, range);
    const line = `sysctl -w net.ipv4.ip_local_reserved_ports=${next}`;
    if (next === parseReservedPorts(current).map(fmt).join(",")) {
      steps.push({ command: line, changed: false });
    } else {
      try {
        await writeFile(path, `${next}\n`);
      } catch (cause) {
        throw new RawScannerError("FIREWALL", `cannot write ${path}: ${(cause as Error).message}`, {
          cause,
          path,
        });
      }
      steps.push({ command: line, changed: true });
    }
  }
  return { tool, steps };
}
