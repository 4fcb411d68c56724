// The comic studio: the package's own API (compose, dither, encode, print, pool metadata,
// template detection) behind a thin loopback HTTP layer, plus the bundled page.
import { randomBytes, randomInt } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { renderPaper } from "../../adapters/paper.js";
import { loadTemplate } from "../../adapters/template.js";
import { sendToPrinter } from "../../adapters/transport.js";
import { type ComposePhase, composeComic } from "../../compose.js";
import { DITHER_METHODS, type DitherMethod, dither } from "../../core/dither.js";
import { encodeEscPos, resolveProfile } from "../../core/escpos.js";
import { decodeEscPos } from "../../core/escpos-decode.js";
import { encodeGreyPng } from "../../core/png.js";
import type { PrinterProfile } from "../../core/profiles.js";
import type { Seed } from "../../core/random.js";
import { isThermalComicError, ThermalComicError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { type RunningVirtualPrinter, startVirtualPrinter } from "../virtual-printer.js";
import {
  detectTemplate,
  imageType,
  listPoolEntries,
  listTemplates,
  readPoolEntry,
  savePoolMetadata,
  saveTemplate,
} from "./files.js";
import {
  checkRequest,
  errorBody,
  HttpError,
  readBody,
  readJson,
  send,
  sendJson,
  statusOf,
} from "./http.js";

/** Options of {@link startComicStudio}. */
export interface ComicStudioOptions {
  /** The image pool folder the studio composes from and edits (images with JSON/YAML sidecars). */
  pool: string;
  /**
   * Folder of saved templates (grid images with a `.json` of panels).
   * @defaultValue `<pool>/templates` (the composer ignores sub-folders of a pool)
   */
  templates?: string;
  /**
   * Where "Make a comic" prints: `"virtual"` (a virtual printer started with the studio, on a
   * free loopback port), `tcp://host:9100`, `file:out.bin` or a device such as `/dev/usb/lp0`.
   * @defaultValue "virtual"
   */
  printer?: string;
  /**
   * Printer profile name or object; its width is the comic's width.
   * @defaultValue "80mm" (576 dots)
   */
  profile?: string | PrinterProfile;
  /**
   * How the comic is dithered for the printer.
   * @defaultValue "floyd-steinberg"
   */
  dither?: DitherMethod;
  /**
   * Loopback TCP port; 0 picks a free one.
   * @defaultValue 0
   */
  port?: number;
  /**
   * How long connecting to and feeding the printer may stall before the page says so.
   * @defaultValue 5000
   */
  printTimeoutMs?: number;
  /**
   * Largest upload (grid image, metadata), in bytes.
   * @defaultValue 20 MiB
   */
  maxUploadBytes?: number;
  /**
   * Folder of the bundled page (`index.html`, `app.js`, `app.css`).
   * @defaultValue the page built into the package (`dist/studio-ui`)
   */
  uiDir?: string;
  /**
   * Requests, comics made, print results and failures.
   * @defaultValue silent
   */
  logger?: Logger;
}

/** One comic the studio made: what the page shows. */
export interface StudioComic {
  /** Its number in this studio session (1, 2, …); the images are at `/api/comics/<id>/…`. */
  id: number;
  /** The seed that reproduces it (`thermal-comic compose --seed`). */
  seed: Seed;
  /** The template it was laid out on, or null for a random layout. */
  template: string | null;
  /** Whether images whose region of interest fits no panel were left out (`compose --skip-large-roi`). */
  skipLargeRoi: boolean;
  /** What the page should tell about this comic besides printing (images left out, …). */
  notes: string[];
  /** Page size in printer dots. */
  width: number;
  height: number;
  /** The pictures chosen, by panel. */
  panels: Array<{ id: number; image: string | null }>;
  /** How printing went. */
  print: {
    /** The printer target, e.g. `virtual` or `tcp://192.0.2.10:9100`. */
    printer: string;
    ok: boolean;
    bytesSent: number;
    /** `virtual-printer`: the paper the virtual printer decoded from what it received; `sent-bytes`: decoded from the bytes sent. */
    preview: "virtual-printer" | "sent-bytes";
    error: { code: string; message: string } | null;
  };
}

/** The steps of making a comic, in order: the composer's phases, then dithering and printing. */
export type StudioPhase = ComposePhase | "dither" | "print";

/** Progress of {@link RunningComicStudio.makeComic}: `done` of `total` steps, the current one named. */
export interface StudioProgressEvent {
  phase: StudioPhase;
  done: number;
  total: number;
  /** While printing: bytes handed to the printer so far. */
  bytesSent?: number;
  /** While printing: bytes of the whole job. */
  bytesTotal?: number;
}

/** What to make: the button's inputs. */
export interface MakeComicRequest {
  /**
   * Seed of the comic.
   * @defaultValue a random whole number (reported in the result)
   */
  seed?: Seed;
  /**
   * Name of a saved template to lay the comic out on.
   * @defaultValue null: a random layout
   */
  template?: string | null;
  /**
   * Called as each step starts, and after each chunk sent to the printer.
   * @defaultValue none
   */
  onProgress?: (event: StudioProgressEvent) => void;
}

/** A running studio. */
export interface RunningComicStudio {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  port: number;
  /** The token every state-changing request must carry in `X-Studio-Token` (the page has it). */
  token: string;
  /** The in-process virtual printer when `printer` is `"virtual"`, else null. */
  virtualPrinter: RunningVirtualPrinter | null;
  /** The comics made so far, oldest first. */
  comics: StudioComic[];
  /** Composes a comic and prints it, exactly as the page's button does. */
  makeComic(request?: MakeComicRequest): Promise<StudioComic>;
  /** Stops the server and the virtual printer. */
  close(): Promise<void>;
}

const KEEP_COMICS = 20;

/** Finds the package root (the folder with our package.json) from this module's location. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, "package.json");
    if (
      existsSync(file) &&
      JSON.parse(readFileSync(file, "utf8")).name === "@tinkerbox/thermal-comic"
    )
      return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the @tinkerbox/thermal-comic package folder");
    dir = parent;
  }
}

/**
 * Starts the comic studio on a loopback port: a page with the "Make a comic" button (compose a
 * seeded comic, print it, show the hi-res PNG beside the printer's paper), a pool editor (region
 * of interest, anchor, tags, fit rules, saved to the sidecars after the composer's own checks)
 * and a template editor (upload a sketched grid, adjust the detected panels, save).
 * Every state-changing request needs `X-Studio-Token`; foreign Origins and non-loopback Hosts
 * are refused.
 */
export async function startComicStudio(options: ComicStudioOptions): Promise<RunningComicStudio> {
  const poolDir = resolve(options.pool);
  const templatesDir = resolve(options.templates ?? join(poolDir, "templates"));
  const profile = resolveProfile(options.profile ?? "80mm");
  const method = options.dither ?? "floyd-steinberg";
  if (!DITHER_METHODS.includes(method))
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `unknown dither method "${method}"; known: ${DITHER_METHODS.join(", ")}`,
    );
  const uiDir = options.uiDir ?? join(packageRoot(), "dist", "studio-ui");
  const page = await Promise.all(
    ["index.html", "app.js", "app.css"].map((file) =>
      readFile(join(uiDir, file)).catch((cause) => {
        throw new ThermalComicError(
          "IO_ERROR",
          `the studio page is not built (${join(uiDir, file)} is missing): build the package first (pnpm --filter @tinkerbox/thermal-comic build)`,
          { path: join(uiDir, file), cause },
        );
      }),
    ),
  );
  await listPoolEntries(poolDir); // a pool folder that cannot be read fails now, not in the page
  const logger = options.logger;
  const limit = options.maxUploadBytes ?? 20 * 1024 * 1024;
  const timeoutMs = options.printTimeoutMs ?? 5000;
  const token = randomBytes(24).toString("base64url");
  const target = options.printer ?? "virtual";
  const virtualPrinter =
    target === "virtual"
      ? await startVirtualPrinter({ port: 0, width: profile.widthDots, ...(logger && { logger }) })
      : null;
  const comics: StudioComic[] = [];
  const files = new Map<number, { png: Buffer; print: Buffer; paper: Buffer; layout: string }>();
  let queue: Promise<unknown> = Promise.resolve();

  async function makeComic(request: MakeComicRequest = {}): Promise<StudioComic> {
    const report = request.onProgress ?? (() => {});
    const seed = request.seed ?? randomInt(2 ** 31);
    if (
      typeof seed === "string"
        ? seed.length === 0 || seed.length > 200
        : !Number.isSafeInteger(seed)
    )
      throw new ThermalComicError(
        "INVALID_ARGUMENT",
        "the seed must be a whole number or a text of 1 to 200 characters",
      );
    const templateName = request.template ?? null;
    let layout: Awaited<ReturnType<typeof loadTemplate>> | undefined;
    if (templateName !== null) {
      const entry = (await listTemplates(templatesDir)).find((t) => t.name === templateName);
      if (!entry)
        throw new ThermalComicError(
          "INVALID_ARGUMENT",
          `there is no saved template named ${JSON.stringify(templateName)}`,
        );
      layout = await loadTemplate(join(templatesDir, entry.image));
    }
    const compose = (roiTooLarge: "error" | "skip") =>
      composeComic({
        seed,
        width: profile.widthDots,
        pool: poolDir,
        allowReuse: true,
        roiTooLarge,
        onProgress: (event) => report({ phase: event.phase, done: event.done, total: 7 }),
        ...(layout && { layout }),
        ...(logger && { logger }),
      });
    // The button always prints a comic: an image whose region of interest fits no panel of this
    // page is left out (and the page says which), as `compose --skip-large-roi` does.
    const notes: string[] = [];
    let result: Awaited<ReturnType<typeof composeComic>>;
    try {
      result = await compose("error");
    } catch (error) {
      if (!(isThermalComicError(error) && error.code === "ROI_TOO_LARGE")) throw error;
      notes.push(
        `${basename(error.path ?? "an image")} and any other image whose region of interest fits no panel of this page were left out; shrink their region of interest in the pool editor to use them`,
      );
      result = await compose("skip");
    }
    report({ phase: "dither", done: 5, total: 7 });
    const bytes = encodeEscPos(dither(result.bitmap, { method }), { profile });
    report({ phase: "print", done: 6, total: 7, bytesSent: 0, bytesTotal: bytes.length });
    const id = (comics.at(-1)?.id ?? 0) + 1;
    const print: StudioComic["print"] = {
      printer: target,
      ok: false,
      bytesSent: 0,
      preview: virtualPrinter ? "virtual-printer" : "sent-bytes",
      error: null,
    };
    let paper: Buffer | null = null;
    try {
      const before = virtualPrinter?.jobs.length ?? 0;
      const sent = await sendToPrinter(bytes, {
        printer: virtualPrinter ? virtualPrinter.url : target,
        profile,
        // Paced for a real printer's buffer (the transport's default per target), not for ours.
        ...(virtualPrinter && { pacing: false }),
        // Known slowness, left to the transport: when raster bytes happen to read as a status
        // query, the virtual printer answers, sendToPrinter never reads the answer and waits
        // timeoutMs for the close (the job itself is complete; waitForJob checks it).
        timeoutMs,
        onProgress: (event) =>
          report({
            phase: "print",
            done: 6,
            total: 7,
            bytesSent: event.done,
            bytesTotal: event.total,
          }),
      });
      print.ok = true;
      print.bytesSent = sent.bytesSent;
      if (virtualPrinter) paper = (await waitForJob(virtualPrinter, before, timeoutMs)).png;
    } catch (error) {
      if (!isThermalComicError(error)) throw error;
      print.error = { code: error.code, message: error.message };
      print.bytesSent = error.bytesSent ?? 0;
      logger?.warn(`comic studio: printing comic ${id} failed: ${error.message}`);
    }
    paper ??= renderPaper(decodeEscPos(bytes, { width: profile.widthDots }));
    if (print.error) print.preview = "sent-bytes";
    const comic: StudioComic = {
      id,
      seed,
      template: templateName,
      skipLargeRoi: notes.length > 0,
      notes,
      width: result.layout.width,
      height: result.layout.height,
      panels: result.layout.panels.map((p) => ({ id: p.id, image: p.image?.name ?? null })),
      print,
    };
    comics.push(comic);
    files.set(id, {
      png: result.png,
      print: encodeGreyPng(result.bitmap, { ppi: profile.dpi }),
      paper,
      layout: `${JSON.stringify(result.layout, null, 2)}\n`,
    });
    for (const old of comics.splice(0, Math.max(0, comics.length - KEEP_COMICS)))
      files.delete(old.id);
    logger?.info(`comic studio: comic ${id}, seed ${JSON.stringify(seed)}, printed: ${print.ok}`);
    return comic;
  }

  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  async function route(
    request: IncomingMessage,
    response: ServerResponse,
    port: number,
  ): Promise<void> {
    checkRequest(request, port, token);
    const url = new URL(request.url ?? "/", `http://127.0.0.1:${port}`);
    const method = request.method ?? "GET";
    const path = url.pathname;
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    const get = method === "GET" || method === "HEAD";

    if (get && (path === "/" || path === "/index.html")) {
      const html = (page[0] as Buffer).toString("utf8").replace("%STUDIO_TOKEN%", token);
      return send(response, 200, "text/html; charset=utf-8", html, {
        "content-security-policy":
          "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
      });
    }
    if (get && path === "/app.js")
      return send(response, 200, "text/javascript; charset=utf-8", page[1] as Buffer);
    if (get && path === "/app.css")
      return send(response, 200, "text/css; charset=utf-8", page[2] as Buffer);
    if (get && path === "/api/state")
      return sendJson(response, 200, {
        printer: target,
        pool: poolDir,
        templatesDir,
        virtualPrinter: virtualPrinter?.url ?? null,
        profile: profile.name,
        width: profile.widthDots,
        dither: method,
        comics,
        templates: await listTemplates(templatesDir),
      });
    if (method === "POST" && path === "/api/comics") {
      const body = await readJson(request, limit);
      const seed =
        body.seed === undefined || body.seed === null || body.seed === "" ? undefined : body.seed;
      if (seed !== undefined && typeof seed !== "number" && typeof seed !== "string")
        throw new HttpError(400, "INVALID_ARGUMENT", "seed must be a number or a text");
      const template = body.template === undefined || body.template === "" ? null : body.template;
      if (template !== null && typeof template !== "string")
        throw new HttpError(400, "INVALID_ARGUMENT", "template must be a template name");
      const wanted = { ...(seed !== undefined && { seed: seed as Seed }), template };
      if (!/application\/x-ndjson/.test(request.headers.accept ?? ""))
        return sendJson(response, 200, await serialized(() => makeComic(wanted)));
      // The page asks for a stream: one JSON line per progress event, then the comic or the error.
      response.writeHead(200, {
        "content-type": "application/x-ndjson; charset=utf-8",
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      });
      const line = (value: unknown) => response.write(`${JSON.stringify(value)}\n`);
      try {
        const comic = await serialized(() =>
          makeComic({ ...wanted, onProgress: (progress) => line({ progress }) }),
        );
        line({ comic });
      } catch (error) {
        if (statusOf(error) >= 500) logger?.error("comic studio: making a comic failed:", error);
        line(errorBody(error));
      }
      response.end();
      return;
    }
    if (get && parts[0] === "api" && parts[1] === "comics" && parts.length === 4) {
      const stored = files.get(Number(parts[2]));
      const kinds: Record<string, [keyof NonNullable<typeof stored>, string]> = {
        "comic.png": ["png", "image/png"],
        "comic.print.png": ["print", "image/png"],
        "paper.png": ["paper", "image/png"],
        "comic.json": ["layout", "application/json; charset=utf-8"],
      };
      const kind = kinds[parts[3] as string];
      if (!stored || !kind)
        throw new HttpError(
          404,
          "NOT_FOUND",
          `no ${path} (only the last ${KEEP_COMICS} comics are kept)`,
        );
      return send(response, 200, kind[1], stored[kind[0]], {
        "content-disposition": `inline; filename="comic-${parts[2]}-${parts[3]}"`,
      });
    }
    if (get && path === "/api/pool")
      return sendJson(response, 200, { images: await listPoolEntries(poolDir) });
    if (parts[0] === "api" && parts[1] === "pool" && parts.length === 4) {
      const name = parts[2] as string;
      if (get && parts[3] === "image") {
        await readPoolEntry(poolDir, name); // refuses names that are not pool images
        return send(response, 200, imageType(name), await readFile(join(poolDir, name)), {
          "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
        });
      }
      if (method === "PUT" && parts[3] === "metadata") {
        const body = await readJson(request, limit);
        return sendJson(response, 200, await savePoolMetadata(poolDir, name, body.metadata));
      }
    }
    if (method === "POST" && path === "/api/templates/detect") {
      const bytes = await readBody(request, limit);
      if (bytes.length === 0)
        throw new HttpError(400, "EMPTY_UPLOAD", "the upload is empty: pick a grid image");
      return sendJson(response, 200, await detectTemplate(bytes));
    }
    if (method === "POST" && path === "/api/templates") {
      const body = await readJson(request, limit);
      if (typeof body.image !== "string")
        throw new HttpError(
          400,
          "INVALID_ARGUMENT",
          "image must be the grid image, base64-encoded",
        );
      const saved = await saveTemplate(
        templatesDir,
        body.name as string,
        Buffer.from(body.image, "base64"),
        body.panels,
      );
      return sendJson(response, 200, saved);
    }
    if (
      get &&
      parts[0] === "api" &&
      parts[1] === "templates" &&
      parts.length === 4 &&
      parts[3] === "image"
    ) {
      const entry = (await listTemplates(templatesDir)).find((t) => t.name === parts[2]);
      if (!entry) throw new HttpError(404, "NOT_FOUND", `no template named ${parts[2]}`);
      return send(
        response,
        200,
        imageType(entry.image),
        await readFile(join(templatesDir, entry.image)),
      );
    }
    throw new HttpError(
      get || parts[0] !== "api" ? 404 : 405,
      "NOT_FOUND",
      `${method} ${path} is not part of the studio`,
    );
  }

  const server = createServer((request, response) => {
    const port = (server.address() as { port: number }).port;
    route(request, response, port).catch((error: unknown) => {
      const status = statusOf(error);
      if (status >= 500) logger?.error(`comic studio: ${request.method} ${request.url}:`, error);
      else
        logger?.debug(
          `comic studio: ${request.method} ${request.url}: ${(error as Error).message}`,
        );
      if (!response.headersSent) sendJson(response, status, errorBody(error));
      else response.destroy();
      // A refused request may still be sending its body; drop it instead of reading it.
      request.resume();
    });
  });
  await new Promise<void>((done, fail) => {
    server.once("error", (cause) => {
      void virtualPrinter?.close();
      fail(
        new ThermalComicError(
          "IO_ERROR",
          `the studio cannot listen on port ${options.port ?? 0}: ${cause.message}`,
          { cause },
        ),
      );
    });
    server.listen(options.port ?? 0, "127.0.0.1", () => done());
  });
  const port = (server.address() as { port: number }).port;
  logger?.info(`comic studio on http://127.0.0.1:${port}/ (pool ${poolDir}, printer ${target})`);
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    token,
    virtualPrinter,
    comics,
    makeComic: (request) => serialized(() => makeComic(request)),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await virtualPrinter?.close();
    },
  };
}

function waitForJob(printer: RunningVirtualPrinter, before: number, timeoutMs: number) {
  return new Promise<RunningVirtualPrinter["jobs"][number]>((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      const job = printer.jobs[before];
      if (job) return resolve(job);
      if (Date.now() - started > timeoutMs)
        return reject(
          new ThermalComicError(
            "PRINT_INTERRUPTED",
            `the virtual printer reported no job within ${timeoutMs} ms`,
          ),
        );
      setTimeout(poll, 10);
    };
    poll();
  });
}
