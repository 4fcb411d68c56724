import { readFile, writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { type PlotterProtocol, streamToPlotter } from "../adapters/stream.js";
import {
  openSerialTransport,
  openTcpTransport,
  type PlotterTransport,
} from "../adapters/transport.js";
import { renderFlowField } from "../art/flowfield.js";
import {
  renderCrosshatch,
  renderSineLines,
  renderSpiral,
  renderSquareWave,
  renderSquiggle,
} from "../art/renderers.js";
import { renderStipples } from "../art/stipple.js";
import { renderSingleLine } from "../art/tour.js";
import { fitToPage } from "../core/fit.js";
import type { Polyline } from "../core/geometry.js";
import { exampleMachine, type Machine, mmPerStep, parseMachine } from "../core/machine.js";
import { optimizePaths } from "../core/optimize.js";
import { type Plan, planDrawing } from "../core/planner.js";
import { analyseWorkspace, workspaceSvg } from "../core/workspace.js";
import { isPolargraphError, PolargraphError } from "../errors.js";
import { loadImageGrid } from "../input/image.js";
import { formatPolylines, parsePolylines } from "../input/polylines.js";
import { parseSvg } from "../input/svg.js";
import { toGrbl, toMarlin } from "../output/gcode.js";
import { toPolargraph } from "../output/polargraph.js";
import { planToSvg, strokesToSvg } from "../output/svg.js";
import { studioCommand } from "./studio.js";

/** Where the CLI writes; injectable for tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  signal?: AbortSignal;
}

const USAGE = `usage: polargraph <command> [options]

commands:
  info      [--machine m.json] [--map area.svg] [--cell 10]
            machine report: step size, good drawing area, tensions; --map writes an SVG heat map
  plan      <drawing.svg|.json> [--machine m.json] [--format gcode|marlin|grbl|polargraph|svg]
            [--out file] [--preview preview.svg] [--fit] [--clip] [--tolerance 0.1]
            plans the drawing and writes commands (stdout without --out); gcode = Makelangelo/Marlin
  estimate  <drawing.svg|.json> [--machine m.json] [--fit] [--clip] [--tolerance 0.1]
            plot time, path lengths, moves and warnings
  optimize  <drawing.svg|.json> [--out file.svg|.json] [--merge-tolerance 0.05] [--simplify 0]
            [--min-length 0] [--machine m.json]
            merges, orders and flips lines to cut pen-up travel; prints before/after
  draw      <image.png|.jpg> --out <file.svg|.gcode|.png> [--style square-wave|squiggle|spiral|sine|
            crosshatch|stipple|single-line|flow-field] [--width mm] [--seed 1] [--columns 60]
            [--gamma 1] [--contrast 1] [--machine m.json]
            stipple, single-line: [--points 2000] [--iterations 30]; stipple: [--dot circle|tap]
            [--dot-radius 0.4] [--min-dot-radius 0.4]; flow-field: [--spacing 1] [--max-spacing 5]
            [--field noise|contours]
            renders the picture in a style, optimises the paths and writes an SVG, G-code or PNG
  studio    [--machine m.json] [--port 0]
            the studio in the browser: drop a picture, choose a style, preview, plot, download;
            serves on 127.0.0.1 (port 0 picks a free one), saves settings to the machine file
  stream    <commands file> --port /dev/ttyUSB0|tcp://host:port [--protocol polargraph|grbl|marlin]
            [--baud 57600] [--buffer 128] [--start-line 0] [--timeout-ms 60000]
            sends commands with the protocol's flow control; on failure prints the line to resume from

Without --machine the built-in example machine (A3, 1000 mm between motors) is used.
Drawings: SVG (paths, shapes, transforms) or JSON polylines in page millimetres.`;

async function loadMachine(path: string | undefined): Promise<Machine> {
  if (!path) return exampleMachine;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `cannot read machine file ${path}: ${(cause as Error).message}`,
      { cause },
    );
  }
  return parseMachine(text);
}

async function loadDrawing(path: string | undefined): Promise<Polyline[]> {
  if (!path) throw new PolargraphError("INVALID_ARGUMENT", "name a drawing file (.svg or .json)");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `cannot read ${path}: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (extname(path).toLowerCase() === ".json") return parsePolylines(text);
  return parseSvg(text).strokes;
}

function minutes(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

function inferProtocol(lines: string[]): PlotterProtocol {
  const first = lines.find((l) => l.trim() && !l.startsWith(";"));
  if (first && /^C\d\d,/.test(first)) return "polargraph";
  if (lines.some((l) => /^M280\b/.test(l))) return "marlin";
  return "grbl";
}

/** Runs the `polargraph` command line; returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    io.stdout(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        machine: { type: "string" },
        map: { type: "string" },
        cell: { type: "string" },
        format: { type: "string" },
        out: { type: "string" },
        preview: { type: "string" },
        fit: { type: "boolean" },
        clip: { type: "boolean" },
        tolerance: { type: "string" },
        port: { type: "string" },
        protocol: { type: "string" },
        baud: { type: "string" },
        buffer: { type: "string" },
        "start-line": { type: "string" },
        "timeout-ms": { type: "string" },
        "merge-tolerance": { type: "string" },
        simplify: { type: "string" },
        "min-length": { type: "string" },
        style: { type: "string" },
        points: { type: "string" },
        iterations: { type: "string" },
        dot: { type: "string" },
        "dot-radius": { type: "string" },
        "min-dot-radius": { type: "string" },
        spacing: { type: "string" },
        "max-spacing": { type: "string" },
        field: { type: "string" },
        width: { type: "string" },
        seed: { type: "string" },
        columns: { type: "string" },
        gamma: { type: "string" },
        contrast: { type: "string" },
      },
    }));
  } catch (error) {
    io.stderr(`polargraph: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const num = (name: string): number | undefined => {
    const v = values[name];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n))
      throw new PolargraphError("INVALID_ARGUMENT", `--${name} must be a number, got ${v}`);
    return n;
  };
  try {
    switch (command) {
      case "info":
        return await info(values, num, io);
      case "plan":
      case "estimate":
        return await plan(command, positionals[0], values, num, io);
      case "stream":
        return await stream(positionals[0], values, num, io);
      case "optimize":
        return await optimize(positionals[0], values, num, io);
      case "draw":
        return await draw(positionals[0], values, num, io);
      case "studio":
        return await studioCommand(
          values.machine as string | undefined,
          values.port as string | undefined,
          io,
        );
      default:
        io.stderr(`polargraph: unknown command "${command}"\n${USAGE}\n`);
        return 2;
    }
  } catch (error) {
    if (isPolargraphError(error)) {
      io.stderr(`polargraph: ${error.code}: ${error.message}\n`);
      if (error.lastAcknowledgedLine !== undefined)
        io.stderr(`resume with: --start-line ${error.lastAcknowledgedLine + 1}\n`);
      return 1;
    }
    throw error;
  }
}

type Values = Record<string, string | boolean | undefined>;
type Num = (name: string) => number | undefined;

async function info(values: Values, num: Num, io: CliIo): Promise<number> {
  const m = await loadMachine(values.machine as string | undefined);
  const map = analyseWorkspace(m, { cellSize: num("cell") ?? 10 });
  const g = map.goodArea;
  io.stdout(
    [
      `machine      ${m.name}`,
      `motors       ${m.motorDistance} mm apart, ${m.stepsPerRevolution}×${m.microstepping} steps/rev, spool ${m.spoolDiameter} mm, cord ${m.cordThickness} mm`,
      `step         ${mmPerStep(m).toFixed(5)} mm of cord (nominal)`,
      `page         ${m.page.width}×${m.page.height} mm at (${m.page.x}, ${m.page.y})`,
      `page quality ${(map.pageCoverage * 100).toFixed(1)}% good; worst ${map.page.worstMmPerStep.toFixed(4)} mm/step; tension ${map.page.minTension.toFixed(2)}–${map.page.maxTension.toFixed(2)} × weight`,
      `good area    ${g ? `${g.width}×${g.height} mm at (${g.x}, ${g.y})` : "none"}`,
      "",
    ].join("\n"),
  );
  if (values.map) {
    await writeFile(values.map as string, workspaceSvg(m, map));
    io.stdout(`map          ${values.map}\n`);
  }
  return 0;
}

async function makePlan(file: string | undefined, values: Values, num: Num): Promise<Plan> {
  const m = await loadMachine(values.machine as string | undefined);
  let strokes = await loadDrawing(file);
  if (values.fit) strokes = fitToPage(m, strokes);
  return planDrawing(m, strokes, {
    tolerance: num("tolerance"),
    outOfPage: values.clip ? "clip" : "error",
  });
}

async function plan(
  command: string,
  file: string | undefined,
  values: Values,
  num: Num,
  io: CliIo,
): Promise<number> {
  const p = await makePlan(file, values, num);
  for (const w of p.warnings) io.stderr(`warning: ${w.message}\n`);
  if (command === "estimate") {
    io.stdout(
      [
        `time         ${minutes(p.durationMs)} (${Math.round(p.durationMs)} ms)`,
        `drawn        ${(p.drawLength / 1000).toFixed(3)} m in ${p.strokes.length} strokes`,
        `travel       ${(p.travelLength / 1000).toFixed(3)} m`,
        `moves        ${p.moveCount}`,
        `warnings     ${p.warnings.length}`,
        "",
      ].join("\n"),
    );
    return 0;
  }
  const format = (values.format as string | undefined) ?? "gcode";
  let text: string;
  if (format === "svg") text = planToSvg(p);
  else if (format === "gcode" || format === "marlin") text = `${toMarlin(p).join("\n")}\n`;
  else if (format === "grbl") text = `${toGrbl(p).join("\n")}\n`;
  else if (format === "polargraph") text = `${toPolargraph(p).join("\n")}\n`;
  else
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `--format must be gcode, marlin, grbl, polargraph or svg, got ${format}`,
    );
  if (values.out) {
    await writeFile(values.out as string, text);
    io.stderr(`wrote ${values.out}: ${p.moveCount} moves, about ${minutes(p.durationMs)}\n`);
  } else io.stdout(text);
  if (values.preview) await writeFile(values.preview as string, planToSvg(p));
  return 0;
}

async function stream(
  file: string | undefined,
  values: Values,
  num: Num,
  io: CliIo,
): Promise<number> {
  if (!file) throw new PolargraphError("INVALID_ARGUMENT", "name a commands file to stream");
  const port = values.port as string | undefined;
  if (!port)
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      "--port is required (a serial device or tcp://host:port)",
    );
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `cannot read ${file}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const raw = text.split(/\r?\n/);
  const protocol = (values.protocol as PlotterProtocol | undefined) ?? inferProtocol(raw);
  if (!["polargraph", "grbl", "marlin"].includes(protocol))
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `--protocol must be polargraph, grbl or marlin, got ${protocol}`,
    );
  // comments and blank lines never reach the controller
  const commands = raw.map((l) => l.replace(/;.*$/, "").trim()).filter(Boolean);
  let transport: PlotterTransport;
  const tcp = /^tcp:\/\/([^:/]+):(\d+)\/?$/.exec(port);
  if (tcp)
    transport = await openTcpTransport({
      host: tcp[1] as string,
      port: Number(tcp[2]),
      signal: io.signal,
    });
  else
    transport = await openSerialTransport({
      path: port,
      baudRate: num("baud") ?? (protocol === "polargraph" ? 57600 : 115200),
      signal: io.signal,
    });
  let lastShown = -1;
  try {
    const job = streamToPlotter(commands, transport, {
      protocol,
      bufferSize: num("buffer"),
      startLine: num("start-line"),
      timeoutMs: num("timeout-ms"),
      signal: io.signal,
      onProgress: (e) => {
        const pct = Math.floor(((e.lastAcknowledgedLine + 1) / e.total) * 100);
        if (pct !== lastShown) {
          lastShown = pct;
          io.stderr(
            `\r[${"#".repeat(Math.floor(pct / 5)).padEnd(20, ".")}] ${pct}% line ${e.lastAcknowledgedLine + 1}/${e.total}`,
          );
        }
      },
    });
    const result = await job.done;
    io.stderr("\n");
    io.stdout(
      `streamed ${result.sent} commands (${protocol}), last acknowledged line ${result.lastAcknowledgedLine}\n`,
    );
    return 0;
  } finally {
    await transport.close();
  }
}

async function optimize(
  file: string | undefined,
  values: Values,
  num: Num,
  io: CliIo,
): Promise<number> {
  const machine = values.machine ? await loadMachine(values.machine as string) : undefined;
  const strokes = await loadDrawing(file);
  const r = optimizePaths(strokes, {
    mergeTolerance: num("merge-tolerance"),
    simplifyTolerance: num("simplify"),
    minLength: num("min-length"),
    machine,
  });
  const row = (label: string, a: number | undefined, b: number | undefined, unit: string) =>
    `${label.padEnd(12)} ${a === undefined ? "-" : a.toFixed(1)} → ${b === undefined ? "-" : b.toFixed(1)} ${unit}`;
  io.stdout(
    [
      row("lines", r.before.lines, r.after.lines, ""),
      row("pen down", r.before.penDownMm / 1000, r.after.penDownMm / 1000, "m"),
      row("pen up", r.before.penUpMm / 1000, r.after.penUpMm / 1000, "m"),
      ...(machine
        ? [
            row(
              "time",
              (r.before.estimatedMs ?? 0) / 60000,
              (r.after.estimatedMs ?? 0) / 60000,
              "min",
            ),
          ]
        : []),
      "",
    ].join("\n"),
  );
  const out = values.out as string | undefined;
  if (out) {
    if (extname(out).toLowerCase() === ".json") await writeFile(out, formatPolylines(r.strokes));
    else {
      let width = 0;
      let height = 0;
      for (const l of r.strokes)
        for (const p of l) {
          width = Math.max(width, p.x);
          height = Math.max(height, p.y);
        }
      await writeFile(
        out,
        strokesToSvg(r.strokes, { width: Math.ceil(width + 1), height: Math.ceil(height + 1) }),
      );
    }
    io.stderr(`wrote ${out}\n`);
  }
  return 0;
}

type DrawStyle = (
  machine: Machine,
  grid: Awaited<ReturnType<typeof loadImageGrid>>,
  common: { width: number | undefined; seed: number },
  values: Values,
  num: Num,
  progress: (label: string, done: number, total: number) => void,
) => Polyline[];

const STYLES: Record<string, DrawStyle> = {
  "square-wave": (m, g, c) => renderSquareWave(m, g, c),
  squiggle: (m, g, c) => renderSquiggle(m, g, c),
  spiral: (m, g, c) => renderSpiral(m, g, c),
  sine: (m, g, c) => renderSineLines(m, g, c),
  crosshatch: (m, g, c) => renderCrosshatch(m, g, c),
  stipple: (m, g, c, values, num, progress) =>
    renderStipples(m, g, {
      ...c,
      points: num("points"),
      iterations: num("iterations"),
      dot: values.dot as "circle" | "tap" | undefined,
      dotRadius: num("dot-radius"),
      minDotRadius: num("min-dot-radius"),
      onProgress: (e) => progress("relax", e.done, e.total),
    }),
  "single-line": (m, g, c, _values, num, progress) =>
    renderSingleLine(m, g, {
      ...c,
      points: num("points"),
      iterations: num("iterations"),
      onProgress: (e) => progress(e.phase, e.done, e.total),
    }),
  "flow-field": (m, g, c, values, num, progress) =>
    renderFlowField(m, g, {
      ...c,
      minSpacing: num("spacing"),
      maxSpacing: num("max-spacing"),
      field: values.field as "noise" | "contours" | undefined,
      onProgress: (e) => progress("trace", e.done, e.total),
    }),
};

async function draw(
  file: string | undefined,
  values: Values,
  num: Num,
  io: CliIo,
): Promise<number> {
  if (!file) throw new PolargraphError("INVALID_ARGUMENT", "draw needs an image file");
  const out = values.out as string | undefined;
  if (!out) throw new PolargraphError("INVALID_ARGUMENT", "draw needs --out file.svg|.gcode|.png");
  const ext = extname(out).toLowerCase();
  if (ext !== ".svg" && ext !== ".gcode" && ext !== ".png")
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `--out must end in .svg, .gcode or .png, got ${out}`,
    );
  const styleName = (values.style as string | undefined) ?? "square-wave";
  const render = STYLES[styleName];
  if (!render || !Object.hasOwn(STYLES, styleName))
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `--style must be one of ${Object.keys(STYLES).join(", ")}, got ${styleName}`,
    );
  const m = await loadMachine(values.machine as string | undefined);
  const grid = await loadImageGrid(file, {
    columns: num("columns") ?? 60,
    gamma: num("gamma"),
    contrast: num("contrast"),
  });
  let shown = "";
  const progress = (label: string, done: number, total: number) => {
    const line = `${label} ${Math.floor((100 * done) / Math.max(1, total))}%`;
    if (line === shown) return;
    shown = line;
    io.stderr(`\r${line.padEnd(24)}`);
  };
  const lines = render(
    m,
    grid,
    { width: num("width"), seed: num("seed") ?? 1 },
    values,
    num,
    progress,
  );
  if (shown) io.stderr("\n");
  const r = optimizePaths(lines, { machine: m });
  const p = planDrawing(m, r.strokes);
  io.stdout(
    [
      `style        ${styleName}`,
      `lines        ${r.before.lines} → ${r.after.lines}`,
      `pen down     ${(r.after.penDownMm / 1000).toFixed(3)} m`,
      `pen up       ${(r.before.penUpMm / 1000).toFixed(3)} → ${(r.after.penUpMm / 1000).toFixed(3)} m`,
      `time         ${minutes(p.durationMs)}`,
      "",
    ].join("\n"),
  );
  if (ext === ".gcode") await writeFile(out, `${toMarlin(p).join("\n")}\n`);
  else {
    const svg = strokesToSvg(r.strokes, {
      width: m.page.width,
      height: m.page.height,
    });
    if (ext === ".svg") await writeFile(out, svg);
    else
      await writeFile(
        out,
        await sharp(Buffer.from(svg)).flatten({ background: "#ffffff" }).png().toBuffer(),
      );
  }
  io.stderr(`wrote ${out}\n`);
  return 0;
}
