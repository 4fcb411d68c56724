import { describe, expect, it } from "vitest";
import {
  exampleMachine,
  type Machine,
  type Point,
  type Polyline,
  parseMachine,
  planDrawing,
  planToSvg,
  toGrbl,
  toMarlin,
  toPolargraph,
} from "../src/index.js";
import { hausdorff, replayGrbl, replayMarlin, replayPolargraph } from "./helpers/replay.js";

const m = exampleMachine;

function circle(cx: number, cy: number, r: number, n = 90): Polyline {
  return Array.from({ length: n + 1 }, (_, i) => ({
    x: cx + r * Math.cos((i / n) * 2 * Math.PI),
    y: cy + r * Math.sin((i / n) * 2 * Math.PI),
  }));
}

// long straight lines near the top of the page bend most in cord space
const drawing: Polyline[] = [
  [
    { x: 10, y: 12 },
    { x: 287, y: 12 },
    { x: 287, y: 200 },
    { x: 10, y: 380 },
  ],
  circle(150, 200, 80),
  [
    { x: 20, y: 400 },
    { x: 280, y: 300 },
  ],
];

const toMachine = (lines: Polyline[], machine: Machine): Point[][] =>
  lines.map((l) => l.map((p) => ({ x: p.x + machine.page.x, y: p.y + machine.page.y })));

describe("outputs replayed by independent readers", { tags: ["slow"] }, () => {
  const plan = planDrawing(m, drawing);
  const intended = toMachine(drawing, m);

  it("Polargraph server commands draw the drawing within 0.5 mm", () => {
    const lines = toPolargraph(plan);
    expect(lines.slice(0, 8)).toEqual([
      "C24,1000,730,END",
      "C29,39.898,END",
      "C30,1600,END",
      "C37,1,END",
      `C31,${Math.round(120 / ((Math.PI * 12.7) / 1600))},END`,
      `C32,${Math.round(600 / ((Math.PI * 12.7) / 1600))},END`,
      "C14,90,END",
      expect.stringMatching(/^C09,\d+,\d+,END$/),
    ]);
    for (const line of lines) {
      expect(line.length).toBeLessThanOrEqual(49);
      expect(line).toMatch(/^C\d\d(,-?\d+(\.\d+)?)*,END$/);
    }
    const drawn = replayPolargraph(m, lines);
    expect(drawn).toHaveLength(3);
    expect(hausdorff(drawn, intended)).toBeLessThanOrEqual(0.5);
  });

  it("Marlin G-code draws the drawing within 0.5 mm", () => {
    const lines = toMarlin(plan);
    expect(lines).toContain("M280 P0 S40");
    expect(lines).toContain("G4 P250");
    const drawn = replayMarlin(lines, { x: 500, y: 0 }, 40);
    expect(drawn).toHaveLength(3);
    expect(hausdorff(drawn, intended)).toBeLessThanOrEqual(0.5);
    const moved = toMarlin(plan, { origin: { x: 0, y: 0 }, servo: 1 });
    expect(moved).toContain("M280 P1 S90");
    expect(hausdorff(replayMarlin(moved, { x: 0, y: 0 }, 40), intended)).toBeLessThanOrEqual(0.5);
  });

  it("GRBL G-code (cords as X and Y) draws the drawing within 0.5 mm", () => {
    const lines = toGrbl(plan);
    expect(lines).toContain("M3 S40");
    expect(lines).toContain("G4 P0.25");
    expect(lines.some((l) => /^G1 X\d+(\.\d+)? Y\d+(\.\d+)? F\d+$/.test(l))).toBe(true);
    const drawn = replayGrbl(m, lines, 40);
    expect(drawn).toHaveLength(3);
    expect(hausdorff(drawn, intended)).toBeLessThanOrEqual(0.5);
    expect(toGrbl(plan, { pen: "z" })).toContain("G0 Z40");
  });

  it("the checker catches an unsegmented plan: cord-linear lines bow off the straight line", () => {
    const coarse = planDrawing(m, drawing, { tolerance: 50 });
    expect(hausdorff(replayPolargraph(m, toPolargraph(coarse)), intended)).toBeGreaterThan(0.5);
  });

  it("SVG preview shows drawn paths, travel and the estimate", () => {
    const svg = planToSvg(plan);
    expect(svg).toContain('viewBox="0 0 297 432"');
    expect(svg).toContain('stroke="#000"');
    expect(svg).toContain('stroke-dasharray="1 1"');
    expect(svg).toMatch(/3 strokes · [\d.]+ m drawn/);
    expect(planToSvg(plan, { showTravel: false })).not.toContain('stroke-dasharray="1 1"');
    // the drawn path starts where the first stroke starts
    expect(svg).toContain('d="M10,12L');
  });

  it("rejects commands over the 49-character limit and bad options", () => {
    const huge = parseMachine({ ...m, stepsPerRevolution: 2e19, workspace: undefined });
    const bigPlan = planDrawing(huge, [drawing[2] as Polyline]);
    expect(() => toPolargraph(bigPlan)).toThrow(expect.objectContaining({ code: "LINE_TOO_LONG" }));
    expect(() => toPolargraph(plan, { maxSegmentSteps: 0 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => toMarlin(plan, { servo: -1 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});
