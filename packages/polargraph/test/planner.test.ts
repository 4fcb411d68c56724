import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import {
  clipPolyline,
  cordLinearDeviation,
  exampleMachine,
  type Machine,
  type PlannedMove,
  type Polyline,
  parseMachine,
  planDrawing,
  segmentLine,
} from "../src/index.js";
import { executePlan } from "./helpers/execute.js";

const m = exampleMachine;

/** Checks each planned profile against limits derived here from the machine. */
function expectWithinLimits(machine: Machine, plan: ReturnType<typeof planDrawing>): void {
  const moves = plan.steps.filter((s): s is PlannedMove => s.type === "move");
  expect(moves.length).toBeGreaterThan(0);
  for (const mv of moves) {
    const fl = Math.abs(mv.dLeft) / mv.length;
    const fr = Math.abs(mv.dRight) / mv.length;
    const xy = Math.hypot(mv.to.x - mv.from.x, mv.to.y - mv.from.y);
    const feed = mv.pen === "down" ? machine.drawSpeed : machine.travelSpeed;
    expect(mv.peakSpeed * fl).toBeLessThanOrEqual(machine.motors.left.maxSpeed * (1 + 1e-9));
    expect(mv.peakSpeed * fr).toBeLessThanOrEqual(machine.motors.right.maxSpeed * (1 + 1e-9));
    expect((mv.peakSpeed * xy) / mv.length).toBeLessThanOrEqual(feed * (1 + 1e-9));
    expect(mv.acceleration * fl).toBeLessThanOrEqual(
      machine.motors.left.maxAcceleration * (1 + 1e-9),
    );
    expect(mv.acceleration * fr).toBeLessThanOrEqual(
      machine.motors.right.maxAcceleration * (1 + 1e-9),
    );
    const need =
      (mv.peakSpeed ** 2 - mv.entrySpeed ** 2 + mv.peakSpeed ** 2 - mv.exitSpeed ** 2) /
      (2 * mv.acceleration);
    expect(need).toBeLessThanOrEqual(mv.length * (1 + 1e-6) + 1e-9);
  }
}

function spiral(cx: number, cy: number, turns: number, r: number): Polyline {
  const pts: Polyline = [];
  for (let i = 0; i <= turns * 72; i++) {
    const a = (i / 72) * 2 * Math.PI;
    const rr = (r * i) / (turns * 72);
    pts.push({ x: cx + rr * Math.cos(a), y: cy + rr * Math.sin(a) });
  }
  return pts;
}

describe("segmentLine", () => {
  it("keeps every cord-linear piece within the tolerance of the straight line", () => {
    fc.assert(
      fc.property(
        fc.record({
          x: fc.double({ min: 100, max: 900, noNaN: true }),
          y: fc.double({ min: 60, max: 900, noNaN: true }),
        }),
        fc.record({
          x: fc.double({ min: 100, max: 900, noNaN: true }),
          y: fc.double({ min: 60, max: 900, noNaN: true }),
        }),
        fc.constantFrom(0.1, 0.03),
        (a, b, tol) => {
          const pts = segmentLine(m, a, b, tol);
          expect(pts[pts.length - 1]).toEqual(b);
          let prev = a;
          for (const p of pts) {
            expect(cordLinearDeviation(m, prev, p, 16)).toBeLessThanOrEqual(tol * 1.05);
            // every split point lies on the line a–b
            const cross =
              Math.abs((p.x - a.x) * (b.y - a.y) - (p.y - a.y) * (b.x - a.x)) /
              Math.hypot(b.x - a.x, b.y - a.y);
            expect(cross).toBeLessThan(1e-6);
            prev = p;
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("needs no split on the centre line and many near the top", () => {
    expect(segmentLine(m, { x: 500, y: 300 }, { x: 500, y: 700 })).toHaveLength(1);
    const top = segmentLine(m, { x: 150, y: 80 }, { x: 850, y: 80 });
    expect(top.length).toBeGreaterThan(20);
    expect(segmentLine(m, { x: 150, y: 80 }, { x: 850, y: 80 }, 0.01).length).toBeGreaterThan(
      top.length,
    );
    expect(segmentLine(m, { x: 150, y: 80 }, { x: 850, y: 80 }, 1).length).toBeLessThan(top.length);
    expect(cordLinearDeviation(m, { x: 150, y: 80 }, { x: 850, y: 80 })).toBeGreaterThan(10);
  });

  it("rejects a non-positive tolerance", () => {
    expect(() => segmentLine(m, { x: 1, y: 1 }, { x: 2, y: 2 }, 0)).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});

describe("planDrawing", () => {
  const square: Polyline = [
    { x: 50, y: 50 },
    { x: 150, y: 50 },
    { x: 150, y: 150 },
    { x: 50, y: 150 },
    { x: 50, y: 50 },
  ];

  it("plans pen changes around each stroke and returns home", () => {
    const plan = planDrawing(m, [
      square,
      [
        { x: 200, y: 200 },
        { x: 220, y: 260 },
      ],
    ]);
    const kinds = plan.steps.map((s) =>
      s.type === "pen" ? (s.down ? "D" : "U") : s.pen === "down" ? "d" : "u",
    );
    const compact = kinds.join("").replace(/d+/g, "d").replace(/u+/g, "u");
    expect(compact).toBe("uDdUuDdUu");
    const pens = plan.steps.filter((s) => s.type === "pen");
    expect(pens.map((p) => p.durationMs)).toEqual([250, 150, 250, 150]);
    const last = plan.steps[plan.steps.length - 1] as PlannedMove;
    expect(last.to).toEqual(m.home);
    expect(plan.drawLength).toBeCloseTo(400 + Math.hypot(20, 60), 6);
    expect(plan.durationMs).toBeCloseTo(
      plan.steps.reduce((t, s) => t + s.durationMs, 0),
      6,
    );
    expect(plan.moveCount).toBe(plan.steps.filter((s) => s.type === "move").length);
  });

  it("slows for a right-angle corner and keeps speed along a straight line", () => {
    const plan = planDrawing(m, [square], { returnHome: false });
    const draws = plan.steps.filter((s): s is PlannedMove => s.type === "move" && s.pen === "down");
    const corner = draws.findIndex(
      (d) => d.from.x === 150 + m.page.x && d.from.y === 50 + m.page.y,
    );
    expect(corner).toBeGreaterThan(0);
    const atCorner = (draws[corner] as PlannedMove).entrySpeed;
    const mid = draws.find(
      (d) => d.from.x > 90 + m.page.x && d.from.x < 110 + m.page.x && d.from.y === 50 + m.page.y,
    );
    expect(mid?.entrySpeed).toBeGreaterThan(atCorner * 3);
    expect(atCorner).toBeGreaterThan(0); // junction deviation: no full stop at a 90° corner
  });

  it("estimates the plot time within 5% of an independent execution that respects every motor limit", () => {
    const zigzag: Polyline = Array.from({ length: 60 }, (_, i) => ({
      x: 20 + i * 4,
      y: i % 2 ? 300 : 320 + (i % 7) * 5,
    }));
    const plan = planDrawing(m, [spiral(140, 200, 6, 110), zigzag, square, spiral(80, 360, 2, 20)]);
    expectWithinLimits(m, plan);
    const run = executePlan(m, plan);
    expect(run.discontinuities).toBe(0);
    expect(run.worstSpeedRatio).toBeLessThanOrEqual(1 + 1e-6);
    expect(Math.abs(plan.durationMs - run.ms) / run.ms).toBeLessThan(0.05);
    expect(plan.durationMs).toBeGreaterThan(10_000);
  });

  it("respects asymmetric motor limits", () => {
    const slowRight: Machine = parseMachine({
      ...m,
      motors: { left: m.motors.left, right: { maxSpeed: 20, maxAcceleration: 100 } },
    });
    const plan = planDrawing(slowRight, [spiral(140, 200, 3, 80)]);
    expectWithinLimits(slowRight, plan);
    const moves = plan.steps.filter((s): s is PlannedMove => s.type === "move");
    // the right motor's 20 mm/s is reached, the left motor's 120 mm/s is not needed
    expect(
      Math.max(...moves.map((mv) => (mv.peakSpeed * Math.abs(mv.dRight)) / mv.length)),
    ).toBeCloseTo(20, 6);
    expect(plan.durationMs).toBeGreaterThan(planDrawing(m, [spiral(140, 200, 3, 80)]).durationMs);
  });

  it("throws OUT_OF_PAGE with the points outside, or clips on request", () => {
    const wide: Polyline = [
      { x: -20, y: 100 },
      { x: 320, y: 100 },
    ];
    expect(() => planDrawing(m, [wide])).toThrow(
      expect.objectContaining({
        code: "OUT_OF_PAGE",
        points: [
          { x: -20, y: 100 },
          { x: 320, y: 100 },
        ],
      }),
    );
    const plan = planDrawing(m, [wide], { outOfPage: "clip" });
    expect(plan.strokes).toHaveLength(1);
    const [a, b] = plan.strokes[0] as Polyline;
    expect(a?.x).toBeCloseTo(10, 9);
    expect(b?.x).toBeCloseTo(287, 9);
    expect([a?.y, b?.y]).toEqual([100, 100]);
  });

  it("flags points the cords cannot hold, with coordinates", () => {
    const offside = parseMachine({
      ...m,
      page: { x: -200, y: 300, width: 400, height: 300 },
      home: { x: 100, y: 300 },
    });
    expect(() =>
      planDrawing(offside, [
        [
          { x: 50, y: 100 },
          { x: 300, y: 100 },
        ],
      ]),
    ).toThrow(expect.objectContaining({ code: "UNREACHABLE", points: [{ x: 50, y: 100 }] }));
  });

  it("warns when a drawing leaves the good drawing area", () => {
    const high = parseMachine({ ...m, page: { x: 351.5, y: 30, width: 297, height: 420 } });
    const warn = vi.fn();
    const logger = { debug: vi.fn(), info: vi.fn(), warn, error: vi.fn() };
    const plan = planDrawing(
      high,
      [
        [
          { x: 100, y: 10 },
          { x: 200, y: 10 },
        ],
        square.map((p) => ({ x: p.x, y: p.y + 250 })),
      ],
      { logger },
    );
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]?.stroke).toBe(0);
    expect(plan.warnings[0]?.issues).toContain("high-tension");
    expect(plan.warnings[0]?.points).toEqual([
      { x: 100, y: 10 },
      { x: 200, y: 10 },
    ]);
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining("stroke 0 leaves the good drawing area"),
    );
  });

  it("reports progress and rejects bad input", () => {
    const events: number[] = [];
    planDrawing(m, [square, square, square], { onProgress: (e) => events.push(e.done) });
    expect(events[events.length - 1]).toBe(3);
    expect(() => planDrawing(m, [square], { tolerance: -1 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => planDrawing(m, [[{ x: 1, y: Number.NaN }]])).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });

  it("draws a single point as a dot (pen down, pen up)", () => {
    const plan = planDrawing(m, [[{ x: 100, y: 100 }]], { returnHome: false });
    expect(
      plan.steps.filter((s) => s.type === "pen").map((s) => (s.type === "pen" ? s.down : null)),
    ).toEqual([true, false]);
  });
});

describe("clipPolyline", () => {
  it("splits a line that leaves and re-enters the rectangle", () => {
    const parts = clipPolyline(
      [
        { x: 0, y: 5 },
        { x: 20, y: 5 },
        { x: 20, y: 7 },
        { x: 0, y: 7 },
      ],
      2,
      0,
      10,
      10,
    );
    expect(parts).toEqual([
      [
        { x: 2, y: 5 },
        { x: 10, y: 5 },
      ],
      [
        { x: 10, y: 7 },
        { x: 2, y: 7 },
      ],
    ]);
  });
});
