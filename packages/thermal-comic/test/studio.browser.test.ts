// The studio driven in Debian's chromium through playwright-core: the page's own buttons, drags
// and uploads, checked against what the virtual printer received and what the composer did.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadImage } from "@napi-rs/canvas";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { chromiumMissing, launchChromium } from "../../../test/chromium.js";
import { composeComic, decodeEscPos, dither, isBlack, loadTemplate } from "../src/index.js";
import { type RunningComicStudio, startComicStudio } from "../src/studio.js";
import { markerSvg, poolCopy, tempDir } from "./helpers.js";
import { studioUi } from "./studio-helpers.js";

const ui = studioUi();
const grid = join(import.meta.dirname, "fixtures", "grid.png");

describe.skipIf(chromiumMissing !== undefined)(
  "comic studio in chromium",
  { tags: ["peer", "slow"], timeout: 120_000 },
  () => {
    let browser: Awaited<ReturnType<typeof launchChromium>>;
    let page: Page;
    const studios: RunningComicStudio[] = [];
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });
    afterEach(async () => {
      await page?.close();
      for (const studio of studios.splice(0)) await studio.close();
    });
    /** Presses the button and waits for comic `n`, failing with the page's message if it says one. */
    async function press(n: number): Promise<void> {
      await page.click("#make");
      await page.waitForFunction(
        (n) =>
          document.getElementById("make-status")?.textContent === `comic ${n} done` ||
          !document.getElementById("message")?.hidden,
        n,
        { timeout: 90_000 },
      );
      const status = await page.textContent("#make-status");
      if (status !== `comic ${n} done`)
        throw new Error(`no comic: ${await page.textContent("#message")}`);
    }
    async function open(pool: string): Promise<RunningComicStudio> {
      const studio = await startComicStudio({ pool, uiDir: ui.dir });
      studios.push(studio);
      page = await browser.context.newPage();
      await page.goto(studio.url);
      await page.waitForFunction(() => document.getElementById("printer-info")?.textContent !== "");
      return studio;
    }

    it('"Make a comic" prints to the virtual printer; the page shows the PNG, the paper and the seed', async () => {
      const pool = poolCopy();
      const studio = await open(pool);
      await page.fill("#seed", "424242");
      await page.evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { seen: string[] }).seen = seen;
        const status = document.getElementById("make-status") as HTMLElement;
        new MutationObserver(() => seen.push(status.textContent ?? "")).observe(status, {
          childList: true,
          characterData: true,
          subtree: true,
        });
      });
      await press(1);
      // Progress streamed while it worked: a composing step and the bytes going to the printer.
      const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
      // (Steps that follow each other without waiting, such as draw and encode, may reach the
      // page in one chunk and show only the last; reading the pool always waits for the disk.)
      expect(seen).toContain("reading the pool…");
      expect(seen.some((text) => /^printing: \d+ of \d+ bytes$/.test(text))).toBe(true);
      expect(await page.textContent("#result-seed")).toBe("424242");
      expect(await page.textContent("#print-status")).toContain("Printed");
      const jobs = studio.virtualPrinter?.jobs ?? [];
      expect(jobs).toHaveLength(1);
      // What the printer received, decoded, is the comic of the seed the page shows, dithered.
      const comic = await composeComic({
        seed: 424242,
        width: 576,
        pool,
        allowReuse: true,
        roiTooLarge: studio.comics[0]?.skipLargeRoi ? "skip" : "error",
      });
      const mono = dither(comic.bitmap);
      const paper = decodeEscPos((jobs[0] as { bytes: Uint8Array }).bytes, { width: 576 });
      let differing = 0;
      for (let y = 0; y < mono.height; y++)
        for (let x = 0; x < mono.width; x++)
          if ((paper.dots[y * paper.width + x] === 1) !== isBlack(mono, x, y)) differing++;
      expect(differing).toBe(0);
      // Both pictures loaded in the page, side by side, at their real sizes.
      const sizes = await page.evaluate(() =>
        ["comic-png", "paper-png"].map((id) => {
          const img = document.getElementById(id) as HTMLImageElement;
          return {
            complete: img.complete,
            width: img.naturalWidth,
            height: img.naturalHeight,
            left: img.getBoundingClientRect().left,
          };
        }),
      );
      expect(sizes[0]).toMatchObject({
        complete: true,
        width: 1152,
        height: comic.layout.height * 2,
      });
      expect(sizes[1]).toMatchObject({ complete: true, width: 576, height: paper.height });
      expect((sizes[1]?.left ?? 0) > (sizes[0]?.left ?? 0)).toBe(true);
      const download = await page.getAttribute("#download-png", "href");
      expect(download).toBe("/api/comics/1/comic.png");
    });

    it("dragging a region of interest saves it, and the next comic keeps it visible", async () => {
      const pool = tempDir();
      // A wide grey picture with a black square near its right edge: a cover crop into a tall
      // panel cuts it off unless the region of interest keeps it in.
      writeFileSync(
        join(pool, "marker.svg"),
        markerSvg(400, 200, { x: 330, y: 20, width: 60, height: 60 }),
      );
      writeFileSync(join(pool, "marker.json"), "{}\n");
      const studio = await open(pool);
      await page.click("[data-tab=pool]");
      await page.click('#pool-list li[data-name="marker.svg"]');
      const canvas = page.locator("#roi-canvas");
      await page.waitForFunction(
        () => (document.getElementById("roi-canvas") as HTMLCanvasElement).width === 480,
      );
      const box = await canvas.boundingBox();
      if (!box) throw new Error("no canvas");
      const scale = box.width / 400; // canvas pixels per image pixel (480 / 400)
      await page.mouse.move(box.x + 330 * scale, box.y + 20 * scale);
      await page.mouse.down();
      await page.mouse.move(box.x + 360 * scale, box.y + 50 * scale, { steps: 5 });
      await page.mouse.move(box.x + 390 * scale, box.y + 80 * scale, { steps: 5 });
      await page.mouse.up();
      await page.fill("#tags", "marker, test");
      await page.click("#pool-save");
      await page.waitForSelector("#pool-status:has-text('saved to marker.json')");
      const saved = JSON.parse(readFileSync(join(pool, "marker.json"), "utf8"));
      expect(saved.tags).toEqual(["marker", "test"]);
      for (const [key, want] of Object.entries({ x: 330, y: 20, width: 60, height: 60 }))
        expect(Math.abs(saved.roi[key] - want), key).toBeLessThanOrEqual(2);
      expect(saved.anchor[0]).toBeCloseTo(0.9, 1);
      expect(saved.anchor[1]).toBeCloseTo(0.25, 1);

      // A seed whose random layout this one-picture pool can fill (some panels are too wide for
      // a cover crop that keeps the square in; the composer refuses those, as it should).
      let seed = 1;
      while (
        !(await composeComic({ seed, width: 576, pool, allowReuse: true }).then(
          () => true,
          () => false,
        ))
      )
        seed++;
      await page.click("[data-tab=make]");
      await page.fill("#seed", String(seed));
      await press(1);
      const layout = JSON.parse(await (await fetch(`${studio.url}api/comics/1/comic.json`)).text());
      const print = await loadImage(
        Buffer.from(await (await fetch(`${studio.url}api/comics/1/comic.print.png`)).arrayBuffer()),
      );
      const { createCanvas } = await import("@napi-rs/canvas");
      const c = createCanvas(print.width, print.height);
      const ctx = c.getContext("2d");
      ctx.drawImage(print, 0, 0);
      for (const panel of layout.panels) {
        const roi = panel.image.roi;
        expect(roi, `panel ${panel.id}`).not.toBeNull();
        // The black square is on the page inside the region of interest the composer reports.
        const inner = ctx.getImageData(
          Math.ceil(roi.x + roi.width * 0.25),
          Math.ceil(roi.y + roi.height * 0.25),
          Math.max(1, Math.floor(roi.width * 0.5)),
          Math.max(1, Math.floor(roi.height * 0.5)),
        ).data;
        let sum = 0;
        for (let i = 0; i < inner.length; i += 4) sum += inner[i] as number;
        expect(sum / (inner.length / 4), `panel ${panel.id} mean grey in the ROI`).toBeLessThan(40);
      }
    });

    it("invalid metadata is shown at its field and the file is left alone", async () => {
      const pool = poolCopy();
      await open(pool);
      const before = readFileSync(join(pool, "cat.json"));
      await page.click("[data-tab=pool]");
      await page.click('#pool-list li[data-name="cat.svg"]');
      await page.fill("#minScale", "lots");
      await page.click("#pool-save");
      await page.waitForSelector("#pool-status:has-text('not saved')");
      expect(await page.textContent('.error[data-field="minScale"]')).toContain(
        "minScale must be a number",
      );
      expect(await page.getAttribute("#minScale", "class")).toContain("invalid");
      expect(await page.inputValue("#minScale")).toBe("lots"); // what was typed stays to fix
      expect(readFileSync(join(pool, "cat.json"))).toEqual(before);
    });

    it("uploading a sketched grid outlines its panels; removing one and saving writes the template", async () => {
      const pool = poolCopy();
      await open(pool);
      await page.click("[data-tab=templates]");
      await page.setInputFiles("#template-file", grid);
      await page.waitForSelector("#template-count:has-text('5 panels')");
      // The outlines are drawn: the canvas has the outline colour along the first panel's edge.
      const blue = await page.evaluate(() => {
        const canvas = document.getElementById("template-canvas") as HTMLCanvasElement;
        const data =
          canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
        let count = 0;
        for (let i = 0; i < data.length; i += 4)
          if (
            (data[i] as number) < 80 &&
            (data[i + 2] as number) > 200 &&
            (data[i + 1] as number) > 90
          )
            count++;
        return count;
      });
      expect(blue).toBeGreaterThan(500);
      // Select the last panel (click its centre) and remove it.
      const box = await page.locator("#template-canvas").boundingBox();
      if (!box) throw new Error("no canvas");
      const detected = await (await fetch(`${page.url()}api/state`)).json();
      expect(detected.templates).toEqual([]);
      const last = (await loadTemplate(grid)).panels[4] as Array<[number, number]>;
      const cx = last.reduce((sum, p) => sum + p[0], 0) / last.length;
      const cy = last.reduce((sum, p) => sum + p[1], 0) / last.length;
      await page.mouse.click(box.x + (cx / 800) * box.width, box.y + (cy / 1200) * box.height);
      await page.click("#template-remove");
      await page.waitForSelector("#template-count:has-text('4 panels')");
      await page.fill("#template-name", "sketch");
      await page.click("#template-save");
      await page.waitForSelector("#template-status:has-text('saved sketch.png')");
      const saved = JSON.parse(readFileSync(join(pool, "templates", "sketch.json"), "utf8"));
      expect(saved.panels).toHaveLength(4);
      await page.waitForSelector("#template-choice option[value=sketch]", { state: "attached" });
      expect(await page.locator("#template-choice option").allTextContents()).toEqual([
        "random layout",
        "template sketch (4 panels)",
      ]);
    });

    it("an unreadable upload and an unreachable printer are shown in the page; the studio keeps working", async () => {
      const pool = poolCopy();
      await open(pool);
      await page.click("[data-tab=templates]");
      const bogus = join(tempDir(), "notes.png");
      writeFileSync(bogus, "not a picture at all");
      await page.setInputFiles("#template-file", bogus);
      await page.waitForSelector("#message:not([hidden])");
      expect(await page.textContent("#message")).toMatch(/cannot be decoded.*pick a PNG, JPEG/);
      // Dropped instead of picked: the same detection, and the message goes away.
      const dropped = await page.evaluateHandle(
        (bytes) => {
          const transfer = new DataTransfer();
          transfer.items.add(new File([new Uint8Array(bytes)], "grid.png", { type: "image/png" }));
          return transfer;
        },
        [...readFileSync(grid)],
      );
      await page.dispatchEvent("#tab-templates", "drop", { dataTransfer: dropped });
      await page.waitForSelector("#template-count:has-text('5 panels')");
      expect(await page.isHidden("#message")).toBe(true);

      const offline = await startComicStudio({
        pool,
        uiDir: ui.dir,
        printer: "tcp://127.0.0.1:9",
        printTimeoutMs: 2000,
      });
      studios.push(offline);
      await page.goto(offline.url);
      await press(1);
      expect(await page.textContent("#print-status")).toContain("Not printed");
      expect(await page.textContent("#message")).toContain("not printed");
      expect(
        await page.evaluate(
          () => (document.getElementById("comic-png") as HTMLImageElement).complete,
        ),
      ).toBe(true);
    });
  },
);
