import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createCanvas } from "@napi-rs/canvas";
import { describe, expect, it } from "vitest";
import { decodeEscPos, encodeEscPos, sendToPrinter } from "../src/index.js";
import { startVirtualPrinter } from "../src/virtual-printer.js";
import { poolCopy, tempDir } from "./helpers.js";

const root = join(import.meta.dirname, "..", "..", "..");
const tsx = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
const cli = join(import.meta.dirname, "..", "src", "cli.ts");

function run(
  args: string[],
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", tsx, cli, ...args], { cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => {
      stdout += c;
    });
    child.stderr.on("data", (c) => {
      stderr += c;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

// Each run starts node with the tsx loader (a few seconds under load): tagged slow.
describe("thermal-comic CLI", { tags: ["slow"], timeout: 120_000 }, () => {
  it("compose writes the hi-res PNG, the printer-resolution PNG and the layout; the same seed gives the same bytes", async () => {
    const dir = tempDir();
    const first = await run(
      ["compose", "--seed", "7", "--width", "384", "--height", "800", "--out", "a/comic"],
      dir,
    );
    expect(first.stderr).toContain("[5/5] encode");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/seed 7: \d+ panels on 384×800 dots/);
    const png = readFileSync(join(dir, "a", "comic.png"));
    expect(png.readUInt32BE(16)).toBe(768);
    const print = readFileSync(join(dir, "a", "comic.print.png"));
    expect([print.readUInt32BE(16), print.readUInt32BE(20)]).toEqual([384, 800]);
    const layout = JSON.parse(readFileSync(join(dir, "a", "comic.json"), "utf8"));
    expect(layout).toMatchObject({ version: 1, seed: 7, width: 384, height: 800, scale: 2 });

    const second = await run(
      ["compose", "--seed", "7", "--width", "384", "--height", "800", "--out", "b/comic", "-q"],
      dir,
    );
    expect(second.code).toBe(0);
    expect(second.stderr).toBe("");
    expect(readFileSync(join(dir, "b", "comic.png")).equals(png)).toBe(true);
  });

  it("compose takes a script, a pool folder and a layout from an earlier run", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "script.yaml"), "- caption: Once upon a time\n- balloons: [Hi!]\n");
    const made = await run(
      [
        "compose",
        "--seed",
        "x",
        "--width",
        "384",
        "--height",
        "700",
        "--panels",
        "2",
        "--script",
        "script.yaml",
        "--pool",
        poolCopy(),
        "--out",
        "one",
        "-q",
      ],
      dir,
    );
    expect(made.code).toBe(0);
    const layout = JSON.parse(readFileSync(join(dir, "one.json"), "utf8"));
    expect(layout.seed).toBe("x");
    expect(layout.panels[0].caption.text).toBe("Once upon a time");
    expect(layout.panels[1].balloons[0].text).toBe("Hi!");
    const again = await run(
      ["compose", "--seed", "y", "--width", "384", "--layout", "one.json", "--out", "two", "-q"],
      dir,
    );
    expect(again.code).toBe(0);
    const second = JSON.parse(readFileSync(join(dir, "two.json"), "utf8"));
    expect(second.panels.map((p: { polygon: unknown }) => p.polygon)).toEqual(
      layout.panels.map((p: { polygon: unknown }) => p.polygon),
    );
  });

  it("detect prints the panels of a grid image", async () => {
    const dir = tempDir();
    const canvas = createCanvas(200, 300);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, 200, 300);
    ctx.lineWidth = 3;
    ctx.strokeRect(10, 10, 180, 130);
    ctx.strokeRect(10, 160, 180, 130);
    writeFileSync(join(dir, "grid.png"), await canvas.encode("png"));
    const result = await run(["detect", "grid.png"], dir);
    expect(result.code).toBe(0);
    const template = JSON.parse(result.stdout);
    expect(template).toMatchObject({ width: 200, height: 300 });
    expect(template.panels).toHaveLength(2);
  });

  it("prints usage, and exits 2 on bad usage or arguments and 1 on bad input files", async () => {
    const dir = tempDir();
    const help = await run(["--help"], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: thermal-comic/);
    const version = await run(["--version"], dir);
    expect(version.stdout.trim()).toBe(
      JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8")).version,
    );
    expect((await run(["compose", "--bogus"], dir)).code).toBe(2);
    expect((await run(["draw"], dir)).code).toBe(2);
    const width = await run(["compose", "--width", "abc"], dir);
    expect(width.code).toBe(2);
    expect(width.stderr).toContain("--width must be a number");
    const narrow = await run(["compose", "--width", "10", "-q"], dir);
    expect(narrow.code).toBe(2);
    expect(narrow.stderr).toContain("INVALID_ARGUMENT");
    const pool = poolCopy();
    rmSync(join(pool, "cat.json"));
    const missing = await run(["compose", "--pool", pool, "-q", "--out", "x"], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`MISSING_METADATA: ${join(pool, "cat.svg")}`);
    expect(existsSync(join(dir, "x.png"))).toBe(false);
  });

  it("print dithers a picture, sends it to a printer over TCP or to a file, and writes the preview", async () => {
    const dir = tempDir();
    const canvas = createCanvas(800, 300);
    const ctx = canvas.getContext("2d");
    const gradient = ctx.createLinearGradient(0, 0, 800, 0);
    gradient.addColorStop(0, "#000");
    gradient.addColorStop(1, "#fff");
    ctx.fillStyle = gradient;
    ctx.fillRect(0, 0, 800, 300);
    writeFileSync(join(dir, "pic.png"), await canvas.encode("png"));
    const toFile = await run(
      [
        "print",
        "pic.png",
        "--printer",
        "file:job.bin",
        "--profile",
        "58mm",
        "--dither",
        "atkinson",
        "--preview",
        "prev.png",
        "-q",
      ],
      dir,
    );
    expect(toFile.stderr).toBe("");
    expect(toFile.code).toBe(0);
    // 800 dots scaled to the 384-dot printer: 384×144.
    const paper = decodeEscPos(readFileSync(join(dir, "job.bin")), { width: 384 });
    expect(paper.width).toBe(384);
    expect(paper.height).toBeGreaterThanOrEqual(144);
    expect(readFileSync(join(dir, "prev.png")).subarray(1, 4).toString()).toBe("PNG");

    const vp = await startVirtualPrinter({ port: 0, width: 576 });
    try {
      const toTcp = await run(
        ["print", "pic.png", "--printer", vp.url, "--caption", "hi", "-q"],
        dir,
      );
      expect(toTcp.code).toBe(0);
      expect(vp.jobs).toHaveLength(1);
      expect(vp.jobs[0]!.paper.texts.map((t) => t.text)).toEqual(["hi"]);
    } finally {
      await vp.close();
    }
    const down = await run(
      ["print", "pic.png", "--printer", `tcp://127.0.0.1:${vp.port}`, "-q"],
      dir,
    );
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("PRINTER_UNREACHABLE");
  });

  it("status reads a printer's DLE EOT status; print refuses a printer without paper", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "pic.png"), await createCanvas(64, 64).encode("png"));
    const vp = await startVirtualPrinter({ port: 0, width: 384 });
    try {
      const ready = await run(["status", "--printer", vp.url, "--timeout", "2000"], dir);
      expect(ready.code).toBe(0);
      expect(JSON.parse(ready.stdout)).toMatchObject({ summary: "ready", ready: true });
      vp.setState({ paperOut: true });
      const out = await run(["status", "--printer", vp.url], dir);
      expect(out.code).toBe(1);
      expect(JSON.parse(out.stdout)).toMatchObject({ summary: "paper out", paperOut: true });
      const refused = await run(["print", "pic.png", "--printer", vp.url, "-q"], dir);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("PRINTER_NOT_READY: ");
      expect(refused.stderr).toContain("paper out");
      const badFlow = await run(["print", "pic.png", "--printer", vp.url, "--flow", "dtr"], dir);
      expect(badFlow.code).toBe(2);
      expect(badFlow.stderr).toContain("--flow must be none, rtscts or xonxoff");
    } finally {
      await vp.close();
    }
  });

  it("compose --print prints the comic in the same step (to the built-in virtual printer)", async () => {
    const dir = tempDir();
    const result = await run(
      [
        "compose",
        "--seed",
        "4",
        "--width",
        "384",
        "--height",
        "600",
        "--out",
        "c",
        "--print",
        "virtual",
        "--preview",
        "paper.png",
        "-q",
      ],
      dir,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /printed 384×600 dots \(58mm, floyd-steinberg\): \d+ bytes to virtual/,
    );
    expect(existsSync(join(dir, "paper.png"))).toBe(true);
  });

  it("virtual-printer serves until stopped and saves each job as PNG and .bin", async () => {
    const dir = tempDir();
    const child = spawn(
      process.execPath,
      ["--import", tsx, cli, "virtual-printer", "--port", "0", "--width", "384", "--out", "jobs"],
      {
        cwd: dir,
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (c) => {
          out += c;
          const match = /listening on (tcp:\/\/[\d.]+:\d+)/.exec(out);
          if (match) resolve(match[1] as string);
        });
        child.once("exit", () => reject(new Error(`exited early: ${out}`)));
      });
      const bytes = encodeEscPos(
        { width: 8, height: 2, bytesPerRow: 1, data: new Uint8Array([0xff, 0x81]) },
        { profile: "58mm" },
      );
      // No status check, so the job file holds exactly these bytes.
      await sendToPrinter(bytes, { printer: url, pacing: false, checkStatus: false });
      for (let i = 0; i < 100 && !existsSync(join(dir, "jobs", "job-1.bin")); i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(readFileSync(join(dir, "jobs", "job-1.bin")).equals(Buffer.from(bytes))).toBe(true);
      expect(existsSync(join(dir, "jobs", "job-1.png"))).toBe(true);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  });
});
