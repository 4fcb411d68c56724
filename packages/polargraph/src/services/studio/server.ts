// The studio's thin HTTP layer over the package's API: a page, a few JSON endpoints, a Server-Sent
// Events stream of the plot job. Loopback only; every API request needs the per-server token in a
// custom header (which a cross-site form or image cannot send, and a cross-site fetch cannot send
// without a preflight we never answer), a loopback Host (against DNS rebinding) and, when the
// browser names one, our own Origin.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import sharp from "sharp";
import type { PlotterProtocol } from "../../adapters/stream.js";
import { exampleMachine, type Machine, parseMachine } from "../../core/machine.js";
import { analyseWorkspace, workspaceSvg } from "../../core/workspace.js";
import { isPolargraphError, PolargraphError } from "../../errors.js";
import { type Logger, silentLogger } from "../../logger.js";
import { type PlotJobStatus, PlotJobs, type PlotTarget } from "./jobs.js";
import { loadMachineFile, saveMachineFile } from "./machine-file.js";
import type { PlanReply, PlanRequest } from "./plan-worker.js";

/** Options of {@link startStudio}. */
export interface StudioOptions {
  /** TCP port; 0 picks a free one. @defaultValue 0 */
  port?: number;
  /** Loopback address to bind; anything else is refused. @defaultValue "127.0.0.1" */
  host?: "127.0.0.1" | "::1" | "localhost";
  /** Machine JSON file the settings are read from and saved to; a missing file is created on the first save. @defaultValue none: the example machine, not saved */
  machinePath?: string;
  /** Machine to start with when there is no `machinePath`. @defaultValue exampleMachine */
  machine?: Machine;
  /** Folder of the built front end (`app.js`, `worker.js`, `app.css`). @defaultValue the package's `dist/studio-ui` */
  uiDir?: string;
  /** Time per command of the built-in simulated plotter, ms. @defaultValue 2 */
  simulatorMsPerCommand?: number;
  /** The simulated plotter drops the connection after this many commands per connection. @defaultValue never */
  simulatorDisconnectAfter?: number;
  /** Longest gap between progress events while a plot runs, ms. @defaultValue 100 */
  progressIntervalMs?: number;
  /** Largest request body, bytes. @defaultValue 64 MiB */
  maxBodyBytes?: number;
  /** @defaultValue silent */
  logger?: Logger;
}

/** A running studio. */
export interface Studio {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  port: number;
  /** The per-server token API requests carry in the `x-studio-token` header. */
  token: string;
  /** The plot job (also drivable from code). */
  readonly jobs: PlotJobs;
  /** The machine the studio plans for. */
  readonly machine: Machine;
  close(): Promise<void>;
}

/** The header that carries the token. */
export const STUDIO_TOKEN_HEADER = "x-studio-token";

const ASSETS: Record<string, string> = {
  "/app.js": "text/javascript; charset=utf-8",
  "/worker.js": "text/javascript; charset=utf-8",
  "/app.css": "text/css; charset=utf-8",
};

function defaultUiDir(): string | undefined {
  const candidates = ["./studio-ui/", "../studio-ui/", "../../../dist/studio-ui/"];
  for (const c of candidates) {
    const dir = fileURLToPath(new URL(c, import.meta.url));
    if (existsSync(`${dir}app.js`)) return dir;
  }
  return undefined;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code = "REFUSED",
  ) {
    super(message);
  }
}

const PROTOCOLS: readonly PlotterProtocol[] = ["polargraph", "grbl", "marlin"];

/** Strokes on the wire: one flat `[x0, y0, x1, y1, …]` array per line, page mm. */
function parseStrokes(value: unknown): Float64Array[] {
  if (!Array.isArray(value))
    throw new PolargraphError("INVALID_ARGUMENT", "strokes must be an array of [x, y, …] arrays");
  return value.map((line, i) => {
    if (!Array.isArray(line) || line.length % 2 !== 0)
      throw new PolargraphError(
        "INVALID_ARGUMENT",
        `stroke ${i} must be a flat array of x, y pairs`,
        { path: `strokes[${i}]` },
      );
    const out = new Float64Array(line.length);
    for (let k = 0; k < line.length; k++) {
      const v = line[k];
      if (typeof v !== "number" || !Number.isFinite(v))
        throw new PolargraphError(
          "INVALID_ARGUMENT",
          `stroke ${i} has a point that is not finite`,
          {
            path: `strokes[${i}][${k - (k % 2)}]`,
          },
        );
      out[k] = v;
    }
    return out;
  });
}

/** Plans on a worker thread, one request at a time in order; a crashed worker is replaced. */
class Planner {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: PlanReply & { ok: true }) => void; reject: (e: Error) => void }
  >();

  constructor(private readonly file: string) {}

  private start(): Worker {
    const worker = new Worker(this.file);
    worker.on("message", (reply: PlanReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply);
      else
        p.reject(
          new PolargraphError(
            (reply.code as PolargraphError["code"] | undefined) ?? "INVALID_ARGUMENT",
            reply.message,
            { path: reply.path },
          ),
        );
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const p of this.pending.values())
        p.reject(
          new PolargraphError("INVALID_ARGUMENT", `planning failed: ${error.message}`, {
            cause: error,
          }),
        );
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the planning thread exited (${code})`)));
    worker.unref();
    return worker;
  }

  plan(request: Omit<PlanRequest, "id">): Promise<PlanReply & { ok: true }> {
    this.worker ??= this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker?.postMessage({ ...request, id } satisfies PlanRequest);
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}

/**
 * Starts the polargraph studio: the page, the machine settings, previews (computed in the page's
 * Web Worker with the same code), downloads and the plot job, on loopback.
 */
export async function startStudio(options: StudioOptions = {}): Promise<Studio> {
  const host = options.host ?? "127.0.0.1";
  if (!["127.0.0.1", "::1", "localhost"].includes(host))
    throw new PolargraphError("INVALID_ARGUMENT", `the studio binds to loopback only, not ${host}`);
  const uiDir = options.uiDir ?? defaultUiDir();
  if (!uiDir || !existsSync(`${uiDir}/app.js`) || !existsSync(`${uiDir}/plan-worker.mjs`))
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `the studio's front end is not built (no app.js and plan-worker.mjs in ${uiDir ?? "dist/studio-ui"}); run the package build`,
    );
  const logger = options.logger ?? silentLogger;
  const machinePath = options.machinePath;
  let machine: Machine = options.machine ?? exampleMachine;
  let machineExists = false;
  if (machinePath) ({ machine, exists: machineExists } = await loadMachineFile(machinePath));
  const token = randomBytes(24).toString("base64url");
  const tokenBytes = Buffer.from(token);
  const maxBody = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const intervalMs = options.progressIntervalMs ?? 100;

  const listeners = new Set<ServerResponse>();
  let lastSent = 0;
  let pending: ReturnType<typeof setTimeout> | undefined;
  const broadcast = () => {
    pending = undefined;
    lastSent = Date.now();
    const status = jobs.current();
    const data = `event: job\ndata: ${JSON.stringify({ job: status ?? null, at: lastSent })}\n\n`;
    for (const res of listeners) res.write(data);
  };
  // progress comes per acknowledged line; send at most every 50 ms, and at least every
  // `intervalMs` while a plot runs (a heartbeat otherwise)
  const onChange = (status: PlotJobStatus) => {
    const settled = status.state !== "running";
    if (settled) {
      if (pending) clearTimeout(pending);
      broadcast();
    } else if (!pending) pending = setTimeout(broadcast, Math.max(0, 50 - (Date.now() - lastSent)));
  };
  const jobs = new PlotJobs({
    simulatorMsPerCommand: options.simulatorMsPerCommand,
    simulatorDisconnectAfter: options.simulatorDisconnectAfter,
    logger,
    onChange,
  });
  const ticker = setInterval(() => {
    const s = jobs.current();
    const active = s && (s.state === "running" || s.state === "paused");
    if (active || Date.now() - lastSent >= 5000) broadcast();
  }, intervalMs);

  let port = 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);

  const guard = (req: IncomingMessage, url: URL, api: boolean) => {
    const hostHeader = req.headers.host ?? "";
    if (!allowedHosts().has(hostHeader.toLowerCase()))
      throw new HttpError(
        421,
        `refused: Host "${hostHeader}" is not this studio's loopback address`,
      );
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${hostHeader}`)
      throw new HttpError(403, `refused: requests from ${origin} are not allowed`);
    if (req.headers["sec-fetch-site"] === "cross-site")
      throw new HttpError(403, "refused: cross-site request");
    if (!api) return;
    const given =
      (req.headers[STUDIO_TOKEN_HEADER] as string | undefined) ??
      (req.method === "GET" && url.pathname === "/api/events"
        ? (url.searchParams.get("token") ?? undefined)
        : undefined);
    const ok =
      given !== undefined &&
      Buffer.byteLength(given) === tokenBytes.length &&
      timingSafeEqual(Buffer.from(given), tokenBytes);
    if (!ok) throw new HttpError(403, `refused: missing or wrong ${STUDIO_TOKEN_HEADER} header`);
  };

  const readJson = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBody)
        throw new HttpError(413, `request body over ${maxBody} bytes`, "INVALID_ARGUMENT");
      chunks.push(chunk);
    }
    const type = req.headers["content-type"] ?? "";
    if (!type.startsWith("application/json"))
      throw new HttpError(415, "send JSON (content-type: application/json)", "INVALID_ARGUMENT");
    try {
      const value = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
      if (!value || typeof value !== "object" || Array.isArray(value))
        throw new Error("not an object");
      return value as Record<string, unknown>;
    } catch (cause) {
      throw new HttpError(
        400,
        `the body is not a JSON object: ${(cause as Error).message}`,
        "INVALID_ARGUMENT",
      );
    }
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(body));
  };

  const planner = new Planner(`${uiDir}/plan-worker.mjs`);
  const planFrom = (body: Record<string, unknown>, output: PlanRequest["output"]) =>
    planner.plan({ machine, strokes: parseStrokes(body.strokes), output });

  const state = () => ({
    machine,
    machinePath: machinePath ?? null,
    machineSaved: machineExists,
    job: jobs.current() ?? null,
    simulatorCommands: jobs.simulatedPlotter?.commands.length ?? 0,
  });

  const page = () => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="studio-token" content="${token}">
<title>polargraph studio</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script defer src="/app.js"></script>
</head>
<body><noscript>The studio needs JavaScript.</noscript></body>
</html>
`;

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case "GET /api/state":
        return json(res, 200, state());
      case "GET /api/workspace": {
        const map = analyseWorkspace(machine, { cellSize: 10 });
        return json(res, 200, {
          svg: workspaceSvg(machine, map),
          region: map.region,
          goodArea: map.goodArea,
          pageCoverage: map.pageCoverage,
        });
      }
      case "PUT /api/machine": {
        const body = await readJson(req);
        if (!machinePath) {
          machine = parseMachine(body.machine);
          return json(res, 200, {
            ...state(),
            note: "not saved: the studio was started without --machine",
          });
        }
        machine = await saveMachineFile(machinePath, body.machine);
        machineExists = true;
        logger.info(`saved ${machinePath}`);
        return json(res, 200, state());
      }
      case "POST /api/export": {
        const body = await readJson(req);
        const format = String(body.format);
        const send = (type: string, name: string, data: string | Buffer) => {
          res.writeHead(200, {
            "content-type": type,
            "content-disposition": `attachment; filename="${name}"`,
          });
          res.end(data);
        };
        const lines = async (protocol: PlotterProtocol) =>
          `${((await planFrom(body, protocol)).commands ?? []).join("\n")}\n`;
        const text = "text/plain; charset=utf-8";
        if (format === "gcode") return send(text, "plot.gcode", await lines("marlin"));
        if (format === "grbl") return send(text, "plot-grbl.gcode", await lines("grbl"));
        if (format === "polargraph")
          return send(text, "plot-polargraph.txt", await lines("polargraph"));
        if (format === "svg" || format === "png") {
          const svg = (await planFrom(body, "svg")).svg ?? "";
          if (format === "svg") return send("image/svg+xml", "plot.svg", svg);
          const png = await sharp(Buffer.from(svg), { density: 150 })
            .flatten({ background: "#ffffff" })
            .png()
            .toBuffer();
          return send("image/png", "plot.png", png);
        }
        throw new PolargraphError(
          "INVALID_ARGUMENT",
          `format must be gcode, grbl, polargraph, svg or png, got ${format}`,
        );
      }
      case "GET /api/plot":
        return json(res, 200, { job: jobs.current() ?? null });
      case "POST /api/plot": {
        const body = await readJson(req);
        const protocol = (body.protocol ?? "polargraph") as PlotterProtocol;
        if (!PROTOCOLS.includes(protocol))
          throw new PolargraphError(
            "INVALID_ARGUMENT",
            `protocol must be polargraph, grbl or marlin, got ${String(protocol)}`,
          );
        const target = (body.target ?? { kind: "simulated" }) as PlotTarget;
        const current = jobs.current();
        if (current && (current.state === "running" || current.state === "paused"))
          throw new PolargraphError(
            "INVALID_ARGUMENT",
            `plot ${current.id} is still ${current.state}; abort it first`,
          );
        const program = await planFrom(body, protocol);
        return json(res, 202, {
          job: await jobs.startProgram(
            { commands: program.commands ?? [], durationMs: program.durationMs },
            target,
            protocol,
          ),
        });
      }
      case "POST /api/plot/pause":
        return json(res, 200, { job: jobs.pause() });
      case "POST /api/plot/resume":
        return json(res, 200, { job: jobs.resume() });
      case "POST /api/plot/abort":
        return json(res, 200, { job: await jobs.cancel() });
      case "POST /api/plot/resume-from": {
        const body = await readJson(req);
        const line = body.line === undefined || body.line === null ? undefined : Number(body.line);
        return json(res, 202, { job: await jobs.resumeFrom(line) });
      }
      case "GET /api/simulator":
        return json(res, 200, {
          running: jobs.simulatedPlotter !== undefined,
          commands: jobs.simulatedPlotter?.commands ?? [],
          failures: jobs.simulatedPlotter?.failures ?? [],
        });
      case "GET /api/events": {
        res.writeHead(200, {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-store",
          connection: "keep-alive",
        });
        res.write(
          `retry: 1000\nevent: job\ndata: ${JSON.stringify({ job: jobs.current() ?? null, at: Date.now() })}\n\n`,
        );
        listeners.add(res);
        req.on("close", () => listeners.delete(res));
        return;
      }
      default:
        throw new HttpError(404, `no such endpoint: ${route}`, "NOT_FOUND");
    }
  };

  const server = createServer((req, res) => {
    res.setHeader("x-content-type-options", "nosniff");
    res.setHeader("x-frame-options", "DENY");
    res.setHeader("referrer-policy", "no-referrer");
    res.setHeader("cache-control", "no-store");
    const url = new URL(req.url ?? "/", "http://studio.invalid");
    const isApi = url.pathname.startsWith("/api/");
    void (async () => {
      try {
        guard(req, url, isApi);
        if (isApi) return await api(req, res, url);
        if (req.method !== "GET" && req.method !== "HEAD")
          throw new HttpError(405, `${req.method} is not allowed here`, "INVALID_ARGUMENT");
        if (url.pathname === "/" || url.pathname === "/index.html") {
          res.writeHead(200, {
            "content-type": "text/html; charset=utf-8",
            "content-security-policy":
              "default-src 'self'; img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
          });
          return res.end(page());
        }
        const type = ASSETS[url.pathname];
        if (!type) throw new HttpError(404, `no such page: ${url.pathname}`, "NOT_FOUND");
        const body = await readFile(`${uiDir}/${url.pathname.slice(1)}`);
        res.writeHead(200, { "content-type": type });
        res.end(body);
      } catch (error) {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (error instanceof HttpError)
          return json(res, error.status, { error: { code: error.code, message: error.message } });
        if (isPolargraphError(error)) {
          const status =
            error.code === "TRANSPORT_ERROR" || error.code === "DISCONNECTED" ? 502 : 400;
          return json(res, status, {
            error: { code: error.code, message: error.message, path: error.path },
          });
        }
        logger.error("studio:", error);
        json(res, 500, { error: { code: "INTERNAL", message: (error as Error).message } });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (cause) =>
      reject(
        new PolargraphError(
          "TRANSPORT_ERROR",
          `the studio cannot listen on ${host}:${options.port ?? 0}: ${cause.message}`,
          { cause },
        ),
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const urlHost = host === "::1" ? "[::1]" : host;
  return {
    url: `http://${urlHost}:${port}/`,
    port,
    token,
    jobs,
    get machine() {
      return machine;
    },
    close: async () => {
      clearInterval(ticker);
      if (pending) clearTimeout(pending);
      for (const res of listeners) res.end();
      listeners.clear();
      await jobs.close();
      await planner.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Service-style start: `start({ port: 0 })` → `{ url, port, close() }`. */
export const start = startStudio;
