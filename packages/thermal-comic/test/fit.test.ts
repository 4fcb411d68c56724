import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rectInsideConvex } from "../src/core/geometry.js";
import { resolveMetadata } from "../src/core/metadata.js";
import { assignImages, type Candidate } from "../src/core/select.js";
import { createRandom, type Panel, type Polygon, placeImage, randomLayout } from "../src/index.js";

const square: Polygon = [
  [0, 0],
  [200, 0],
  [200, 200],
  [0, 200],
];

describe("placeImage", () => {
  it("cover: fills the panel's box at the smallest scale, anchor on the anchor", () => {
    const meta = resolveMetadata({ anchor: "top" }, "m");
    const p = placeImage(square, { width: 100, height: 400 }, meta, 0)!;
    expect(p.scale).toBe(2);
    expect([p.x, p.y, p.width, p.height]).toEqual([0, 0, 200, 800]);
    const bottom = placeImage(
      square,
      { width: 100, height: 400 },
      resolveMetadata({ anchor: "bottom" }, "m"),
      0,
    )!;
    expect(bottom.y).toBe(200 - 800);
  });

  it("cover: shifts the image so the region of interest stays in the panel even against the anchor", () => {
    // The ROI is at the bottom of a tall image, the anchor says top: the ROI wins.
    const meta = resolveMetadata(
      { anchor: "top", roi: { x: 0, y: 300, width: 100, height: 100 } },
      "m",
    );
    const p = placeImage(square, { width: 100, height: 400 }, meta, 0)!;
    expect(p.roi).toEqual({ x: 0, y: 0, width: 200, height: 200 });
    expect(p.y).toBe(-600);
  });

  it("contain: the whole image inside the panel, as big as allowed", () => {
    const p = placeImage(
      square,
      { width: 100, height: 50 },
      resolveMetadata({ fit: "contain" }, "m"),
      0,
    )!;
    expect(p.scale).toBe(2);
    expect([p.x, p.y, p.width, p.height]).toEqual([0, 50, 200, 100]);
    const capped = placeImage(
      square,
      { width: 100, height: 50 },
      resolveMetadata({ fit: "contain", maxScale: 1 }, "m"),
      0,
    )!;
    expect(capped.scale).toBe(1);
  });

  it("refuses when the scale limits cannot be met", () => {
    expect(
      placeImage(square, { width: 100, height: 100 }, resolveMetadata({ maxScale: 1.5 }, "m"), 0),
    ).toBeNull();
    expect(
      placeImage(
        square,
        { width: 100, height: 100 },
        resolveMetadata({ fit: "contain", minScale: 3 }, "m"),
        0,
      ),
    ).toBeNull();
  });

  it("turns the image: a 90° turn swaps its sides and moves the region of interest with it", () => {
    const meta = resolveMetadata({ roi: { x: 0, y: 0, width: 10, height: 20 } }, "m");
    const p = placeImage(square, { width: 100, height: 50 }, meta, 90)!;
    // Turned clockwise, the 100×50 image is 50×100; its top-left ROI lands at the top-right.
    expect(p.width / p.height).toBeCloseTo(0.5, 9);
    expect(p.roi!.x + p.roi!.width).toBeCloseTo(p.x + p.width, 9);
    expect(p.roi!.width / p.roi!.height).toBeCloseTo(2, 9);
  });

  it("keeps every region of interest wholly inside any (slanted) panel polygon", () => {
    let placed = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 50, max: 800 }),
        fc.integer({ min: 50, max: 800 }),
        fc.double({ min: 0, max: 0.6, noNaN: true }),
        fc.double({ min: 0, max: 0.6, noNaN: true }),
        fc.double({ min: 0.05, max: 0.4, noNaN: true }),
        fc.constantFrom("cover", "contain"),
        (seed, w, h, fx, fy, fs, fit) => {
          const layout = randomLayout({
            seed,
            width: 576,
            height: 1600,
            panels: 5,
            slantChance: 0.8,
          });
          const roi = { x: fx * w, y: fy * h, width: fs * w, height: fs * h };
          const meta = resolveMetadata({ fit, roi, anchor: [fx, fy] }, "m", {
            width: w,
            height: h,
          });
          for (const panel of layout.panels) {
            const p = placeImage(panel.polygon, { width: w, height: h }, meta, 0);
            if (!p) continue;
            placed++;
            expect(rectInsideConvex(p.roi!, panel.polygon, 1e-4)).toBe(true);
            const box = panel.bbox;
            if (fit === "cover") {
              expect(p.x).toBeLessThanOrEqual(box.x + 1e-6);
              expect(p.y).toBeLessThanOrEqual(box.y + 1e-6);
              expect(p.x + p.width).toBeGreaterThanOrEqual(box.x + box.width - 1e-6);
              expect(p.y + p.height).toBeGreaterThanOrEqual(box.y + box.height - 1e-6);
            } else {
              expect(p.x).toBeGreaterThanOrEqual(box.x - 1e-6);
              expect(p.x + p.width).toBeLessThanOrEqual(box.x + box.width + 1e-6);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
    // Not vacuous: most of the 150 × 5 tries found a place.
    expect(placed).toBeGreaterThan(300);
  });
});

function candidate(name: string, width: number, height: number, meta: object): Candidate {
  return { name, path: `/pool/${name}`, width, height, meta: resolveMetadata(meta, name) };
}

function panel(id: number, x: number, y: number, w: number, h: number): Panel {
  return {
    id,
    polygon: [
      [x, y],
      [x + w, y],
      [x + w, y + h],
      [x, y + h],
    ],
    bbox: { x, y, width: w, height: h },
  };
}

const options = {
  emptyPanels: new Set<number>(),
  panelTags: new Map(),
  allowReuse: false,
  roiTooLarge: "error" as const,
};

describe("assignImages", () => {
  const panels = [
    panel(0, 0, 0, 400, 200),
    panel(1, 0, 210, 190, 300),
    panel(2, 200, 210, 200, 300),
  ];

  it("fills every panel with a different image, the same way for the same seed", () => {
    const pool = ["a", "b", "c", "d", "e"].map((n) => candidate(n, 300, 300, {}));
    const first = assignImages(panels, pool, createRandom(1), options);
    expect(first.map((a) => a.panel)).toEqual([0, 1, 2]);
    expect(new Set(first.map((a) => a.image)).size).toBe(3);
    expect(assignImages(panels, pool, createRandom(1), options)).toEqual(first);
    const picks = new Set<string>();
    for (let seed = 0; seed < 30; seed++)
      picks.add(
        assignImages(panels, pool, createRandom(seed), options)
          .map((a) => a.image)
          .join(),
      );
    expect(picks.size).toBeGreaterThan(5);
  });

  it("respects aspect rules and tags", () => {
    const pool = [
      candidate("wide", 400, 200, { aspects: ["wide"] }),
      candidate("tall1", 200, 400, { aspects: ["tall"], tags: ["hero"] }),
      candidate("tall2", 200, 400, { aspects: ["tall"] }),
    ];
    for (let seed = 0; seed < 20; seed++) {
      const result = assignImages(panels, pool, createRandom(seed), {
        ...options,
        panelTags: new Map([[2, ["hero"]]]),
      });
      expect(result.map((a) => pool[a.image]!.name)).toEqual(["wide", "tall2", "tall1"]);
    }
  });

  it("finds the one full assignment even when the first pick would block it", () => {
    // "any" fits every panel, "only0" only the wide panel 0: "any" must give way, for every seed.
    const pool = [
      candidate("any", 300, 300, {}),
      candidate("only0", 400, 200, { aspects: ["wide"] }),
    ];
    for (let seed = 0; seed < 20; seed++) {
      const result = assignImages(panels.slice(0, 2), pool, createRandom(seed), options);
      expect(result.map((a) => pool[a.image]!.name)).toEqual(["only0", "any"]);
    }
  });

  it("names the image whose region of interest fits no panel", () => {
    const pool = [
      ...["a", "b", "c"].map((n) => candidate(n, 300, 300, {})),
      candidate("huge.png", 2000, 2000, {
        roi: { x: 0, y: 0, width: 1500, height: 1500 },
        minScale: 1,
      }),
    ];
    expect(() => assignImages(panels, pool, createRandom(1), options)).toThrow(
      expect.objectContaining({
        code: "ROI_TOO_LARGE",
        path: "/pool/huge.png",
        message: expect.stringContaining("/pool/huge.png"),
      }),
    );
    expect(
      assignImages(panels, pool, createRandom(1), { ...options, roiTooLarge: "skip" }),
    ).toHaveLength(3);
  });

  it("says the pool is too small, or reuses images when allowed", () => {
    const pool = [candidate("a", 300, 300, {}), candidate("b", 300, 300, {})];
    expect(() => assignImages(panels, pool, createRandom(1), options)).toThrow(
      expect.objectContaining({ code: "POOL_TOO_SMALL", needed: 3, available: 2 }),
    );
    const reused = assignImages(panels, pool, createRandom(1), { ...options, allowReuse: true });
    expect(reused).toHaveLength(3);
    expect(new Set(reused.map((a) => a.image)).size).toBe(2);
  });

  it("says so when images fit only a few panels, even though there are enough images", () => {
    const pool = ["a", "b", "c"].map((n) =>
      candidate(n, 400, 200, { aspects: [[1.5, 3]], weight: 2 }),
    );
    expect(() =>
      assignImages(
        [panel(0, 0, 0, 400, 200), panel(1, 0, 210, 400, 200), panel(2, 0, 420, 200, 200)],
        pool,
        createRandom(1),
        options,
      ),
    ).toThrow(expect.objectContaining({ code: "NO_FITTING_IMAGE", panel: 2 }));
  });

  it("leaves the panels it is asked to leave empty", () => {
    const pool = [candidate("a", 300, 300, {}), candidate("b", 300, 300, {})];
    const result = assignImages(panels, pool, createRandom(1), {
      ...options,
      emptyPanels: new Set([1]),
    });
    expect(result.map((a) => a.panel)).toEqual([0, 2]);
  });
});
