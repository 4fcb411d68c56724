/**
 * Privileged (tag `root`): each case runs in an empty network namespace it creates with
 * `unshare -n` (only a loopback interface, nothing listening, no route anywhere), so nothing can
 * leave the machine whatever the scanner does.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { missingNetns } from "./helpers/tools.js";

const noNetns = missingNetns();
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const cli = join(import.meta.dirname, "..", "src", "cli.ts");

/** Runs `node --import tsx <args>` in a fresh network namespace with `lo` up. */
async function inEmptyNetns(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = `ip link set lo up && exec "$@"`;
  try {
    const { stdout, stderr } = await promisify(execFile)(
      "unshare",
      ["-n", "sh", "-c", script, "sh", process.execPath, "--import", tsx, ...args],
      { maxBuffer: 16 * 1024 * 1024, timeout: 300_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw error;
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe.skipIf(noNetns)("in an empty network namespace", { tags: ["root"] }, () => {
  it("refuses 0.0.0.0/0 and ::/0 without an exclude, with masscan's explanation and the count", async () => {
    const v4 = await inEmptyNetns([cli, "0.0.0.0/0", "-p80"]);
    expect(v4.code).toBe(1);
    expect(v4.stderr).toContain("range too big, need confirmation");
    expect(v4.stderr).toContain("4,294,967,296 addresses");
    expect(v4.stderr).toContain('use "--exclude 255.255.255.255"');
    expect(v4.stderr).not.toContain("Scanning");
    const v6 = await inEmptyNetns([cli, "::/0", "-p80", "--rate", "10"]);
    expect(v6.code).toBe(1);
    expect(v6.stderr).toContain("340,282,366,920,938,463,463,374,607,431,768,211,456 addresses");
    // The confirmation masscan asks for: --echo validates and prints, still sending nothing.
    const confirmed = await inEmptyNetns([
      cli,
      "0.0.0.0/0",
      "-p80",
      "--exclude",
      "255.255.255.255",
      "--echo",
    ]);
    expect(confirmed.code).toBe(0);
    expect(confirmed.stdout).toContain("range = 0.0.0.0/0\n");
    expect(confirmed.stdout).toContain("exclude = 255.255.255.255\n");
  }, 60_000);

  it("finds no phantom port sweeping the ephemeral range of 127.0.0.1 and ::1, three times each", {
    tags: ["slow"],
    timeout: 300_000,
  }, async () => {
    const sweep = join(import.meta.dirname, "helpers", "sweep-ephemeral.ts");
    const { code, stdout, stderr } = await inEmptyNetns([sweep, "3"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      range: [number, number];
      sweeps: Array<{ target: string; open: number[]; selfConnects: number }>;
    };
    expect(report.sweeps.map((s) => s.target)).toEqual([
      "127.0.0.1",
      "::1",
      "127.0.0.1",
      "::1",
      "127.0.0.1",
      "::1",
    ]);
    for (const s of report.sweeps) expect(s.open).toEqual([]);
    console.info(
      `ephemeral range ${report.range.join("-")}: self-connects discarded per sweep: ${report.sweeps.map((s) => s.selfConnects).join(", ")}`,
    );
  });
});
