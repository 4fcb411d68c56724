// Independent readers of the three command formats: each parses the text a controller would
// receive, moves two motors the way that controller does, and converts the motor positions back
// to pen positions with its own kinematics (law of cosines, spool spiral), not the package's.
import type { Machine, Point } from "../../src/index.js";

type Side = "left" | "right";

function homeLength(m: Machine, side: Side): number {
  const dx =
    side === "left" ? m.home.x - m.penOffset.x : m.motorDistance - m.penOffset.x - m.home.x;
  return Math.sqrt(dx * dx + (m.home.y - m.penOffset.y) ** 2);
}

/** Cord length for a motor position: the spool winds an Archimedean spiral from its home radius. */
export function cordFromSteps(m: Machine, side: Side, steps: number): number {
  const perRev = m.stepsPerRevolution * m.microstepping;
  const home = homeLength(m, side);
  const homeSteps = (home * perRev) / (Math.PI * m.spoolDiameter);
  const turns = (homeSteps - steps) / perRev; // turns wound on since home
  const r0 = m.spoolDiameter / 2;
  // ∫ r dθ over `turns` turns with r = r0 + t·θ/2π
  const wound = 2 * Math.PI * r0 * turns + Math.PI * m.cordThickness * turns * turns;
  return home - wound;
}

/** Pen position from cord lengths, by the law of cosines at the left pivot. */
export function penFromCords(m: Machine, left: number, right: number): Point {
  const span = m.motorDistance - 2 * m.penOffset.x;
  const cosA = (left * left + span * span - right * right) / (2 * left * span);
  const angle = Math.acos(Math.max(-1, Math.min(1, cosA)));
  return { x: m.penOffset.x + left * Math.cos(angle), y: m.penOffset.y + left * Math.sin(angle) };
}

const SAMPLES = 6;

function sampleCordLine(
  m: Machine,
  a: [number, number],
  b: [number, number],
  out: Point[],
  toLength: (side: Side, v: number) => number,
) {
  for (let i = 1; i <= SAMPLES; i++) {
    const t = i / SAMPLES;
    out.push(
      penFromCords(
        m,
        toLength("left", a[0] + (b[0] - a[0]) * t),
        toLength("right", a[1] + (b[1] - a[1]) * t),
      ),
    );
  }
}

/** Replays polargraph_server commands; returns the pen-down strokes in machine mm. */
export function replayPolargraph(m: Machine, lines: string[]): Point[][] {
  const strokes: Point[][] = [];
  let pos: [number, number] | null = null;
  let down = false;
  let current: Point[] = [];
  const toLength = (side: Side, steps: number) => cordFromSteps(m, side, steps);
  for (const line of lines) {
    if (line.length > 49) throw new Error(`line over 49 characters: ${line}`);
    if (!line.endsWith(",END")) throw new Error(`missing ,END: ${line}`);
    const [cmd, ...params] = line.slice(0, -4).split(",");
    const n = params.map(Number);
    if (cmd === "C09") pos = [n[0] as number, n[1] as number];
    else if (cmd === "C13" || cmd === "C14") {
      if (down && current.length > 1) strokes.push(current);
      down = cmd === "C13";
      current =
        down && pos ? [penFromCords(m, toLength("left", pos[0]), toLength("right", pos[1]))] : [];
    } else if (cmd === "C17") {
      if (!pos) throw new Error("C17 before C09");
      const target: [number, number] = [n[0] as number, n[1] as number];
      if (down) sampleCordLine(m, pos, target, current, toLength);
      pos = target;
    } else if (!["C24", "C29", "C30", "C31", "C32", "C37"].includes(cmd as string))
      throw new Error(`unknown command ${cmd}`);
  }
  if (down && current.length > 1) strokes.push(current);
  return strokes;
}

function words(line: string): Map<string, number> {
  const code = line.replace(/;.*$/, "").trim();
  const map = new Map<string, number>();
  for (const w of code.split(/\s+/).filter(Boolean)) {
    const value = Number(w.slice(1));
    if (!Number.isFinite(value)) throw new Error(`bad word ${w} in ${line}`);
    map.set(w[0]?.toUpperCase() as string, value);
  }
  return map;
}

/** Replays Marlin G-code (XY in mm, origin and Y-up as given); returns pen-down strokes in machine mm. */
export function replayMarlin(lines: string[], origin: Point, downAngle: number): Point[][] {
  const strokes: Point[][] = [];
  let pos: Point | null = null;
  let down = false;
  let current: Point[] = [];
  for (const line of lines) {
    const w = words(line);
    if (w.size === 0) continue;
    const toMachine = () => ({
      x: (w.get("X") as number) + origin.x,
      y: origin.y - (w.get("Y") as number),
    });
    if (w.get("G") === 92) pos = toMachine();
    else if (w.get("M") === 280) {
      if (down && current.length > 1) strokes.push(current);
      down = w.get("S") === downAngle;
      current = down && pos ? [pos] : [];
    } else if (w.get("G") === 0 || w.get("G") === 1) {
      const to = toMachine();
      if (down) current.push(to);
      pos = to;
    }
  }
  if (down && current.length > 1) strokes.push(current);
  return strokes;
}

/** Replays GRBL G-code with X/Y as the cords in nominal mm; returns pen-down strokes in machine mm. */
export function replayGrbl(m: Machine, lines: string[], downAngle: number): Point[][] {
  const strokes: Point[][] = [];
  const perMm = (m.stepsPerRevolution * m.microstepping) / (Math.PI * m.spoolDiameter);
  const toLength = (side: Side, axisMm: number) => cordFromSteps(m, side, axisMm * perMm);
  let pos: [number, number] | null = null;
  let down = false;
  let current: Point[] = [];
  for (const line of lines) {
    const w = words(line);
    if (w.size === 0) continue;
    if (w.get("G") === 92) pos = [w.get("X") as number, w.get("Y") as number];
    else if (w.get("M") === 3) {
      if (down && current.length > 1) strokes.push(current);
      down = w.get("S") === downAngle;
      current =
        down && pos ? [penFromCords(m, toLength("left", pos[0]), toLength("right", pos[1]))] : [];
    } else if ((w.get("G") === 0 || w.get("G") === 1) && w.has("X")) {
      if (!pos) throw new Error("move before G92");
      const target: [number, number] = [w.get("X") as number, w.get("Y") as number];
      if (down) sampleCordLine(m, pos, target, current, toLength);
      pos = target;
    }
  }
  if (down && current.length > 1) strokes.push(current);
  return strokes;
}

function densify(lines: Point[][], spacing: number): Point[] {
  const out: Point[] = [];
  for (const line of lines) {
    if (line.length) out.push(line[0] as Point);
    for (let i = 1; i < line.length; i++) {
      const a = line[i - 1] as Point;
      const b = line[i] as Point;
      const n = Math.max(1, Math.ceil(Math.hypot(b.x - a.x, b.y - a.y) / spacing));
      for (let k = 1; k <= n; k++)
        out.push({ x: a.x + ((b.x - a.x) * k) / n, y: a.y + ((b.y - a.y) * k) / n });
    }
  }
  return out;
}

function directed(from: Point[], to: Point[]): number {
  // grid hash of `to` points for nearest-neighbour search
  const cell = 1;
  const grid = new Map<string, Point[]>();
  for (const p of to) {
    const k = `${Math.floor(p.x / cell)},${Math.floor(p.y / cell)}`;
    const list = grid.get(k);
    if (list) list.push(p);
    else grid.set(k, [p]);
  }
  let worst = 0;
  for (const p of from) {
    let best = Number.POSITIVE_INFINITY;
    for (let ring = 0; ring < 64 && best > (ring - 1) * cell; ring++) {
      const cx = Math.floor(p.x / cell);
      const cy = Math.floor(p.y / cell);
      for (let dx = -ring; dx <= ring; dx++)
        for (let dy = -ring; dy <= ring; dy++) {
          if (Math.max(Math.abs(dx), Math.abs(dy)) !== ring) continue;
          for (const q of grid.get(`${cx + dx},${cy + dy}`) ?? [])
            best = Math.min(best, Math.hypot(p.x - q.x, p.y - q.y));
        }
    }
    worst = Math.max(worst, best);
  }
  return worst;
}

/** Hausdorff distance between two sets of polylines, sampled every 0.1 mm (so within 0.05 mm). */
export function hausdorff(a: Point[][], b: Point[][]): number {
  const pa = densify(a, 0.1);
  const pb = densify(b, 0.1);
  return Math.max(directed(pa, pb), directed(pb, pa));
}
