import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import { describe, expect, it } from "vitest";
import { rgbaToGrey } from "../src/core/bitmap.js";
import { boundingBox } from "../src/core/geometry.js";
import { detectPanels, type GreyBitmap, loadTemplate } from "../src/index.js";
import { tempDir } from "./helpers.js";

/**
 * A grid as someone would sketch it: a 600×900 sheet, an outer frame and three panels drawn with
 * wobbly 3-px strokes, one border with a 2-px break, a scribbled letter inside a panel and a
 * closed doodle too small to be a panel.
 */
function sketchedGrid(): GreyBitmap {
  const canvas = createCanvas(600, 900);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#f4f1e8"; // off-white paper
  ctx.fillRect(0, 0, 600, 900);
  ctx.strokeStyle = "#222";
  ctx.lineWidth = 3;
  const wobblyLine = (x1: number, y1: number, x2: number, y2: number, seed: number) => {
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    for (let i = 1; i <= 20; i++) {
      const t = i / 20;
      const wobble = Math.sin(t * 9 + seed) * 2;
      ctx.lineTo(
        x1 + (x2 - x1) * t + (y1 === y2 ? 0 : wobble),
        y1 + (y2 - y1) * t + (y1 === y2 ? wobble : 0),
      );
    }
    ctx.stroke();
  };
  // Top panel 40..560 × 40..400, with a 2-px break in its bottom-left border.
  wobblyLine(40, 40, 560, 40, 1);
  wobblyLine(560, 40, 560, 400, 2);
  wobblyLine(560, 400, 100, 400, 3);
  wobblyLine(98, 400, 40, 400, 3);
  wobblyLine(40, 400, 40, 40, 4);
  // Bottom-left 40..280 × 440..860 and bottom-right 320..560 × 440..860.
  for (const [x1, x2] of [
    [40, 280],
    [320, 560],
  ] as const) {
    wobblyLine(x1, 440, x2, 440, x1);
    wobblyLine(x2, 440, x2, 860, x1 + 1);
    wobblyLine(x2, 860, x1, 860, x1 + 2);
    wobblyLine(x1, 860, x1, 440, x1 + 3);
  }
  ctx.font = "40px sans-serif";
  ctx.fillStyle = "#333";
  ctx.fillText("A", 100, 200);
  ctx.beginPath();
  ctx.arc(450, 600, 10, 0, Math.PI * 2);
  ctx.stroke();
  const { data } = ctx.getImageData(0, 0, 600, 900);
  return rgbaToGrey(data, 600, 900);
}

describe("detectPanels", () => {
  it("finds each enclosed paper region of a sketched grid, ignoring the page around it and small doodles", () => {
    const template = detectPanels(sketchedGrid());
    expect(template.width).toBe(600);
    expect(template.height).toBe(900);
    expect(template.panels).toHaveLength(3);
    const boxes = template.panels.map((p) => boundingBox(p)).sort((a, b) => a.y - b.y || a.x - b.x);
    const expected = [
      { x: 40, y: 40, width: 520, height: 360 },
      { x: 40, y: 440, width: 240, height: 420 },
      { x: 320, y: 440, width: 240, height: 420 },
    ];
    boxes.forEach((box, i) => {
      const want = expected[i]!;
      // The hull lies on the inner edge of the stroke, grown back by the bleed: within 6 px.
      expect(Math.abs(box.x - want.x)).toBeLessThan(6);
      expect(Math.abs(box.y - want.y)).toBeLessThan(6);
      expect(Math.abs(box.width - want.width)).toBeLessThan(10);
      expect(Math.abs(box.height - want.height)).toBeLessThan(10);
    });
    for (const polygon of template.panels) expect(polygon.length).toBeLessThanOrEqual(12);
  });

  it("loses panels whose borders have breaks when gap closing is switched off", () => {
    const template = detectPanels(sketchedGrid(), { closeGaps: 0 });
    // The 2-px break joins the top panel to the page around the grid (and the sketch's corners
    // do not quite meet either), so it is no longer enclosed.
    expect(template.panels.length).toBeLessThan(3);
    expect(template.panels.every((p) => boundingBox(p).y > 400)).toBe(true);
  });

  it("says so when no region is enclosed", () => {
    const blank: GreyBitmap = { width: 100, height: 100, data: new Uint8Array(10000).fill(255) };
    expect(() => detectPanels(blank)).toThrow(
      expect.objectContaining({
        code: "INVALID_LAYOUT",
        message: expect.stringContaining("no panels found"),
      }),
    );
  });

  it("rejects a bitmap whose data does not match its size", () => {
    expect(() => detectPanels({ width: 10, height: 10, data: new Uint8Array(5) })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});

describe("loadTemplate", () => {
  async function gridPng(): Promise<Buffer> {
    const canvas = createCanvas(300, 400);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, 300, 400);
    ctx.lineWidth = 4;
    ctx.strokeRect(10, 10, 280, 180);
    ctx.strokeRect(10, 210, 280, 180);
    return canvas.encode("png");
  }

  it("detects the panels of a grid image and keeps the drawing as art", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "grid.png"), await gridPng());
    const template = await loadTemplate(join(dir, "grid.png"));
    expect(template.panels).toHaveLength(2);
    expect(template.art?.length).toBeGreaterThan(100);
    expect([template.width, template.height]).toEqual([300, 400]);
  });

  it("takes polygons from the grid's sidecar file instead of detecting", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "grid.png"), await gridPng());
    writeFileSync(
      join(dir, "grid.yaml"),
      "panels:\n  - [[12, 12], [288, 12], [288, 388], [12, 388]]\n",
    );
    const template = await loadTemplate(join(dir, "grid.png"));
    expect(template.panels).toEqual([
      [
        [12, 12],
        [288, 12],
        [288, 388],
        [12, 388],
      ],
    ]);
  });

  it("reads a polygon file, with or without an image", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "page.json"),
      JSON.stringify({
        width: 100,
        height: 200,
        panels: [
          [
            [0, 0],
            [100, 0],
            [100, 90],
          ],
        ],
      }),
    );
    expect(await loadTemplate(join(dir, "page.json"))).toMatchObject({ width: 100, height: 200 });
    writeFileSync(join(dir, "grid.png"), await gridPng());
    writeFileSync(join(dir, "page2.json"), JSON.stringify({ image: "grid.png" }));
    const detected = await loadTemplate(join(dir, "page2.json"));
    expect(detected.panels).toHaveLength(2);
    expect(detected.art).toBeDefined();
  });

  it("names the file of a bad template", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "bad.json"),
      JSON.stringify({ width: 100, height: 200, panels: [[[0, 0]]] }),
    );
    await expect(loadTemplate(join(dir, "bad.json"))).rejects.toMatchObject({
      code: "INVALID_LAYOUT",
      path: join(dir, "bad.json"),
    });
    const blank = createCanvas(50, 50);
    const ctx = blank.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, 50, 50);
    writeFileSync(join(dir, "blank.png"), await blank.encode("png"));
    await expect(loadTemplate(join(dir, "blank.png"))).rejects.toMatchObject({
      code: "INVALID_LAYOUT",
      path: join(dir, "blank.png"),
    });
    writeFileSync(join(dir, "junk.png"), "junk");
    await expect(loadTemplate(join(dir, "junk.png"))).rejects.toMatchObject({
      code: "CORRUPT_IMAGE",
      path: join(dir, "junk.png"),
    });
    await expect(loadTemplate(join(dir, "missing.png"))).rejects.toMatchObject({
      code: "IO_ERROR",
    });
  });
});
