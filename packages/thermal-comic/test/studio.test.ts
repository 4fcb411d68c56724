import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  composeComic,
  decodeEscPos,
  dither,
  isBlack,
  isThermalComicError,
  loadTemplate,
} from "../src/index.js";
import { type RunningComicStudio, startComicStudio } from "../src/studio.js";
import { markerSvg, poolCopy, tempDir } from "./helpers.js";
import { rawRequest, studioUi } from "./studio-helpers.js";

const ui = studioUi();
const grid = readFileSync(join(import.meta.dirname, "fixtures", "grid.png"));
const running: RunningComicStudio[] = [];
afterEach(async () => {
  for (const studio of running.splice(0)) await studio.close();
});

async function start(options: Partial<Parameters<typeof startComicStudio>[0]> = {}) {
  const studio = await startComicStudio({ pool: poolCopy(), uiDir: ui.dir, ...options });
  running.push(studio);
  return studio;
}

const json = (studio: RunningComicStudio, extra: Record<string, string> = {}) => ({
  "content-type": "application/json",
  "x-studio-token": studio.token,
  ...extra,
});

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

describe("studio HTTP layer refuses what a foreign page could forge", () => {
  it("binds to loopback and serves the page with its token and a strict CSP", async () => {
    const studio = await start();
    expect(studio.url).toBe(`http://127.0.0.1:${studio.port}/`);
    const page = await rawRequest(studio.url);
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain(`content="${studio.token}"`);
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.headers["x-frame-options"]).toBe("DENY");
    expect(studio.token.length).toBeGreaterThanOrEqual(32);
  });

  it("refuses a state-changing request without the token, with a wrong one, and prints nothing", async () => {
    const studio = await start();
    const url = `${studio.url}api/comics`;
    const none = await rawRequest(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(none.status).toBe(403);
    expect(none.json().error.code).toBe("MISSING_TOKEN");
    const wrong = await rawRequest(url, {
      method: "POST",
      headers: json(studio, { "x-studio-token": `${studio.token.slice(0, -1)}x` }),
      body: "{}",
    });
    expect(wrong.status).toBe(403);
    // A form post (the one thing a foreign page can send without CORS) has no custom header.
    const form = await rawRequest(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "seed=1",
    });
    expect(form.status).toBe(403);
    expect(studio.comics).toHaveLength(0);
    expect(studio.virtualPrinter?.jobs).toHaveLength(0);
  });

  it("refuses a foreign Origin and cross-site fetches even with the token", async () => {
    const studio = await start();
    const url = `${studio.url}api/comics`;
    for (const origin of [
      "http://evil.example",
      "http://127.0.0.1:1",
      "null",
      `https://127.0.0.1:${studio.port}`,
    ]) {
      const response = await rawRequest(url, {
        method: "POST",
        headers: json(studio, { origin }),
        body: "{}",
      });
      expect(response.status, origin).toBe(403);
      expect(response.json().error.code).toBe("FOREIGN_ORIGIN");
    }
    const crossSite = await rawRequest(`${studio.url}api/pool`, {
      headers: { "sec-fetch-site": "cross-site" },
    });
    expect(crossSite.status).toBe(403);
    expect(studio.virtualPrinter?.jobs).toHaveLength(0);
    const own = await rawRequest(`${studio.url}api/state`, {
      headers: { origin: `http://localhost:${studio.port}`, "sec-fetch-site": "same-origin" },
    });
    expect(own.status).toBe(200);
  });

  it("refuses a Host that is not this loopback server (DNS rebinding)", async () => {
    const studio = await start();
    for (const host of [
      "evil.example",
      `evil.example:${studio.port}`,
      "127.0.0.1:1",
      `10.0.0.1:${studio.port}`,
    ]) {
      const response = await rawRequest(`${studio.url}api/state`, { headers: { host } });
      expect(response.status, host).toBe(421);
      expect(response.json().error.code).toBe("BAD_HOST");
    }
    for (const host of [`127.0.0.1:${studio.port}`, `localhost:${studio.port}`]) {
      const response = await rawRequest(`${studio.url}api/state`, { headers: { host } });
      expect(response.status, host).toBe(200);
    }
  });

  it("refuses a metadata write without the token and leaves the file alone", async () => {
    const studio = await start();
    const state = (await rawRequest(`${studio.url}api/state`)).json();
    const file = join(state.pool, "cat.json");
    const before = readFileSync(file);
    const response = await rawRequest(`${studio.url}api/pool/cat.svg/metadata`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ metadata: { tags: ["pwned"] } }),
    });
    expect(response.status).toBe(403);
    expect(readFileSync(file)).toEqual(before);
  });

  it("answers 413 to an upload over the limit and keeps serving", async () => {
    const studio = await start({ maxUploadBytes: 1000 });
    const response = await rawRequest(`${studio.url}api/templates/detect`, {
      method: "POST",
      headers: { "x-studio-token": studio.token, "content-type": "image/png" },
      body: grid,
    });
    expect(response.status).toBe(413);
    expect((await rawRequest(`${studio.url}api/state`)).status).toBe(200);
  });

  it("fails to start with IO_ERROR when the page is not built", async () => {
    const error = await startComicStudio({
      pool: poolCopy(),
      uiDir: join(tempDir(), "nothing"),
    }).catch((e: unknown) => e);
    expect(isThermalComicError(error) && error.code).toBe("IO_ERROR");
    expect((error as Error).message).toContain("build the package");
  });
});

describe("Make a comic", { timeout: 90_000 }, () => {
  it("composes, prints to the virtual printer, and serves the PNG, the paper and the layout", async () => {
    const studio = await start();
    const response = await rawRequest(`${studio.url}api/comics`, {
      method: "POST",
      headers: json(studio),
      body: JSON.stringify({ seed: 2026 }),
    });
    expect(response.status).toBe(200);
    const comic = response.json();
    expect(comic.seed).toBe(2026);
    expect(comic.print).toMatchObject({ ok: true, printer: "virtual", preview: "virtual-printer" });
    const jobs = studio.virtualPrinter?.jobs ?? [];
    expect(jobs).toHaveLength(1);
    // Decode what the printer received and compare it dot for dot with the same comic composed
    // and dithered here from the seed the page shows.
    const state = (await rawRequest(`${studio.url}api/state`)).json();
    const again = await composeComic({
      seed: 2026,
      width: 576,
      pool: state.pool,
      allowReuse: true,
      roiTooLarge: comic.skipLargeRoi ? "skip" : "error",
    });
    const mono = dither(again.bitmap, { method: "floyd-steinberg" });
    const paper = decodeEscPos((jobs[0] as { bytes: Uint8Array }).bytes, { width: 576 });
    expect(paper.height).toBeGreaterThanOrEqual(mono.height);
    let differing = 0;
    for (let y = 0; y < mono.height; y++)
      for (let x = 0; x < 576; x++)
        if ((paper.dots[y * paper.width + x] === 1) !== isBlack(mono, x, y)) differing++;
    expect(differing).toBe(0);
    expect(paper.cuts.length).toBeGreaterThanOrEqual(1);

    const png = await rawRequest(`${studio.url}api/comics/${comic.id}/comic.png`);
    expect(png.headers["content-type"]).toBe("image/png");
    expect(png.body).toEqual(again.png);
    const printed = await rawRequest(`${studio.url}api/comics/${comic.id}/paper.png`);
    expect(printed.body).toEqual((jobs[0] as { png: Buffer }).png);
    const layout = await rawRequest(`${studio.url}api/comics/${comic.id}/comic.json`);
    expect(layout.json().seed).toBe(2026);
    expect(layout.json().panels.map((p: { image: { name: string } }) => p.image.name)).toEqual(
      comic.panels.map((p: { image: string }) => p.image),
    );
    expect((await rawRequest(`${studio.url}api/comics/99/comic.png`)).status).toBe(404);
  });

  it("streams progress to the page: every step in order, the bytes printed, then the comic", async () => {
    const studio = await start();
    const response = await rawRequest(`${studio.url}api/comics`, {
      method: "POST",
      headers: json(studio, { accept: "application/x-ndjson" }),
      body: JSON.stringify({ seed: 11 }),
    });
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toContain("application/x-ndjson");
    const lines = response.body
      .toString("utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const phases = lines.filter((l) => l.progress).map((l) => l.progress.phase);
    expect([...new Set(phases)]).toEqual([
      "layout",
      "pool",
      "select",
      "draw",
      "encode",
      "dither",
      "print",
    ]);
    const printing = lines.filter((l) => l.progress?.phase === "print").map((l) => l.progress);
    const total = printing[0].bytesTotal;
    expect(printing.at(-1)).toMatchObject({
      bytesSent: total,
      bytesTotal: total,
      done: 6,
      total: 7,
    });
    expect(lines.at(-1).comic).toMatchObject({
      id: 1,
      seed: 11,
      print: { ok: true, bytesSent: total },
    });
    // The printer got the job plus the sender's DLE EOT status queries (3 bytes each: 10 04 n):
    // one before the job and one after each band.
    const job = studio.virtualPrinter?.jobs[0];
    expect(job?.paper.statusQueries.length).toBeGreaterThan(1);
    expect(job?.bytes.length).toBe(total + 3 * (job?.paper.statusQueries.length ?? 0));

    const failing = await rawRequest(`${studio.url}api/comics`, {
      method: "POST",
      headers: json(studio, { accept: "application/x-ndjson" }),
      body: JSON.stringify({ template: "missing" }),
    });
    const last = JSON.parse(failing.body.toString("utf8").trim().split("\n").at(-1) as string);
    expect(last.error).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(last.error.message).toContain("missing");
  });

  it("a random seed is reported so the comic can be made again byte for byte", async () => {
    const studio = await start();
    const first = await studio.makeComic();
    expect(typeof first.seed).toBe("number");
    const second = await studio.makeComic({ seed: first.seed });
    const a = await rawRequest(`${studio.url}api/comics/${first.id}/comic.png`);
    const b = await rawRequest(`${studio.url}api/comics/${second.id}/comic.png`);
    expect(a.body.length).toBeGreaterThan(1000);
    expect(b.body).toEqual(a.body);
  });

  it("an unreachable printer: the comic is still shown, the page gets PRINTER_UNREACHABLE, the server keeps running", async () => {
    const port = await closedPort();
    const studio = await start({ printer: `tcp://127.0.0.1:${port}`, printTimeoutMs: 2000 });
    expect(studio.virtualPrinter).toBeNull();
    const response = await rawRequest(`${studio.url}api/comics`, {
      method: "POST",
      headers: json(studio),
      body: JSON.stringify({ seed: 3 }),
    });
    expect(response.status).toBe(200);
    const comic = response.json();
    expect(comic.print.ok).toBe(false);
    expect(comic.print.error.code).toBe("PRINTER_UNREACHABLE");
    expect(comic.print.preview).toBe("sent-bytes");
    expect((await rawRequest(`${studio.url}api/comics/${comic.id}/paper.png`)).status).toBe(200);
    expect((await rawRequest(`${studio.url}api/state`)).status).toBe(200);
  });

  it("prints to a file printer and previews the bytes sent", async () => {
    const out = join(tempDir(), "out.bin");
    const studio = await start({ printer: `file:${out}`, profile: "58mm" });
    const comic = await studio.makeComic({ seed: "file" });
    expect(comic.print.ok).toBe(true);
    expect(comic.width).toBe(384);
    const written = readFileSync(out);
    expect(comic.print.bytesSent).toBe(written.length);
    expect(decodeEscPos(written, { width: 384 }).height).toBeGreaterThanOrEqual(comic.height);
  });

  it("bad seeds and unknown templates are refused with a message", async () => {
    const studio = await start();
    const bad = await rawRequest(`${studio.url}api/comics`, {
      method: "POST",
      headers: json(studio),
      body: JSON.stringify({ seed: { x: 1 } }),
    });
    expect(bad.status).toBe(400);
    const notJson = await rawRequest(`${studio.url}api/comics`, {
      method: "POST",
      headers: json(studio),
      body: "{seed",
    });
    expect(notJson.status).toBe(400);
    expect(notJson.json().error.code).toBe("BAD_JSON");
    const template = await rawRequest(`${studio.url}api/comics`, {
      method: "POST",
      headers: json(studio),
      body: JSON.stringify({ template: "nope" }),
    });
    expect(template.status).toBe(422);
    expect(template.json().error.message).toContain("nope");
    expect(studio.virtualPrinter?.jobs).toHaveLength(0);
  });

  it("an image whose region of interest fits no panel is left out, and the comic says so", async () => {
    const pool = tempDir();
    writeFileSync(join(pool, "a.svg"), markerSvg(300, 300));
    writeFileSync(join(pool, "a.json"), "{}");
    writeFileSync(
      join(pool, "big.svg"),
      markerSvg(300, 300, { x: 0, y: 0, width: 300, height: 300 }),
    );
    writeFileSync(
      join(pool, "big.json"),
      JSON.stringify({ roi: { x: 0, y: 0, width: 300, height: 300 }, minScale: 5 }),
    );
    const studio = await start({ pool });
    const comic = await studio.makeComic({ seed: 1 });
    expect(comic.skipLargeRoi).toBe(true);
    expect(comic.notes.join(" ")).toContain("big.svg");
    expect(comic.panels.every((p) => p.image === "a.svg")).toBe(true);
  });
});

describe("pool editor API", () => {
  it("lists the pool with metadata, sizes and per-image errors", async () => {
    const pool = poolCopy();
    writeFileSync(join(pool, "ghost.yaml"), "fit: sideways\n");
    writeFileSync(join(pool, "new.svg"), markerSvg(100, 50));
    const studio = await start({ pool });
    const { images } = (await rawRequest(`${studio.url}api/pool`)).json();
    const byName = Object.fromEntries(images.map((e: { name: string }) => [e.name, e]));
    expect(byName["cat.svg"]).toMatchObject({
      width: 360,
      height: 420,
      metadataFile: "cat.json",
      error: null,
    });
    expect(byName["ghost.svg"].error).toMatchObject({ code: "INVALID_METADATA", field: "fit" });
    expect(byName["new.svg"]).toMatchObject({
      hasMetadata: false,
      metadataFile: "new.json",
      width: 100,
      height: 50,
    });
    expect(byName["new.svg"].error.code).toBe("MISSING_METADATA");
    const image = await rawRequest(`${studio.url}api/pool/cat.svg/image`);
    expect(image.headers["content-type"]).toBe("image/svg+xml");
    expect(image.body).toEqual(readFileSync(join(pool, "cat.svg")));
  });

  it("saves a valid region of interest atomically; the composer reads it back", async () => {
    const pool = poolCopy();
    const studio = await start({ pool });
    const metadata = {
      tags: ["cat", "hero"],
      fit: "contain",
      anchor: [0.25, 0.5],
      roi: { x: 10, y: 20, width: 100, height: 120 },
    };
    const response = await rawRequest(`${studio.url}api/pool/cat.svg/metadata`, {
      method: "PUT",
      headers: json(studio),
      body: JSON.stringify({ metadata }),
    });
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ name: "cat.svg", error: null, metadata });
    expect(JSON.parse(readFileSync(join(pool, "cat.json"), "utf8"))).toEqual(metadata);
    expect(readdirSync(pool).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("keeps a YAML sidecar YAML, with its comments", async () => {
    const pool = poolCopy();
    writeFileSync(join(pool, "robot.yaml"), "# the hero of the lab\ntags: [robot]\nfit: cover\n");
    const studio = await start({ pool });
    const response = await rawRequest(`${studio.url}api/pool/robot.svg/metadata`, {
      method: "PUT",
      headers: json(studio),
      body: JSON.stringify({
        metadata: { tags: ["robot", "hero"], roi: { x: 1, y: 2, width: 30, height: 40 } },
      }),
    });
    expect(response.status).toBe(200);
    const text = readFileSync(join(pool, "robot.yaml"), "utf8");
    expect(text).toContain("# the hero of the lab");
    expect(text).not.toContain("fit:");
    expect(text).toMatch(/roi:/);
    const { images } = (await rawRequest(`${studio.url}api/pool`)).json();
    expect(images.find((e: { name: string }) => e.name === "robot.svg").metadata).toEqual({
      tags: ["robot", "hero"],
      roi: { x: 1, y: 2, width: 30, height: 40 },
    });
  });

  it("refuses invalid metadata with the composer's field and loses nothing", async () => {
    const pool = poolCopy();
    const studio = await start({ pool });
    const before = readFileSync(join(pool, "cat.json"));
    const cases: Array<[unknown, string]> = [
      [{ roi: { x: 300, y: 0, width: 100, height: 100 } }, "roi"], // cat.svg is 360 wide
      [{ fit: "stretch" }, "fit"],
      [{ minScale: "big" }, "minScale"],
      [{ anchor: [2, 0] }, "anchor"],
      [{ colour: "red" }, "colour"],
    ];
    for (const [metadata, field] of cases) {
      const response = await rawRequest(`${studio.url}api/pool/cat.svg/metadata`, {
        method: "PUT",
        headers: json(studio),
        body: JSON.stringify({ metadata }),
      });
      expect(response.status, field).toBe(422);
      expect(response.json().error).toMatchObject({ code: "INVALID_METADATA", field });
    }
    const notObject = await rawRequest(`${studio.url}api/pool/cat.svg/metadata`, {
      method: "PUT",
      headers: json(studio),
      body: JSON.stringify({ metadata: [1] }),
    });
    expect(notObject.status).toBe(422);
    expect(readFileSync(join(pool, "cat.json"))).toEqual(before);
    expect(readdirSync(pool).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("refuses names that are not pool images (no path tricks)", async () => {
    const pool = poolCopy();
    const studio = await start({ pool });
    for (const name of ["..%2Fetc%2Fpasswd", "cat.json", "nothing.svg", "templates"]) {
      const response = await rawRequest(`${studio.url}api/pool/${name}/metadata`, {
        method: "PUT",
        headers: json(studio),
        body: JSON.stringify({ metadata: {} }),
      });
      expect(response.status, name).toBe(422);
      expect(response.json().error.code).toBe("INVALID_ARGUMENT");
      expect((await rawRequest(`${studio.url}api/pool/${name}/image`)).status).toBe(422);
    }
    expect(existsSync(join(pool, "etc"))).toBe(false);
  });

  it("creates the JSON sidecar of an image that has none", async () => {
    const pool = poolCopy();
    writeFileSync(join(pool, "new.svg"), markerSvg(100, 50));
    const studio = await start({ pool });
    const response = await rawRequest(`${studio.url}api/pool/new.svg/metadata`, {
      method: "PUT",
      headers: json(studio),
      body: JSON.stringify({ metadata: { tags: ["new"] } }),
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(readFileSync(join(pool, "new.json"), "utf8"))).toEqual({ tags: ["new"] });
  });
});

describe("template API", { timeout: 90_000 }, () => {
  it("detects the panels of an uploaded grid as loadTemplate does", async () => {
    const studio = await start();
    const response = await rawRequest(`${studio.url}api/templates/detect`, {
      method: "POST",
      headers: { "x-studio-token": studio.token, "content-type": "image/png" },
      body: grid,
    });
    expect(response.status).toBe(200);
    const found = response.json();
    expect(found.width).toBe(800);
    expect(found.height).toBe(1200);
    expect(found.panels).toHaveLength(5);
    const dir = tempDir();
    writeFileSync(join(dir, "grid.png"), grid);
    expect(found.panels).toEqual((await loadTemplate(join(dir, "grid.png"))).panels);
  });

  it("an unreadable or empty upload gets a message, the server keeps running", async () => {
    const studio = await start();
    const text = await rawRequest(`${studio.url}api/templates/detect`, {
      method: "POST",
      headers: { "x-studio-token": studio.token, "content-type": "text/plain" },
      body: "this is not a picture",
    });
    expect(text.status).toBe(422);
    expect(text.json().error.code).toBe("CORRUPT_IMAGE");
    const empty = await rawRequest(`${studio.url}api/templates/detect`, {
      method: "POST",
      headers: { "x-studio-token": studio.token },
    });
    expect(empty.status).toBe(400);
    const blank = await rawRequest(`${studio.url}api/templates/detect`, {
      method: "POST",
      headers: { "x-studio-token": studio.token, "content-type": "image/svg+xml" },
      body: markerSvg(200, 200),
    });
    expect(blank.status).toBe(422);
    expect(blank.json().error.code).toBe("INVALID_LAYOUT");
    expect((await rawRequest(`${studio.url}api/state`)).status).toBe(200);
  });

  it("saves adjusted panels; the next comic is laid out on the template", async () => {
    const pool = poolCopy();
    const studio = await start({ pool });
    const found = (
      await rawRequest(`${studio.url}api/templates/detect`, {
        method: "POST",
        headers: { "x-studio-token": studio.token, "content-type": "image/png" },
        body: grid,
      })
    ).json();
    const panels = found.panels.slice(0, 4); // the user removed one
    const saved = await rawRequest(`${studio.url}api/templates`, {
      method: "POST",
      headers: json(studio),
      body: JSON.stringify({ name: "four", image: grid.toString("base64"), panels }),
    });
    expect(saved.status).toBe(200);
    expect(readFileSync(join(pool, "templates", "four.png"))).toEqual(grid);
    expect(JSON.parse(readFileSync(join(pool, "templates", "four.json"), "utf8")).panels).toEqual(
      panels,
    );
    const loaded = await loadTemplate(join(pool, "templates", "four.png"));
    expect(loaded.panels).toEqual(panels);
    const state = (await rawRequest(`${studio.url}api/state`)).json();
    expect(state.templates.map((t: { name: string }) => t.name)).toEqual(["four"]);
    const comic = await studio.makeComic({ seed: 4, template: "four" });
    expect(comic.template).toBe("four");
    expect(comic.panels).toHaveLength(4);
    expect(comic.height).toBe(864); // 1200 × 576 / 800
  });

  it("refuses a non-convex panel, a bad name or a non-image, and writes nothing", async () => {
    const pool = poolCopy();
    const studio = await start({ pool });
    const post = (body: unknown) =>
      rawRequest(`${studio.url}api/templates`, {
        method: "POST",
        headers: json(studio),
        body: JSON.stringify(body),
      });
    const lShape = [
      [0, 0],
      [400, 0],
      [400, 100],
      [100, 100],
      [100, 400],
      [0, 400],
    ];
    const concave = await post({ name: "bad", image: grid.toString("base64"), panels: [lShape] });
    expect(concave.status).toBe(422);
    expect(concave.json().error.code).toBe("INVALID_LAYOUT");
    expect(concave.json().error.message).toContain("not convex");
    const name = await post({
      name: "../evil",
      image: grid.toString("base64"),
      panels: [
        [
          [0, 0],
          [10, 0],
          [10, 10],
        ],
      ],
    });
    expect(name.status).toBe(422);
    const notImage = await post({
      name: "x",
      image: Buffer.from("hello").toString("base64"),
      panels: [],
    });
    expect(notImage.status).toBe(422);
    expect(notImage.json().error.code).toBe("CORRUPT_IMAGE");
    expect(existsSync(join(pool, "templates"))).toBe(false);
  });
});
