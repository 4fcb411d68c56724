import { inflateSync } from "node:zlib";
import { createCanvas, loadImage } from "@napi-rs/canvas";
import { describe, expect, it } from "vitest";
import { containsPoint, rectInsideConvex } from "../src/core/geometry.js";
import {
  type ComposeProgressEvent,
  composeComic,
  detectPanels,
  examplePoolDir,
  loadPool,
  type PoolSource,
  type ThermalComicError,
} from "../src/index.js";
import { markerSvg } from "./helpers.js";

const pool = await loadPool(examplePoolDir());

async function failure(promise: Promise<unknown>): Promise<ThermalComicError> {
  try {
    await promise;
  } catch (error) {
    return error as ThermalComicError;
  }
  throw new Error("expected a rejection");
}

/** Reads width, height, bit depth and colour type from a PNG's IHDR, and its pHYs density. */
function pngHeader(png: Buffer) {
  expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
  const phys = png.indexOf("pHYs");
  return {
    width: png.readUInt32BE(16),
    height: png.readUInt32BE(20),
    depth: png[24],
    colourType: png[25],
    perMetre: phys > 0 ? png.readUInt32BE(phys + 4) : null,
  };
}

describe("composeComic", () => {
  it("gives byte-identical PNG, bitmap and layout for the same seed, and another comic for another seed", async () => {
    const options = {
      width: 384,
      height: 900,
      pool,
      script: [{ caption: "Meanwhile…" }, { balloons: ["Hello there!"] }],
    };
    const a = await composeComic({ seed: 42, ...options });
    const b = await composeComic({ seed: 42, ...options });
    const c = await composeComic({ seed: 43, ...options });
    expect(Buffer.compare(a.png, b.png)).toBe(0);
    expect(Buffer.from(a.bitmap.data).equals(Buffer.from(b.bitmap.data))).toBe(true);
    expect(JSON.stringify(a.layout)).toBe(JSON.stringify(b.layout));
    expect(Buffer.compare(a.png, c.png)).not.toBe(0);
  });

  it("writes a greyscale hi-res PNG at twice the printer dots with the dpi, and a printer bitmap", async () => {
    const result = await composeComic({ seed: 1, width: 576, height: 1000, pool });
    expect(pngHeader(result.png)).toEqual({
      width: 1152,
      height: 2000,
      depth: 8,
      colourType: 0,
      perMetre: Math.round(406 * 39.3701),
    });
    // The PNG decodes with an independent decoder (Skia) to the same size.
    const decoded = await loadImage(result.png);
    expect([decoded.width, decoded.height]).toEqual([1152, 2000]);
    expect(result.bitmap.width).toBe(576);
    expect(result.bitmap.height).toBe(1000);
    expect(result.bitmap.data).toBeInstanceOf(Uint8Array);
    expect(result.bitmap.data.length).toBe(576 * 1000);
    // The bitmap is the PNG averaged over 2×2 blocks: check blocks by decoding the PNG ourselves
    // (one IDAT chunk; rows filtered None or Up).
    const raw = inflateSync(result.png.subarray(result.png.indexOf("IDAT") + 4));
    const rows: Uint8Array[] = [];
    for (let y = 0; y <= 201; y++) {
      const filter = raw[y * 1153];
      const row = new Uint8Array(1152);
      for (let x = 0; x < 1152; x++) {
        const v = raw[y * 1153 + 1 + x] as number;
        row[x] = filter === 2 ? (v + (rows[y - 1]?.[x] ?? 0)) & 0xff : v;
      }
      rows.push(row);
    }
    const [a, b] = [rows[200] as Uint8Array, rows[201] as Uint8Array];
    for (const x of [50, 150, 300, 500]) {
      const sum =
        (a[2 * x] as number) +
        (a[2 * x + 1] as number) +
        (b[2 * x] as number) +
        (b[2 * x + 1] as number);
      expect(result.bitmap.data[100 * 576 + x]).toBe(Math.floor((sum + 2) / 4));
    }
  });

  it("keeps colour when asked (Skia's RGBA PNG)", async () => {
    const result = await composeComic({
      seed: 1,
      width: 384,
      height: 600,
      pool,
      color: true,
      scale: 1,
    });
    expect(pngHeader(result.png)).toMatchObject({
      width: 384,
      height: 600,
      colourType: 6,
      perMetre: Math.round(203 * 39.3701),
    });
  });

  it("fills every panel with a different picture, clipped to the panel", async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { layout, bitmap } = await composeComic({
        seed,
        width: 576,
        height: 1800,
        panels: 6,
        pool,
        scale: 1,
      });
      expect(layout.panels).toHaveLength(6);
      const names = layout.panels.map((p) => p.image?.name);
      expect(names.every(Boolean)).toBe(true);
      expect(new Set(names).size).toBe(6);
      // The margin outside every panel stays paper-white.
      expect(bitmap.data[2 * 576 + 2]).toBe(255);
      expect(bitmap.data[(layout.height - 3) * 576 + 300]).toBe(255);
    }
  });

  it("keeps every region of interest visible: inside its panel, and its pixels show on the page", async () => {
    // Pictures whose region of interest is a black square on grey: any crop that cut into the
    // square, or a panel that hid it, would show grey or white where the layout says black.
    const sources: PoolSource[] = [];
    for (let i = 0; i < 8; i++) {
      const w = 300 + i * 40;
      const h = 500 - i * 30;
      const roi = { x: 20 + i * 15, y: 30 + i * 10, width: 60 + i * 5, height: 50 };
      sources.push({
        name: `m${i}.svg`,
        data: markerSvg(w, h, roi),
        metadata: { roi, anchor: [i % 2, (i >> 1) % 2] },
      });
    }
    const markers = await loadPool(sources);
    for (let seed = 0; seed < 12; seed++) {
      const { layout, bitmap } = await composeComic({
        seed,
        width: 384,
        height: 1200,
        panels: 5,
        pool: markers,
        slantChance: 0.7,
        scale: 1,
      });
      for (const panel of layout.panels) {
        const roi = panel.image?.roi;
        expect(roi).toBeTruthy();
        if (!roi) continue;
        expect(rectInsideConvex(roi, panel.polygon, 0.01)).toBe(true);
        // Sample the inside of the ROI (2 dots in from its edges, clear of anti-aliasing).
        for (const [fx, fy] of [
          [0.5, 0.5],
          [0.1, 0.1],
          [0.9, 0.1],
          [0.1, 0.9],
          [0.9, 0.9],
        ] as const) {
          const x = Math.round(roi.x + 2 + fx * (roi.width - 4));
          const y = Math.round(roi.y + 2 + fy * (roi.height - 4));
          expect(
            bitmap.data[y * 384 + x],
            `seed ${seed} panel ${panel.id} at ${x},${y}`,
          ).toBeLessThan(40);
        }
      }
    }
  });

  it("leaves the panels it is asked to leave empty, and only those", async () => {
    const { layout, bitmap } = await composeComic({
      seed: 9,
      width: 384,
      height: 900,
      panels: 3,
      pool,
      emptyPanels: [1],
      scale: 1,
    });
    expect(layout.panels.map((p) => p.image === null)).toEqual([false, true, false]);
    const box = layout.panels[1]!.bbox;
    const cx = Math.round(box.x + box.width / 2);
    const cy = Math.round(box.y + box.height / 2);
    expect(containsPoint(layout.panels[1]!.polygon, [cx, cy])).toBe(true);
    expect(bitmap.data[cy * 384 + cx]).toBe(255);
  });

  it("places captions and balloons, tails pointing at the speaker, and records them in the layout", async () => {
    const robot = pool.images.filter((i) => i.name === "robot.svg");
    const { layout } = await composeComic({
      seed: 3,
      width: 576,
      height: 700,
      panels: 1,
      pool: { images: robot },
      script: [{ caption: "In the lab", balloons: ["Beep boop!"] }],
    });
    const panel = layout.panels[0]!;
    expect(panel.caption?.text).toBe("In the lab");
    expect(rectInsideConvex(panel.caption!.rect, panel.polygon)).toBe(true);
    const balloon = panel.balloons![0]!;
    expect(balloon.text).toBe("Beep boop!");
    // The speaker point (200, 188) of robot.svg on the page:
    const img = panel.image!;
    const speaker = [img.x + 200 * img.scale, img.y + 188 * img.scale];
    const tip = balloon.tail!;
    const before = Math.hypot(speaker[0]! - balloon.center[0], speaker[1]! - balloon.center[1]);
    expect(Math.hypot(speaker[0]! - tip[0], speaker[1]! - tip[1])).toBeLessThan(before);
    // The balloon stays off the robot's head (its region of interest).
    const roi = img.roi!;
    const overlapX =
      Math.min(roi.x + roi.width, balloon.center[0] + balloon.rx) -
      Math.max(roi.x, balloon.center[0] - balloon.rx);
    const overlapY =
      Math.min(roi.y + roi.height, balloon.center[1] + balloon.ry) -
      Math.max(roi.y, balloon.center[1] - balloon.ry);
    expect(overlapX <= 0 || overlapY <= 0).toBe(true);
  });

  it("redraws the same panels from its own layout JSON", async () => {
    const first = await composeComic({ seed: 5, width: 384, height: 800, pool });
    const again = await composeComic({
      seed: 5,
      width: 384,
      layout: JSON.parse(JSON.stringify(first.layout)),
      pool,
    });
    expect(again.layout.panels.map((p) => p.polygon)).toEqual(
      first.layout.panels.map((p) => p.polygon),
    );
  });

  it("composes on a template detected in a hand-drawn grid, laying the drawing over the pictures", async () => {
    const canvas = createCanvas(400, 600);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, 400, 600);
    ctx.lineWidth = 4;
    ctx.strokeRect(20, 20, 360, 260);
    ctx.strokeRect(20, 310, 170, 270);
    ctx.strokeRect(210, 310, 170, 270);
    const art = await canvas.encode("png");
    const { data } = ctx.getImageData(0, 0, 400, 600);
    const grey = new Uint8Array(400 * 600).map((_, i) => data[i * 4] as number);
    const template = { ...detectPanels({ width: 400, height: 600, data: grey }), art };
    const { layout, bitmap } = await composeComic({
      seed: 2,
      width: 384,
      layout: template,
      pool,
      scale: 1,
    });
    expect(layout.height).toBe(576);
    expect(layout.panels).toHaveLength(3);
    // The drawn line (x = 20 in the template, 19.2 dots on the page) is ink.
    expect(bitmap.data[200 * 384 + 19]).toBeLessThan(80);
  });

  it("reports progress through its phases in order, and stops when aborted", async () => {
    const events: ComposeProgressEvent[] = [];
    await composeComic({
      seed: 1,
      width: 384,
      height: 600,
      pool,
      onProgress: (e) => events.push(e),
    });
    expect(events.map((e) => e.phase)).toEqual(["layout", "pool", "select", "draw", "encode"]);
    expect(events.map((e) => e.done)).toEqual([0, 1, 2, 3, 4]);
    const controller = new AbortController();
    controller.abort(new Error("user"));
    expect(
      await failure(composeComic({ seed: 1, width: 384, pool, signal: controller.signal })),
    ).toMatchObject({
      code: "ABORTED",
    });
  });

  it("fails with a clear error when the pool is too small, or reuses when allowed", async () => {
    const three = { images: pool.images.slice(0, 3) };
    const error = await failure(
      composeComic({ seed: 1, width: 576, height: 2000, panels: 6, pool: three }),
    );
    expect(error).toMatchObject({ code: "POOL_TOO_SMALL", needed: 6 });
    const reused = await composeComic({
      seed: 1,
      width: 576,
      height: 2000,
      panels: 6,
      pool: three,
      allowReuse: true,
      scale: 1,
    });
    expect(reused.layout.panels.every((p) => p.image)).toBe(true);
  });

  it("names the image whose region of interest fits no panel", async () => {
    const roi = { x: 0, y: 0, width: 900, height: 900 };
    const big = await loadPool([
      { name: "poster.svg", data: markerSvg(1000, 1000, roi), metadata: { roi, minScale: 1 } },
    ]);
    const error = await failure(
      composeComic({
        seed: 1,
        width: 384,
        height: 800,
        pool: { images: [...pool.images, ...big.images] },
      }),
    );
    expect(error).toMatchObject({ code: "ROI_TOO_LARGE", path: "poster.svg" });
    expect(error.message).toContain("poster.svg");
  });

  it("rejects bad options and layouts", async () => {
    expect(await failure(composeComic({ seed: 1, width: 100.5, pool }))).toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    expect(await failure(composeComic({ seed: 1, width: 384, scale: 20, pool }))).toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    expect(await failure(composeComic({ seed: Number.NaN, width: 384, pool }))).toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    expect(
      await failure(
        composeComic({ seed: 1, width: 384, height: 600, panels: 2, pool, script: [{}, {}, {}] }),
      ),
    ).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(
      await failure(composeComic({ seed: 1, width: 384, pool, emptyPanels: [99] })),
    ).toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    const concave = {
      width: 384,
      height: 400,
      panels: [
        {
          id: 0,
          polygon: [
            [0, 0],
            [300, 0],
            [100, 100],
            [300, 300],
            [0, 300],
          ] as [number, number][],
          bbox: { x: 0, y: 0, width: 300, height: 300 },
        },
      ],
    };
    expect(
      await failure(composeComic({ seed: 1, width: 384, layout: concave, pool })),
    ).toMatchObject({
      code: "INVALID_LAYOUT",
    });
    expect(
      await failure(
        composeComic({ seed: 1, width: 576, layout: { ...concave, panels: [] }, pool }),
      ),
    ).toMatchObject({ code: "INVALID_LAYOUT" });
    expect(
      await failure(
        composeComic({
          seed: 1,
          width: 384,
          height: 600,
          panels: 2,
          pool,
          script: [{ balloons: ["word ".repeat(200)] }],
        }),
      ),
    ).toMatchObject({ code: "INVALID_ARGUMENT", panel: 0 });
  });
});
