// Starts the polargraph studio and drives one full session through headless chromium (Debian's
// package, through playwright-core): drop a picture, try styles, save a machine setting, plot to
// the built-in simulated plotter with live progress, download the SVG and PNG; screenshots of
// each step go to out/. With --open the studio stays up for a person afterwards (Ctrl-C stops).
//
// Without chromium (it needs root to install: apt-get install chromium) the browser session is
// skipped with a message, and the same session runs against the studio's HTTP API instead, so
// the demo still plots and downloads.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { exampleMachine } from "@tinkerbox/polargraph";
import { type Studio, startStudio } from "@tinkerbox/polargraph/studio";
import { chromium, type Page } from "playwright-core";
import sharp from "sharp";

const out = resolve(process.env.TINKERBOX_DEMO_OUT ?? "out");
const keepOpen = process.argv.includes("--open");
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
mkdirSync(out, { recursive: true });

/** A license-clean picture: a shaded sphere and a ring on a soft gradient. */
async function picture(): Promise<Buffer> {
  const w = 320;
  const h = 240;
  const px = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let b = 0.95 - 0.35 * (y / h);
      const dx = (x - 130) / 80;
      const dy = (y - 120) / 80;
      const r2 = dx * dx + dy * dy;
      if (r2 < 1) b = 0.15 + 0.8 * Math.max(0, -0.55 * dx - 0.65 * dy + 0.5 * Math.sqrt(1 - r2));
      const ring = Math.hypot(x - 250, y - 70);
      if (ring > 30 && ring < 42) b = 0.2;
      px[y * w + x] = Math.round(255 * Math.min(1, Math.max(0, b)));
    }
  return sharp(px, { raw: { width: w, height: h, channels: 1 } })
    .png()
    .toBuffer();
}

const picturePath = join(out, "picture.png");
writeFileSync(picturePath, await picture());
const machinePath = join(out, "machine.json");
writeFileSync(
  machinePath,
  `${JSON.stringify({ ...exampleMachine, name: "demo wall" }, null, 2)}\n`,
);

const studio = await startStudio({ machinePath, simulatorMsPerCommand: 1 });
console.log(`studio at ${studio.url} (machine ${machinePath})`);

let showed: string;
if (existsSync(chromiumPath)) showed = await browserSession(studio);
else {
  console.log(
    `chromium not found at ${chromiumPath}: skipping the browser session (install it as root with \`apt-get install chromium\`, or set CHROMIUM_PATH); running the same session over the studio's HTTP API`,
  );
  showed = await apiSession(studio);
}
writeFileSync(join(out, "result.json"), `${JSON.stringify({ showed }, null, 2)}\n`);
console.log(showed);

if (keepOpen) {
  console.log(`\nthe studio stays up at ${studio.url} — open it in a browser; Ctrl-C stops it`);
  await new Promise<void>((r) => process.once("SIGINT", () => r()));
}
await studio.close();

async function waitPreview(page: Page, change: () => Promise<unknown>): Promise<void> {
  const before = await page.evaluate(
    () => (window as unknown as { studio: { previewId: number } }).studio.previewId,
  );
  await change();
  await page.waitForFunction(
    (id) =>
      (window as unknown as { studio: { previewId: number } }).studio.previewId > id &&
      document.querySelector("#board")?.getAttribute("data-state") === "ready",
    before,
    { timeout: 120_000 },
  );
}

async function browserSession(s: Studio): Promise<string> {
  const userDataDir = mkdtempSync(join(tmpdir(), "polargraph-studio-demo-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
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
    viewport: { width: 1400, height: 900 },
    acceptDownloads: true,
  });
  try {
    const page = await context.newPage();
    const shot = async (name: string) => {
      await page.screenshot({ path: join(out, name) });
      console.log(`  screenshot ${name}`);
    };
    await page.goto(s.url);
    await page.waitForSelector("body[data-ready=true]");
    await shot("01-studio.png");
    await waitPreview(page, () => page.setInputFiles("#file", picturePath));
    await shot("02-square-wave.png");
    await waitPreview(page, () => page.selectOption("#style", "sine"));
    await page.check("#zoom");
    await shot("03-sine-zoomed.png");
    await waitPreview(page, () => page.selectOption("#style", "squiggle"));
    await waitPreview(page, () => page.fill("#param-columns", "36"));
    await page.click("#machine summary");
    await page.fill('[data-machine="drawSpeed"]', "45");
    await page.click("#save-machine");
    await page.waitForSelector("#machine-messages .ok");
    await shot("04-machine-saved.png");
    await page.click("#machine summary");
    await waitPreview(page, () => page.fill("#param-seed", "7"));
    await page.click("#plot");
    await page.waitForFunction(
      () => Number(document.querySelector("#job")?.getAttribute("data-acknowledged")) > 200,
    );
    await shot("05-plotting.png");
    await page.waitForSelector("#job[data-state=done]", { timeout: 300_000 });
    await shot("06-plotted.png");
    for (const format of ["svg", "png", "gcode"]) {
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.click(`button[data-format=${format}]`),
      ]);
      await download.saveAs(join(out, download.suggestedFilename()));
      console.log(`  downloaded ${download.suggestedFilename()}`);
    }
    const stats = (
      await page.$$eval(".stat", (els) =>
        els.map(
          (e) => `${e.querySelector("dt")?.textContent} ${e.querySelector("dd")?.textContent}`,
        ),
      )
    ).join(" · ");
    const total = await page.locator("#job").getAttribute("data-total");
    const ran = s.jobs.simulatedPlotter?.commands.length ?? 0;
    const timing = await page.evaluate(() => {
      const p = (
        window as unknown as { studio: { linesMs: number; statsMs: number; progressAt: number[] } }
      ).studio;
      const gaps = p.progressAt.slice(1).map((t, i) => t - (p.progressAt[i] as number));
      return { linesMs: p.linesMs, statsMs: p.statsMs, maxGap: Math.max(...gaps) };
    });
    console.log(
      `  last preview: lines ${timing.linesMs.toFixed(0)} ms, plan ${timing.statsMs.toFixed(0)} ms; longest gap between progress events ${timing.maxGap.toFixed(0)} ms`,
    );
    console.log(`  ${stats}`);
    return `chromium session: picture → square wave → sine → squiggle, machine saved, ${total} commands plotted to the simulated plotter (${ran} run), 6 screenshots, SVG/PNG/G-code downloaded`;
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

async function apiSession(s: Studio): Promise<string> {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, s.url), {
      method,
      headers: { "x-studio-token": s.token, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res;
  };
  const { previewPicture } = await import("@tinkerbox/polargraph/studio");
  const { data, info } = await sharp(picturePath)
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { preview } = previewPicture(
    s.machine,
    { pixels: new Uint8Array(data), width: info.width, height: info.height },
    "squiggle",
    { columns: 36, seed: 7 },
  );
  const strokes = preview.strokes.map((l) => l.flatMap((p) => [p.x, p.y]));
  for (const format of ["svg", "png"]) {
    const res = await call("POST", "/api/export", { strokes, format });
    writeFileSync(join(out, `plot.${format}`), Buffer.from(await res.arrayBuffer()));
  }
  await call("POST", "/api/plot", { strokes, target: { kind: "simulated" } });
  for (;;) {
    const { job } = (await (await call("GET", "/api/plot")).json()) as {
      job: { state: string; total: number };
    };
    if (job.state !== "running") {
      if (job.state !== "done") throw new Error(`the plot ended ${job.state}`);
      return `API session (no chromium, browser part skipped): squiggle of ${preview.lines} lines, ${job.total} commands plotted to the simulated plotter, SVG/PNG downloaded`;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
