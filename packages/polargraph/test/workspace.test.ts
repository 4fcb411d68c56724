import { describe, expect, it } from "vitest";
import {
  analyseWorkspace,
  checkPoint,
  cordTensions,
  exampleMachine,
  parseMachine,
  resolutionAt,
  workspaceSvg,
} from "../src/index.js";

const plain = parseMachine({
  motorDistance: 1000,
  stepsPerRevolution: 200,
  microstepping: 8,
  spoolDiameter: 12.7,
  home: { x: 500, y: 300 },
  page: { x: 350, y: 250, width: 300, height: 400 },
  motors: {
    left: { maxSpeed: 100, maxAcceleration: 500 },
    right: { maxSpeed: 100, maxAcceleration: 500 },
  },
});

describe("cord tensions", () => {
  it("shares the weight on the centre line: T = W / (2 sin α)", () => {
    const t = cordTensions(plain, { x: 500, y: 500 }); // α = 45°
    expect(t.left).toBeCloseTo(Math.SQRT1_2, 9);
    expect(t.right).toBeCloseTo(Math.SQRT1_2, 9);
    expect(t.leftN).toBeCloseTo(0.4 * 9.80665 * Math.SQRT1_2, 9);
    const high = cordTensions(plain, { x: 500, y: 50 }); // sin α = 50/√(500²+50²)
    expect(high.left).toBeCloseTo(Math.hypot(500, 50) / 100, 9);
  });

  it("puts all the weight on a vertical cord", () => {
    const t = cordTensions(plain, { x: 0, y: 500 });
    expect(t.left).toBeCloseTo(1, 12);
    expect(t.right).toBeCloseTo(0, 12);
  });

  it("balances forces everywhere (independent vector sum)", () => {
    for (const [x, y] of [
      [120, 80],
      [700, 900],
      [333, 444],
      [990, 30],
    ] as const) {
      const t = cordTensions(exampleMachine, { x, y });
      const ax = x - 15;
      const ay = y - 10;
      const bx = x + 15;
      const fx =
        t.left * (-ax / Math.hypot(ax, ay)) + t.right * ((1000 - bx) / Math.hypot(1000 - bx, ay));
      const fy =
        t.left * (-ay / Math.hypot(ax, ay)) + t.right * (-ay / Math.hypot(1000 - bx, ay)) + 1;
      expect(Math.abs(fx)).toBeLessThan(1e-12);
      expect(Math.abs(fy)).toBeLessThan(1e-12);
    }
  });
});

describe("resolution", () => {
  it("is √2·π·12.7/1600 mm in x and y at 45°", () => {
    const r = resolutionAt(plain, { x: 500, y: 500 });
    expect(r.x).toBeCloseTo(0.0352654, 6);
    expect(r.y).toBeCloseTo(0.0352654, 6);
  });

  it("is worst near the top and the edges", () => {
    const centre = resolutionAt(plain, { x: 500, y: 500 });
    const top = resolutionAt(plain, { x: 500, y: 20 });
    const edge = resolutionAt(plain, { x: 30, y: 500 });
    expect(top.y).toBeGreaterThan(10 * centre.y);
    expect(Math.max(edge.x, edge.y)).toBeGreaterThan(Math.max(centre.x, centre.y));
  });
});

describe("checkPoint", () => {
  it("names each issue", () => {
    expect(checkPoint(plain, { x: 500, y: 500 })).toMatchObject({ ok: true, issues: [] });
    expect(checkPoint(plain, { x: 500, y: -1 }).issues).toEqual(["unreachable"]);
    expect(checkPoint(plain, { x: -50, y: 500 }).issues).toContain("slack-right");
    expect(checkPoint(plain, { x: 1050, y: 500 }).issues).toContain("slack-left");
    expect(checkPoint(plain, { x: 10, y: 500 }).issues).toContain("low-tension");
    expect(checkPoint(plain, { x: 500, y: 60 }).issues).toContain("high-tension");
    expect(checkPoint(plain, { x: 500, y: 2 }).issues).toContain("resolution");
  });
});

describe("analyseWorkspace", () => {
  it("finds a good rectangle below the top band and away from the edges", () => {
    const map = analyseWorkspace(plain, { cellSize: 20 });
    expect(map.columns).toBe(50);
    expect(map.cells).toHaveLength(map.columns * map.rows);
    const g = map.goodArea;
    expect(g).not.toBeNull();
    if (!g) throw new Error("the workspace has no good drawing area");
    // tension 1.5 × W at the centre needs sin α ≥ 1/3: y ≥ 500/√8 ≈ 177 mm
    expect(g.y).toBeGreaterThanOrEqual(160);
    expect(g.x).toBeGreaterThan(0);
    expect(g.x + g.width).toBeLessThan(1000);
    for (const cell of map.cells) {
      const { x, y } = cell.point;
      if (x > g.x && x < g.x + g.width && y > g.y && y < g.y + g.height) expect(cell.ok).toBe(true);
    }
    expect(map.pageCoverage).toBeGreaterThan(0.9);
    expect(map.pageCoverage).toBeLessThanOrEqual(1);
  });

  it("draws an SVG heat map with the page, the good area and a legend", () => {
    const map = analyseWorkspace(exampleMachine, { cellSize: 25 });
    const svg = workspaceSvg(exampleMachine, map);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<rect /g)?.length).toBe(map.cells.length + 2);
    expect(svg).toContain('stroke-dasharray="8 4"');
    expect(svg).toMatch(/page \d+% good/);
  });

  it("rejects a bad cell size", () => {
    expect(() => analyseWorkspace(plain, { cellSize: 0 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => analyseWorkspace(plain, { cellSize: 0.01 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});
