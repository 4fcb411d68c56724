/**
 * Planning 100,000 segments (segmentation to 0.1 mm, look-ahead planning, G-code) against the
 * 2 s goal. No JavaScript polargraph planner is published to compare with, so the peer measured
 * in the same run is a naive baseline written here: every line cut into fixed 1 mm pieces and
 * each piece accelerated from rest and back (no look-ahead), as simple firmware does.
 */
import {
  exampleMachine,
  lengthToSteps,
  type Machine,
  type Polyline,
  planDrawing,
  toMarlin,
} from "../src/index.js";

const SEGMENTS = 100_000;
const m = exampleMachine;

function drawing(segments: number, seed = 7): Polyline[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const strokes: Polyline[] = [];
  let left = segments;
  while (left > 0) {
    const n = Math.min(left, 50 + Math.floor(rand() * 150));
    let x = 20 + rand() * 257;
    let y = 20 + rand() * 380;
    const line: Polyline = [{ x, y }];
    for (let i = 0; i < n; i++) {
      x = Math.min(287, Math.max(10, x + (rand() - 0.5) * 8));
      y = Math.min(410, Math.max(10, y + (rand() - 0.5) * 8));
      line.push({ x, y });
    }
    strokes.push(line);
    left -= n;
  }
  return strokes;
}

/** The naive peer: 1 mm pieces, each a trapezoid from rest to rest, G-code per piece. */
function naive(machine: Machine, strokes: Polyline[]): { ms: number; lines: number } {
  const a = Math.min(machine.motors.left.maxAcceleration, machine.motors.right.maxAcceleration);
  const v = machine.drawSpeed;
  let ms = 0;
  const out: string[] = [];
  for (const line of strokes)
    for (let i = 1; i < line.length; i++) {
      const p = line[i - 1] as { x: number; y: number };
      const q = line[i] as { x: number; y: number };
      const len = Math.hypot(q.x - p.x, q.y - p.y);
      const n = Math.max(1, Math.ceil(len));
      for (let k = 1; k <= n; k++) {
        const x = p.x + ((q.x - p.x) * k) / n + machine.page.x;
        const y = p.y + ((q.y - p.y) * k) / n + machine.page.y;
        const l = lengthToSteps(
          machine,
          "left",
          Math.hypot(x - machine.penOffset.x, y - machine.penOffset.y),
        );
        const r = lengthToSteps(
          machine,
          "right",
          Math.hypot(machine.motorDistance - machine.penOffset.x - x, y - machine.penOffset.y),
        );
        const d = len / n;
        const peak = Math.min(v, Math.sqrt(a * d));
        ms += (2 * peak) / a + Math.max(0, d - (peak * peak) / a) / peak;
        out.push(`G1 X${l.toFixed(1)} Y${r.toFixed(1)}`);
      }
    }
  return { ms: ms * 1000, lines: out.length };
}

const strokes = drawing(SEGMENTS);
const count = strokes.reduce((n, l) => n + l.length - 1, 0);
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)] as number;

// warm up both
planDrawing(m, strokes.slice(0, 50));
naive(m, strokes.slice(0, 50));

const ours: number[] = [];
const oursCpu: number[] = [];
const peer: number[] = [];
let moves = 0;
let gcodeLines = 0;
let estimate = 0;
let naiveEstimate = 0;
for (let run = 0; run < 5; run++) {
  let t = performance.now();
  const cpu = process.cpuUsage();
  const plan = planDrawing(m, strokes, { returnHome: true });
  const gcode = toMarlin(plan);
  ours.push(performance.now() - t);
  const used = process.cpuUsage(cpu);
  oursCpu.push((used.user + used.system) / 1000);
  moves = plan.moveCount;
  gcodeLines = gcode.length;
  estimate = plan.durationMs;
  t = performance.now();
  const n = naive(m, strokes);
  peer.push(performance.now() - t);
  naiveEstimate = n.ms;
}
const oursMs = median(ours);
const cpuMs = median(oursCpu);
const peerMs = median(peer);
console.log(
  `input: ${count} segments in ${strokes.length} strokes → ${moves} planned moves, ${gcodeLines} G-code lines`,
);
console.log(
  `polargraph planDrawing + toMarlin: ${oursMs.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU (medians of 5), ${Math.round(count / (oursMs / 1000)).toLocaleString("en")} segments/s wall, ${Math.round(count / (cpuMs / 1000)).toLocaleString("en")} per CPU second`,
);
console.log(
  `naive baseline (1 mm pieces, no look-ahead): ${peerMs.toFixed(0)} ms, ${Math.round(count / (peerMs / 1000)).toLocaleString("en")} segments/s`,
);
console.log(
  `ratio ours/naive time: ${(oursMs / peerMs).toFixed(2)}×; plot time ours ${(estimate / 60000).toFixed(1)} min vs naive ${(naiveEstimate / 60000).toFixed(1)} min`,
);
// on a shared machine wall time includes waiting for a core; the goal is judged on CPU time
console.log(
  `goal: 100,000 segments under 2000 ms → ${cpuMs < 2000 ? "met" : "NOT met"} (CPU time)`,
);
if (cpuMs >= 2000) process.exitCode = 1;
