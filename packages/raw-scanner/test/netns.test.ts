/**
 * Privileged: scans a host in a network namespace this test creates (root and iproute2
 * needed; CI runs as root). Only the namespace's addresses are ever probed.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ScanResult, scan } from "../src/index.js";
import { missingNetns, missingTool } from "./helpers/tools.js";

/** Skipped with its reason without root or iproute2; in CI (root, apt packages) a failure. */
const why = missingNetns() || missingTool("ip", ["netns", "list"]);

const ip = (...args: string[]) =>
  execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"] }).toString();

describe.skipIf(why !== false)("scan of a host in a network namespace", { tags: ["root"] }, () => {
  const tag = Math.random().toString(36).slice(2, 8);
  const ns = `rs-${tag}`;
  const hostSide = `rsh${tag}`;
  const nsSide = `rsn${tag}`;
  let subnet = "";
  let listener: ChildProcess | undefined;
  const open: number[] = [];
  const closed: number[] = [];

  beforeAll(async () => {
    // A /29 nobody on this machine uses: .1 is us, .2 the namespace host, .5 nobody.
    const used = ip("-4", "addr") + ip("-4", "route");
    for (let i = 0; i < 50 && !subnet; i++) {
      const candidate = `10.98.${Math.floor(Math.random() * 250) + 1}`;
      if (!used.includes(`${candidate}.`)) subnet = candidate;
    }
    if (!subnet) throw new Error("no free 10.98.x.0/29 subnet for the test namespace");
    ip("netns", "add", ns);
    ip("link", "add", hostSide, "type", "veth", "peer", "name", nsSide);
    ip("link", "set", nsSide, "netns", ns);
    ip("addr", "add", `${subnet}.1/29`, "dev", hostSide);
    ip("link", "set", hostSide, "up");
    ip("netns", "exec", ns, "ip", "addr", "add", `${subnet}.2/29`, "dev", nsSide);
    ip("netns", "exec", ns, "ip", "link", "set", nsSide, "up");
    ip("netns", "exec", ns, "ip", "link", "set", "lo", "up");
    const program = `
      const net = require("net");
      const servers = [];
      let pending = 16;
      for (let i = 0; i < 16; i++) {
        const s = net.createServer((c) => { c.on("error", () => {}); c.destroy(); });
        s.listen(0, "${subnet}.2", () => {
          servers.push(s);
          if (--pending === 0) {
            const ports = servers.map((x) => x.address().port);
            const closing = servers.splice(8);
            let left = closing.length;
            for (const c of closing) c.close(() => { if (--left === 0) console.log(JSON.stringify({ open: ports.slice(0, 8), closed: ports.slice(8) })); });
          }
        });
      }`;
    listener = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", program], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const ports = await new Promise<{ open: number[]; closed: number[] }>((resolve, reject) => {
      listener?.stdout?.once("data", (d: Buffer) => resolve(JSON.parse(d.toString())));
      listener?.once("exit", (code) => reject(new Error(`namespace listener exited (${code})`)));
    });
    open.push(...ports.open);
    closed.push(...ports.closed);
  }, 30_000);

  afterAll(() => {
    listener?.kill("SIGKILL");
    try {
      ip("netns", "del", ns);
    } catch {}
    try {
      ip("link", "del", hostSide);
    } catch {}
  });

  it("finds exactly the namespace host's open ports", async () => {
    const results: ScanResult[] = [];
    for await (const r of scan({
      targets: `${subnet}.2`,
      ports: [...open, ...closed],
      rate: 5000,
      show: ["open", "closed"],
    })) {
      results.push(r);
    }
    expect(
      results
        .filter((r) => r.status === "open")
        .map((r) => r.port)
        .sort(),
    ).toEqual([...open].sort());
    expect(
      results
        .filter((r) => r.status === "closed")
        .map((r) => r.port)
        .sort(),
    ).toEqual([...closed].sort());
  }, 30_000);

  it("reports an address with no host behind it as filtered", async () => {
    const results: ScanResult[] = [];
    for await (const r of scan({
      targets: `${subnet}.5`,
      ports: [80],
      rate: 100,
      connectTimeoutMs: 8000,
      show: ["open", "closed", "filtered"],
    })) {
      results.push(r);
    }
    expect(results.map((r) => r.status)).toEqual(["filtered"]);
    expect(["host-unreach", "no-response"]).toContain(results[0]?.reason);
  }, 30_000);
});
