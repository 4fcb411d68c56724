import { describe, expect, it } from "vitest";
import { resolveFont, SHIPPED_FONT_FAMILY } from "../src/adapters/font.js";
import { drawPage, textMeasurer, toPrinterBitmap } from "../src/adapters/render.js";
import { type Point, type Polygon, rectInsideConvex } from "../src/core/geometry.js";
import {
  handDrawnBorder,
  handDrawnLine,
  overlapArea,
  placeBalloon,
  placeCaption,
  wrapText,
} from "../src/core/look.js";
import { createRandom } from "../src/core/random.js";
import { ThermalComicError } from "../src/index.js";

const style = { width: 4, wobble: 3, widthVariation: 0.45, overshoot: 8 };

describe("hand-drawn lines", () => {
  it("wobble within their limits around the straight line, overshoot a little, and vary in width", () => {
    const line = handDrawnLine([10, 100], [510, 100], style, createRandom(1));
    // Outline of a line along y = 100: every point within wobble + half the widest width (4·1.45/2).
    for (const [x, y] of line) {
      expect(Math.abs(y - 100)).toBeLessThanOrEqual(3 + 0.5 * 3 + 2.9 + 1e-9);
      expect(x).toBeGreaterThanOrEqual(10 - 8);
      expect(x).toBeLessThanOrEqual(510 + 8);
    }
    const half = line.length / 2;
    const widths = Array.from({ length: half }, (_, i) => {
      const left = line[i] as Point;
      const right = line[line.length - 1 - i] as Point;
      return Math.hypot(left[0] - right[0], left[1] - right[1]);
    });
    expect(Math.max(...widths) - Math.min(...widths)).toBeGreaterThan(1);
    // Not a straight ruler line: the centre moves sideways.
    const centres = widths.map(
      (_, i) => ((line[i] as Point)[1] + (line[line.length - 1 - i] as Point)[1]) / 2,
    );
    expect(Math.max(...centres) - Math.min(...centres)).toBeGreaterThan(1);
  });

  it("are the same for the same seed and differ for another", () => {
    const a = handDrawnBorder(
      [
        [0, 0],
        [100, 0],
        [100, 100],
        [0, 100],
      ],
      style,
      createRandom(5),
    );
    const b = handDrawnBorder(
      [
        [0, 0],
        [100, 0],
        [100, 100],
        [0, 100],
      ],
      style,
      createRandom(5),
    );
    const c = handDrawnBorder(
      [
        [0, 0],
        [100, 0],
        [100, 100],
        [0, 100],
      ],
      style,
      createRandom(6),
    );
    expect(a).toHaveLength(4);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(c));
  });

  it("draw ink on the panel edges and leave the panel paper-white inside", () => {
    const polygon: Polygon = [
      [20, 20],
      [180, 20],
      [180, 140],
      [20, 160],
    ];
    const canvas = drawPage({
      width: 200,
      height: 180,
      scale: 2,
      panels: [{ polygon, image: null }],
      borders: handDrawnBorder(polygon, style, createRandom(2)),
      art: null,
      balloons: [],
      captions: [],
      fontFamily: "sans-serif",
      fontSize: 12,
      lineWidth: 2,
    });
    expect(canvas.width).toBe(400);
    const bitmap = toPrinterBitmap(canvas, 200, 180);
    const at = (x: number, y: number) => bitmap.data[y * 200 + x] as number;
    // Darkest pixel within the wobble (±4 dots) across the edge.
    const darkest = (x: number, y: number, dx: number, dy: number) =>
      Math.min(...[-4, -3, -2, -1, 0, 1, 2, 3, 4].map((k) => at(x + k * dx, y + k * dy)));
    expect(darkest(100, 20, 0, 1)).toBeLessThan(100);
    expect(darkest(180, 80, 1, 0)).toBeLessThan(100);
    expect(darkest(100, 150, 0, 1)).toBeLessThan(100); // the slanted bottom edge at x = 100
    expect(at(100, 80)).toBe(255);
    expect(at(5, 5)).toBe(255);
  });
});

describe("text", () => {
  const measure = (s: string) => s.length * 10;

  it("wraps words to the width and splits a word that is wider than a line", () => {
    expect(wrapText("the quick brown fox jumps", 110, measure)).toEqual([
      "the quick",
      "brown fox",
      "jumps",
    ]);
    expect(wrapText("abcdefghijklmnop", 50, measure)).toEqual(["abcde", "fghij", "klmno", "p"]);
    expect(wrapText("one\ntwo three", 200, measure)).toEqual(["one", "two three"]);
  });

  it("uses the shipped Comic Neue font, and reports a font file that cannot load", () => {
    const family = resolveFont(undefined);
    expect(family.startsWith(`"${SHIPPED_FONT_FAMILY}"`)).toBe(true);
    expect(family).toContain("sans-serif");
    // Comic Neue's "i" is narrower than "W": a real proportional font was loaded.
    const measureShipped = textMeasurer(family, 20);
    expect(measureShipped("WWWW")).toBeGreaterThan(measureShipped("iiii") * 2);
    expect(resolveFont({ family: "Some Family" })).toBe(
      '"Some Family", "DejaVu Sans", "Liberation Sans", sans-serif',
    );
    try {
      resolveFont("/nonexistent/font.ttf");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ThermalComicError);
      expect((error as ThermalComicError).code).toBe("FONT_ERROR");
      expect((error as ThermalComicError).path).toBe("/nonexistent/font.ttf");
    }
  });

  it("falls back to another font for characters the shipped font lacks", () => {
    const family = resolveFont(undefined);
    // Comic Neue (latin subset) has no Greek; the fallback draws Ω with real width.
    const measureShipped = textMeasurer(family, 20);
    expect(measureShipped("Ω")).toBeGreaterThan(5);
  });
});

describe("balloons and captions", () => {
  const panel: Polygon = [
    [0, 0],
    [300, 0],
    [300, 240],
    [0, 200],
  ];

  it("places a balloon inside the panel, away from the region of interest, tail towards the speaker", () => {
    const roi = { x: 0, y: 0, width: 150, height: 120 };
    const speaker: Point = [75, 100];
    const b = placeBalloon(panel, 80, 30, [roi], speaker, createRandom(3), 8);
    expect(b).not.toBeNull();
    const box = {
      x: b!.center[0] - b!.rx,
      y: b!.center[1] - b!.ry,
      width: 2 * b!.rx,
      height: 2 * b!.ry,
    };
    expect(rectInsideConvex(box, panel)).toBe(true);
    expect(overlapArea(box, roi)).toBe(0);
    const tip = b!.tail![1];
    const before = Math.hypot(speaker[0] - b!.center[0], speaker[1] - b!.center[1]);
    const after = Math.hypot(speaker[0] - tip[0], speaker[1] - tip[1]);
    expect(after).toBeLessThan(before - b!.rx * 0.5);
  });

  it("gives up when the text cannot fit", () => {
    expect(placeBalloon(panel, 400, 30, [], null, createRandom(3), 8)).toBeNull();
  });

  it("puts a caption in the top-left corner, inside a slanted edge", () => {
    const slanted: Polygon = [
      [40, 0],
      [300, 0],
      [300, 200],
      [0, 200],
    ];
    const rect = placeCaption(slanted, 120, 30, 2);
    expect(rect).not.toBeNull();
    expect(rectInsideConvex(rect!, slanted)).toBe(true);
    // As near the corner as the slant allows.
    expect(rect!.x).toBeLessThan(45);
    expect(rect!.y).toBeLessThan(15);
    expect(placeCaption(slanted, 400, 30, 2)).toBeNull();
  });
});
