import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { containsPoint } from "../src/core/geometry.js";
import {
  type Layout,
  layoutFromTemplate,
  type Polygon,
  randomLayout,
  ThermalComicError,
} from "../src/index.js";

/** Smallest distance between two convex polygons that do not overlap (vertex to edge, both ways). */
function gap(a: Polygon, b: Polygon): number {
  let best = Number.POSITIVE_INFINITY;
  for (const [p, q] of [
    [a, b],
    [b, a],
  ] as const) {
    for (const v of p)
      for (let i = 0; i < q.length; i++) {
        const s = q[i] as [number, number];
        const e = q[(i + 1) % q.length] as [number, number];
        const dx = e[0] - s[0];
        const dy = e[1] - s[1];
        const t = Math.max(
          0,
          Math.min(1, ((v[0] - s[0]) * dx + (v[1] - s[1]) * dy) / (dx * dx + dy * dy)),
        );
        best = Math.min(best, Math.hypot(v[0] - s[0] - t * dx, v[1] - s[1] - t * dy));
      }
  }
  return best;
}

function coverCount(
  layout: Layout,
  step: number,
): { overlaps: number; covered: number; total: number } {
  let overlaps = 0;
  let covered = 0;
  let total = 0;
  for (let y = 0.5; y < layout.height; y += step)
    for (let x = 0.5; x < layout.width; x += step) {
      total++;
      const n = layout.panels.filter((p) => containsPoint(p.polygon, [x, y])).length;
      if (n > 1) overlaps++;
      if (n >= 1) covered++;
    }
  return { overlaps, covered, total };
}

describe("randomLayout", () => {
  it("gives the same page for the same seed and another page for another seed", () => {
    const a = randomLayout({ seed: 7, width: 576, height: 1600 });
    const b = randomLayout({ seed: 7, width: 576, height: 1600 });
    const c = randomLayout({ seed: 8, width: 576, height: 1600 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(c));
  });

  it("makes exactly the asked number of panels, inside the margins, gutters apart, never overlapping", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.constantFrom(384, 576),
        fc.integer({ min: 600, max: 2400 }),
        fc.integer({ min: 1, max: 7 }),
        (seed, width, height, panels) => {
          const layout = randomLayout({ seed, width, height, panels, gutter: 10, margin: 8 });
          expect(layout.panels).toHaveLength(panels);
          expect(layout.panels.map((p) => p.id)).toEqual([...Array(panels).keys()]);
          for (const panel of layout.panels) {
            for (const [x, y] of panel.polygon) {
              expect(x).toBeGreaterThanOrEqual(8 - 0.01);
              expect(x).toBeLessThanOrEqual(width - 8 + 0.01);
              expect(y).toBeGreaterThanOrEqual(8 - 0.01);
              expect(y).toBeLessThanOrEqual(height - 8 + 0.01);
            }
            expect(panel.bbox.width).toBeGreaterThanOrEqual(Math.round(width * 0.22) - 0.01);
            expect(panel.bbox.height).toBeGreaterThanOrEqual(Math.round(width * 0.22) - 0.01);
          }
          for (let i = 0; i < panels; i++)
            for (let j = i + 1; j < panels; j++)
              expect(
                gap(layout.panels[i]!.polygon, layout.panels[j]!.polygon),
              ).toBeGreaterThanOrEqual(10 - 0.05);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("covers the page but for margins and gutters, with no point in two panels", () => {
    const layout = randomLayout({
      seed: 3,
      width: 576,
      height: 2000,
      panels: 6,
      gutter: 12,
      margin: 10,
    });
    const { overlaps, covered, total } = coverCount(layout, 3);
    expect(overlaps).toBe(0);
    // Margins take 2·10 of 576 and of 2000; five cuts of 12 dots take at most 5·12·2000 dots².
    const lowest = ((576 - 20) * (2000 - 20) - 5 * 12 * 2000) / (576 * 2000);
    expect(covered / total).toBeGreaterThan(lowest - 0.01);
  });

  it("makes wide and tall panels and sometimes slanted cuts across seeds", () => {
    let wide = 0;
    let tall = 0;
    let slanted = 0;
    for (let seed = 0; seed < 40; seed++) {
      const layout = randomLayout({ seed, width: 576, height: 1800, panels: 6 });
      for (const p of layout.panels) {
        if (p.bbox.width / p.bbox.height > 1.5) wide++;
        if (p.bbox.width / p.bbox.height < 0.8) tall++;
        const axisAligned = p.polygon.every(([x, y]) =>
          p.polygon.some(([x2, y2]) => (x2 === x) !== (y2 === y)),
        );
        if (!axisAligned || p.polygon.length !== 4) slanted++;
      }
    }
    expect(wide).toBeGreaterThan(10);
    expect(tall).toBeGreaterThan(10);
    expect(slanted).toBeGreaterThan(10);
  });

  it("numbers panels in reading order: top to bottom within a column, left column before right", () => {
    for (let seed = 0; seed < 30; seed++) {
      const layout = randomLayout({ seed, width: 576, height: 1400, panels: 6, slantChance: 0 });
      for (let i = 0; i < layout.panels.length; i++)
        for (let j = i + 1; j < layout.panels.length; j++) {
          const a = layout.panels[i]!.bbox;
          const b = layout.panels[j]!.bbox;
          const shareColumns = a.x < b.x + b.width && b.x < a.x + a.width;
          // Straight cuts: two panels either share columns (then the later one is below) or not
          // (then the later one is to the right, or wholly below).
          if (shareColumns) expect(b.y).toBeGreaterThanOrEqual(a.y + a.height);
          else expect(b.x >= a.x + a.width || b.y >= a.y + a.height).toBe(true);
        }
    }
  });

  it("refuses sizes and counts it cannot honour", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        expect(error).toBeInstanceOf(ThermalComicError);
        return (error as ThermalComicError).code;
      }
      return "no error";
    };
    expect(code(() => randomLayout({ seed: 1, width: 575.5, height: 800 }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(code(() => randomLayout({ seed: 1, width: 384, height: 20 }))).toBe("INVALID_ARGUMENT");
    expect(code(() => randomLayout({ seed: 1, width: 384, height: 400, panels: 40 }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(code(() => randomLayout({ seed: 1, width: 384, height: 800, panels: 0 }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(code(() => randomLayout({ seed: 1, width: 384, height: 800, slantChance: 2 }))).toBe(
      "INVALID_ARGUMENT",
    );
  });
});

describe("layoutFromTemplate", () => {
  const template = {
    width: 1000,
    height: 2000,
    panels: [
      [
        [520, 40],
        [960, 40],
        [960, 900],
        [520, 900],
      ],
      [
        [40, 40],
        [480, 40],
        [480, 900],
        [40, 900],
      ],
      [
        [40, 940],
        [960, 1000],
        [960, 1960],
        [40, 1960],
      ],
    ] as Polygon[],
  };

  it("scales template polygons to the printer width, keeping the aspect, in reading order", () => {
    const layout = layoutFromTemplate(template, 500);
    expect(layout.width).toBe(500);
    expect(layout.height).toBe(1000);
    expect(layout.panels.map((p) => p.bbox.x)).toEqual([20, 260, 20]);
    expect(layout.panels[2]!.polygon).toContainEqual([480, 500]);
  });

  it("stretches to an explicit height", () => {
    const layout = layoutFromTemplate(template, 500, 500);
    expect(layout.panels[2]!.bbox.y).toBe(235);
    expect(layout.panels[2]!.bbox.height).toBe(255);
  });

  it("rejects malformed polygons and empty templates", () => {
    expect(() => layoutFromTemplate({ width: 10, height: 10, panels: [] }, 384)).toThrow(
      expect.objectContaining({ code: "INVALID_LAYOUT" }),
    );
    expect(() =>
      layoutFromTemplate(
        {
          width: 100,
          height: 100,
          panels: [
            [
              [0, 0],
              [1, 1],
            ] as Polygon,
          ],
        },
        384,
      ),
    ).toThrow(
      expect.objectContaining({
        code: "INVALID_LAYOUT",
        message: expect.stringContaining("panel 0"),
      }),
    );
    expect(() =>
      layoutFromTemplate(
        {
          width: 100,
          height: 100,
          panels: [
            [
              [0, 0],
              [10, 10],
              [20, 20],
            ] as Polygon,
          ],
        },
        384,
      ),
    ).toThrow(
      expect.objectContaining({
        code: "INVALID_LAYOUT",
        message: expect.stringContaining("no area"),
      }),
    );
  });
});
