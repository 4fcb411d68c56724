// Starts the comic studio (thermal-comic's web page) on a loopback port with an in-process
// virtual printer, on a copy of the package's example pool, and drives one session through the
// page in Debian's chromium: make and print a comic, drag a region of interest onto a pool
// image and save it, upload a hand-sketched grid and save it as a template, make a comic on it.
// Screenshots, the comics and the printer's paper go to $TINKERBOX_DEMO_OUT.
//   --open       keep the studio running afterwards for a person (Ctrl-C stops)
//   --port <n>   the studio's port (default: a free one)
// Without chromium (apt-get install chromium; CHROMIUM_PATH names another binary) the same
// session runs through the studio's API.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { examplePoolDir } from "@tinkerbox/thermal-comic";
import {
  detectTemplate,
  savePoolMetadata,
  saveTemplate,
  startComicStudio,
} from "@tinkerbox/thermal-comic/studio";

const { values } = parseArgs({ options: { open: { type: "boolean" }, port: { type: "string" } } });
const out = resolve(process.env.TINKERBOX_DEMO_OUT ?? "out");
const here = join(import.meta.dirname, "..");
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

mkdirSync(out, { recursive: true });
const pool = join(out, "pool");
rmSync(pool, { recursive: true, force: true });
cpSync(examplePoolDir(), pool, { recursive: true });
const studio = await startComicStudio({ pool, port: Number(values.port ?? 0) });
const printer = studio.virtualPrinter;
console.log(`comic studio on ${studio.url} (pool ${pool}, virtual printer ${printer?.url})`);
const shots: string[] = [];
const save = (name: string, bytes: Uint8Array) => {
  writeFileSync(join(out, name), bytes);
  console.log(`  ${name}`);
};
const fetchBytes = async (path: string) =>
  new Uint8Array(await (await fetch(new URL(path, studio.url))).arrayBuffer());

let showed: string;
if (existsSync(chromiumPath)) {
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "comic-studio-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    viewport: { width: 1280, height: 900 },
  });
  try {
    const page = await browser.newPage();
    const shot = async (name: string) => {
      await page.screenshot({ path: join(out, name), fullPage: true });
      shots.push(name);
      console.log(`  ${name}`);
    };
    const press = async (n: number) => {
      await page.click("#make");
      await page.waitForFunction(
        (n) =>
          document.getElementById("make-status")?.textContent === `comic ${n} done` ||
          !document.getElementById("message")?.hidden,
        n,
        { timeout: 120_000 },
      );
      if ((await page.textContent("#make-status")) !== `comic ${n} done`)
        throw new Error(`the page says: ${await page.textContent("#message")}`);
      await page.waitForFunction(() =>
        ["comic-png", "paper-png"].every(
          (id) => (document.getElementById(id) as HTMLImageElement).complete,
        ),
      );
    };
    await page.goto(studio.url);
    await page.waitForFunction(() => document.getElementById("printer-info")?.textContent !== "");

    console.log('1. "Make a comic" with seed 2026');
    await page.fill("#seed", "2026");
    await press(1);
    console.log(
      `   ${await page.textContent("#result-panels")}; ${await page.textContent("#print-status")}`,
    );
    await shot("1-make-a-comic.png");

    console.log(
      "2. pool editor: drag a region of interest onto the lighthouse's lamp, turn it to cover",
    );
    await page.click("[data-tab=pool]");
    await page.click('#pool-list li[data-name="lighthouse.svg"]');
    await page.waitForFunction(
      () => (document.getElementById("roi-canvas") as HTMLCanvasElement).height === 480,
    );
    const box = await page.locator("#roi-canvas").boundingBox();
    if (!box) throw new Error("the ROI canvas is not shown");
    const s = box.height / 560; // lighthouse.svg is 320×560
    await page.mouse.move(box.x + 90 * s, box.y + 40 * s);
    await page.mouse.down();
    await page.mouse.move(box.x + 230 * s, box.y + 230 * s, { steps: 8 });
    await page.mouse.up();
    await page.selectOption("#fit", "cover");
    await page.fill("#tags", "sea, establishing-shot, lamp");
    await page.click("#pool-save");
    await page.waitForSelector("#pool-status:has-text('saved to')");
    console.log(
      `   ${await page.textContent("#roi-text")}; ${await page.textContent("#pool-status")}`,
    );
    await shot("2-pool-editor.png");

    console.log("3. templates: upload grid.png (a hand-sketched empty grid), save it as 'sketch'");
    await page.click("[data-tab=templates]");
    await page.setInputFiles("#template-file", join(here, "grid.png"));
    await page.waitForSelector("#template-count:has-text('panels')");
    console.log(`   ${await page.textContent("#template-status")}`);
    await page.fill("#template-name", "sketch");
    await page.click("#template-save");
    await page.waitForSelector("#template-status:has-text('saved')");
    await shot("3-template.png");

    console.log("4. a comic on the saved template");
    await page.click("[data-tab=make]");
    await page.selectOption("#template-choice", "sketch");
    await page.fill("#seed", "7");
    await press(2);
    console.log(
      `   ${await page.textContent("#result-panels")}; ${await page.textContent("#print-status")}`,
    );
    await shot("4-template-comic.png");
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
  showed = `studio session in chromium: ${studio.comics.length} comics made and printed to the virtual printer (${printer?.jobs.length} jobs), an ROI dragged and saved, a sketched grid saved as a template; ${shots.length} screenshots`;
} else {
  console.log(
    `${chromiumPath} not found (apt-get install chromium): the same session through the studio's API, no screenshots`,
  );
  await studio.makeComic({ seed: 2026 });
  await savePoolMetadata(pool, "lighthouse.svg", {
    tags: ["sea", "establishing-shot", "lamp"],
    fit: "cover",
    aspects: ["tall"],
    roi: { x: 90, y: 40, width: 140, height: 190 },
    anchor: [0.5, 0.241],
  });
  const grid = readFileSync(join(here, "grid.png"));
  await saveTemplate(join(pool, "templates"), "sketch", grid, (await detectTemplate(grid)).panels);
  await studio.makeComic({ seed: 7, template: "sketch" });
  showed = `studio session through its API (no chromium): ${studio.comics.length} comics printed to the virtual printer, an ROI saved, a template saved`;
}

for (const comic of studio.comics) {
  save(`comic-${comic.id}.png`, await fetchBytes(`api/comics/${comic.id}/comic.png`));
  save(`comic-${comic.id}-paper.png`, await fetchBytes(`api/comics/${comic.id}/paper.png`));
}
writeFileSync(
  join(out, "result.json"),
  `${JSON.stringify({ showed, comics: studio.comics, screenshots: shots, printerJobs: printer?.jobs.length ?? 0 }, null, 2)}\n`,
);
console.log(showed);

if (values.open) {
  console.log(`\nthe studio stays up at ${studio.url} — open it in a browser; Ctrl-C stops`);
  await new Promise<void>((done) => {
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
}
await studio.close();
