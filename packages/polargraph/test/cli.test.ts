import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli/run.js";
import { exampleMachine, parseSvg } from "../src/index.js";
import { startSimulatedPlotter } from "../src/services/simulator.js";

const dir = mkdtempSync(join(tmpdir(), "polargraph-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const svg = join(dir, "drawing.svg");
writeFileSync(
  svg,
  '<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="100mm" viewBox="0 0 100 100"><circle cx="50" cy="50" r="40"/><path d="M10 10 L90 90"/></svg>',
);
const machineFile = join(dir, "machine.json");
writeFileSync(machineFile, JSON.stringify(exampleMachine));

async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe("polargraph CLI", () => {
  it("info reports the machine and writes the area map", async () => {
    const map = join(dir, "area.svg");
    const r = await cli("info", "--machine", machineFile, "--map", map, "--cell", "20");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/step\s+0\.02494 mm of cord/);
    expect(r.stdout).toMatch(/good area\s+\d+×\d+ mm/);
    expect(readFileSync(map, "utf8")).toContain("good drawing area");
  });

  it("plan writes each format and a preview", async () => {
    for (const [format, pattern] of [
      ["gcode", /^G1 X-?\d/m],
      ["grbl", /^G1 X\d+(\.\d+)? Y\d/m],
      ["polargraph", /^C17,\d+,\d+,2,END$/m],
      ["svg", /^<svg/],
    ] as const) {
      const out = join(dir, `out.${format}`);
      const r = await cli(
        "plan",
        svg,
        "--machine",
        machineFile,
        "--format",
        format,
        "--out",
        out,
        "--fit",
      );
      expect(r.code).toBe(0);
      expect(readFileSync(out, "utf8")).toMatch(pattern);
    }
    const preview = join(dir, "preview.svg");
    const r = await cli("plan", svg, "--format", "polargraph", "--preview", preview);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n").filter((l) => l.startsWith("C17")).length).toBeGreaterThan(50);
    expect(parseSvg(readFileSync(preview, "utf8")).strokes.length).toBeGreaterThan(0);
  });

  it("estimate prints the time and lengths", async () => {
    const r = await cli("estimate", svg, "--fit");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/time\s+\d+ min \d+ s \(\d+ ms\)/);
    expect(r.stdout).toMatch(/drawn\s+\d+\.\d{3} m in 2 strokes/);
  });

  it("stream sends a plan to a plotter over TCP", async () => {
    const sim = await startSimulatedPlotter({ protocol: "polargraph" });
    try {
      const file = join(dir, "plot.txt");
      await cli("plan", svg, "--format", "polargraph", "--out", file);
      const r = await cli("stream", file, "--port", `tcp://127.0.0.1:${sim.port}`);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/streamed \d+ commands \(polargraph\)/);
      expect(sim.commands).toEqual(readFileSync(file, "utf8").trim().split("\n"));
      expect(r.stderr).toContain("100%");
    } finally {
      await sim.close();
    }
  });

  it("stream tells where to resume after a disconnect", async () => {
    const sim = await startSimulatedPlotter({ protocol: "marlin", disconnectAfter: 12 });
    try {
      const file = join(dir, "plot.gcode");
      await cli("plan", svg, "--format", "gcode", "--out", file);
      const r = await cli("stream", file, "--port", `tcp://127.0.0.1:${sim.port}`);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("DISCONNECTED");
      expect(r.stderr).toContain("resume with: --start-line 12");
      // comments are stripped; the protocol is inferred from M280
      expect(sim.commands[0]).toBe("G21");
    } finally {
      await sim.close();
    }
  });

  it("optimize prints pen-up travel before and after and writes the lines", async () => {
    const lines = join(dir, "lines.json");
    writeFileSync(
      lines,
      JSON.stringify(
        Array.from({ length: 40 }, (_, i) => [
          [(i * 37) % 200, (i * 53) % 300],
          [((i * 37) % 200) + 5, ((i * 53) % 300) + 5],
        ]),
      ),
    );
    const out = join(dir, "lines-opt.json");
    const r = await cli("optimize", lines, "--out", out, "--machine", machineFile);
    expect(r.code).toBe(0);
    const m = /pen up\s+([\d.]+) → ([\d.]+) m/.exec(r.stdout);
    expect(Number(m?.[2])).toBeLessThan(Number(m?.[1]));
    expect(r.stdout).toMatch(/time\s+[\d.]+ → [\d.]+ min/);
    expect(JSON.parse(readFileSync(out, "utf8")).polylines).toHaveLength(40);
    const svgOut = join(dir, "lines-opt.svg");
    expect((await cli("optimize", lines, "--out", svgOut)).code).toBe(0);
    expect(parseSvg(readFileSync(svgOut, "utf8")).strokes).toHaveLength(40);
    expect((await cli("optimize", lines, "--simplify=-1")).code).toBe(1);
  });

  it("fails clearly on bad input", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, '{"motorDistance": -1}');
    const r1 = await cli("info", "--machine", bad);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain("INVALID_MACHINE: machine.motorDistance");
    expect((await cli("plan", join(dir, "missing.svg"))).stderr).toContain("cannot read");
    expect((await cli("plan", svg, "--format", "hpgl")).code).toBe(1);
    expect((await cli("frobnicate")).code).toBe(2);
    expect((await cli("plan", "--nope")).code).toBe(2);
    expect((await cli("stream", svg)).stderr).toContain("--port is required");
    expect((await cli("info", "--cell", "x")).stderr).toContain("--cell must be a number");
    const help = await cli("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("usage: polargraph");
  });
});
