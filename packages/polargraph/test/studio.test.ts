// The studio server over real HTTP on loopback: the CSRF and DNS-rebinding refusals, machine
// settings saved atomically, downloads, and plot jobs streamed to the built-in simulated plotter
// (pause, resume, abort, resume after a disconnect), progress over Server-Sent Events.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli/run.js";
import {
  exampleMachine,
  type Machine,
  parseMachine,
  planDrawing,
  toGrbl,
  toMarlin,
  toPolargraph,
} from "../src/index.js";
import { startSimulatedPlotter } from "../src/services/simulator.js";
import {
  PICTURE_PARAMS,
  resolveStyle,
  STUDIO_STYLES,
  type Studio,
  startStudio,
} from "../src/services/studio/index.js";
import { buildStudioUi } from "../src/studio-ui/build.js";
import { hausdorff, replayPolargraph } from "./helpers/replay.js";

const hasSocat = spawnSync("socat", ["-V"]).status === 0;
const dir = mkdtempSync(join(tmpdir(), "polargraph-studio-"));
const uiDir = join(dir, "ui");
beforeAll(async () => {
  await buildStudioUi(uiDir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function studio(options: Parameters<typeof startStudio>[0] = {}): Promise<Studio> {
  const s = await startStudio({ uiDir, ...options });
  cleanups.push(() => s.close());
  return s;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json: () => Record<string, unknown>;
}

/** A raw HTTP request, so the test controls every header (Host and Origin included). */
function http(
  s: Studio,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown; token?: boolean } = {},
): Promise<Reply> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = {
    host: `127.0.0.1:${s.port}`,
    ...(options.token === false ? {} : { "x-studio-token": s.token }),
    ...(body === undefined ? {} : { "content-type": "application/json" }),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: s.port, method, path, headers, setHost: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const buf = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: buf,
            json: () => JSON.parse(buf.toString("utf8")),
          });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const triangle = [[20, 20, 200, 40, 100, 220, 20, 20]];
/** A zig-zag of `n` segments: enough commands for a plot that lasts a moment. */
function zigzag(n: number): number[][] {
  const line: number[] = [];
  for (let i = 0; i <= n; i++) line.push(20 + (i * 250) / n, i % 2 ? 40 : 200);
  return [line];
}
const toPoints = (strokes: number[][]) =>
  strokes.map((l) => {
    const out = [];
    for (let k = 0; k < l.length; k += 2) out.push({ x: l[k] as number, y: l[k + 1] as number });
    return out;
  });

async function until<T>(check: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 25));
  }
}

type Job = {
  state: string;
  lastAcknowledgedLine: number;
  total: number;
  message?: string;
  elapsedMs: number;
  remainingMs: number;
};
const job = async (s: Studio) => (await http(s, "GET", "/api/plot")).json().job as Job;
const settled = (s: Studio, state?: string) =>
  until(async () => {
    const j = await job(s);
    return j.state === "running" || j.state === "paused" || (state && j.state !== state)
      ? undefined
      : j;
  });

describe("studio requests a web page could forge are refused", () => {
  it("serves the page with its token to a loopback Host, with a CSP that allows only itself", async () => {
    const s = await studio();
    const page = await http(s, "GET", "/", { token: false });
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain(`<meta name="studio-token" content="${s.token}">`);
    expect(page.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(page.headers["x-frame-options"]).toBe("DENY");
    const app = await http(s, "GET", "/app.js", { token: false });
    expect(app.status).toBe(200);
    expect(app.body.toString()).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}/`);
  });

  it("refuses a foreign Host (DNS rebinding) even for the page", async () => {
    const s = await studio();
    for (const host of [`evil.example:${s.port}`, "127.0.0.1", `127.0.0.1:${s.port + 1}`]) {
      const r = await http(s, "GET", "/", { headers: { host }, token: false });
      expect(r.status).toBe(421);
      expect(r.body.toString()).not.toContain(s.token);
    }
    const ok = await http(s, "GET", "/", {
      headers: { host: `localhost:${s.port}` },
      token: false,
    });
    expect(ok.status).toBe(200);
  });

  it("refuses state-changing requests without the token, with a wrong one, or from a foreign Origin", async () => {
    const s = await studio();
    const body = { strokes: triangle };
    const none = await http(s, "POST", "/api/plot", { body, token: false });
    expect(none.status).toBe(403);
    expect(none.json()).toMatchObject({
      error: { message: expect.stringMatching(/x-studio-token/) },
    });
    const wrong = await http(s, "POST", "/api/plot", {
      body,
      token: false,
      headers: { "x-studio-token": `${s.token.slice(0, -1)}x` },
    });
    expect(wrong.status).toBe(403);
    const foreign = await http(s, "POST", "/api/plot", {
      body,
      headers: { origin: "http://evil.example" },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.toString()).toContain("evil.example");
    const crossSite = await http(s, "PUT", "/api/machine", {
      body: { machine: exampleMachine },
      headers: { "sec-fetch-site": "cross-site" },
    });
    expect(crossSite.status).toBe(403);
    // a form post (no custom header possible) with the browser's own Origin is still refused
    const form = await http(s, "POST", "/api/plot/abort", {
      token: false,
      headers: {
        origin: `http://127.0.0.1:${s.port}`,
        "content-type": "application/x-www-form-urlencoded",
      },
    });
    expect(form.status).toBe(403);
    // the SSE stream takes the token in the query (EventSource sends no headers) and nothing else
    expect((await http(s, "GET", "/api/events", { token: false })).status).toBe(403);
    expect((await http(s, "GET", "/api/state", { token: false })).status).toBe(403);
    // nothing was started by any of them
    expect((await job(s)) ?? null).toBeNull();
    const same = await http(s, "GET", "/api/state", {
      headers: { origin: `http://127.0.0.1:${s.port}` },
    });
    expect(same.status).toBe(200);
  });

  it("binds to loopback only", async () => {
    await expect(startStudio({ uiDir, host: "0.0.0.0" as "127.0.0.1" })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  it("says clearly when the front end is not built", async () => {
    await expect(startStudio({ uiDir: join(dir, "nothing-here") })).rejects.toThrow(/not built/);
  });
});

describe("studio machine settings", () => {
  it("saves valid settings atomically and rejects invalid ones with a message, leaving the file unchanged", async () => {
    const file = join(dir, "machine-a.json");
    writeFileSync(file, JSON.stringify({ ...exampleMachine, name: "wall" }, null, 2));
    const before = readFileSync(file);
    const s = await studio({ machinePath: file });
    const state = (await http(s, "GET", "/api/state")).json();
    expect((state.machine as Machine).name).toBe("wall");
    expect(state.machinePath).toBe(file);

    const bad = await http(s, "PUT", "/api/machine", {
      body: { machine: { ...exampleMachine, motorDistance: -5 } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: "INVALID_MACHINE", path: "motorDistance" } });
    expect(readFileSync(file)).toEqual(before);
    const notJson = await http(s, "PUT", "/api/machine", {
      headers: { "content-type": "application/json" },
      body: undefined,
    });
    expect(notJson.status).toBe(400);
    expect(readFileSync(file)).toEqual(before);

    const good = await http(s, "PUT", "/api/machine", {
      body: { machine: { ...exampleMachine, name: "wall", motorDistance: 1200 } },
    });
    expect(good.status).toBe(200);
    const saved = parseMachine(readFileSync(file, "utf8"));
    expect(saved.motorDistance).toBe(1200);
    expect(saved.name).toBe("wall");
    expect(s.machine.motorDistance).toBe(1200);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("creates a machine file that does not exist yet on the first save", async () => {
    const file = join(dir, "new-machine.json");
    const s = await studio({ machinePath: file });
    expect((await http(s, "GET", "/api/state")).json().machineSaved).toBe(false);
    const r = await http(s, "PUT", "/api/machine", {
      body: { machine: { ...exampleMachine, drawSpeed: 30 } },
    });
    expect(r.status).toBe(200);
    expect(parseMachine(readFileSync(file, "utf8")).drawSpeed).toBe(30);
  });

  it("refuses to start on an invalid machine file, naming the field", async () => {
    const file = join(dir, "broken.json");
    writeFileSync(file, JSON.stringify({ ...exampleMachine, spoolDiameter: "big" }));
    await expect(startStudio({ uiDir, machinePath: file })).rejects.toMatchObject({
      code: "INVALID_MACHINE",
      path: "spoolDiameter",
    });
  });
});

describe("studio downloads", () => {
  it("plans on its own thread: the server answers while a large plan is computed", {
    tags: ["slow"],
  }, async () => {
    const s = await studio();
    const big = zigzag(60_000); // 60,000 segments across the page
    const order: string[] = [];
    const exported = http(s, "POST", "/api/export", {
      body: { strokes: big, format: "polargraph" },
    }).then((r) => {
      order.push("export");
      return r;
    });
    await new Promise((r) => setTimeout(r, 300)); // the export is being planned
    const state = await http(s, "GET", "/api/state");
    order.push("state");
    expect(state.status).toBe(200);
    const r = await exported;
    expect(r.status).toBe(200);
    expect(r.body.toString().split("\n").length).toBeGreaterThan(60_000);
    expect(order).toEqual(["state", "export"]);
  });

  it("exports G-code, GRBL, Polargraph commands, SVG and PNG of the strokes", async () => {
    const s = await studio();
    const get = (format: string) =>
      http(s, "POST", "/api/export", { body: { strokes: triangle, format } });
    const gcode = await get("gcode");
    expect(gcode.status).toBe(200);
    expect(gcode.headers["content-disposition"]).toBe('attachment; filename="plot.gcode"');
    expect(gcode.body.toString()).toMatch(/^G1 X-?\d/m);
    expect(gcode.body.toString()).toContain("M280 P0 S");
    const grbl = await get("grbl");
    expect(grbl.body.toString()).toMatch(/^G1 X\d+(\.\d+)? Y\d/m);
    const pg = (await get("polargraph")).body.toString().trim().split("\n");
    const expected = toPolargraph(
      planDrawing(exampleMachine, toPoints(triangle), { outOfPage: "clip" }),
    );
    expect(pg).toEqual(expected);
    const svg = (await get("svg")).body.toString();
    expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 297 /);
    const png = (await get("png")).body;
    expect(png.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    const bad = await get("dxf");
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({
      error: { message: expect.stringMatching(/format must be/) },
    });
    const badStrokes = await http(s, "POST", "/api/export", {
      body: { strokes: [[1, 2, 3]], format: "svg" },
    });
    expect(badStrokes.status).toBe(400);
    expect(badStrokes.json()).toMatchObject({ error: { path: "strokes[0]" } });
  });
});

describe("studio plot jobs on the simulated plotter", { tags: ["slow"] }, () => {
  it("plots to the end; the simulated plotter draws the strokes; progress arrives at least every 250 ms", async () => {
    const s = await studio({ simulatorMsPerCommand: 3 });
    const strokes = zigzag(150);
    const gaps: number[] = [];
    const events = new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: s.port,
          path: `/api/events?token=${encodeURIComponent(s.token)}`,
          headers: { host: `127.0.0.1:${s.port}` },
        },
        (res) => {
          expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
          let last = 0;
          let buffer = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            buffer += chunk;
            for (let i = buffer.indexOf("\n\n"); i >= 0; i = buffer.indexOf("\n\n")) {
              const event = buffer.slice(0, i);
              buffer = buffer.slice(i + 2);
              const data = /^data: (.*)$/m.exec(event)?.[1];
              if (!data) continue;
              const j = (JSON.parse(data) as { job: Job | null }).job;
              if (!j) continue;
              const now = Date.now();
              if (last && j.state === "running") gaps.push(now - last);
              last = now;
              if (j.state === "done") {
                req.destroy();
                resolve();
              }
            }
          });
        },
      );
      req.on("error", (e) =>
        (e as NodeJS.ErrnoException).code === "ECONNRESET" ? resolve() : reject(e),
      );
      req.end();
    });
    await new Promise((r) => setTimeout(r, 50));
    const started = await http(s, "POST", "/api/plot", {
      body: { strokes, target: { kind: "simulated" } },
    });
    expect(started.status).toBe(202);
    const done = await settled(s);
    await events;
    expect(done.state).toBe("done");
    expect(done.lastAcknowledgedLine + 1).toBe(done.total);
    expect(done.remainingMs).toBe(0);
    expect(done.elapsedMs).toBeGreaterThan(0);
    const sim = (await http(s, "GET", "/api/simulator")).json() as {
      commands: string[];
      failures: string[];
    };
    const expected = toPolargraph(
      planDrawing(exampleMachine, toPoints(strokes), { outOfPage: "clip" }),
    );
    expect(sim.commands).toEqual(expected);
    expect(sim.failures).toEqual([]);
    const page = exampleMachine.page;
    const drawn = replayPolargraph(exampleMachine, sim.commands);
    const asked = toPoints(strokes).map((l) =>
      l.map((p) => ({ x: p.x + page.x, y: p.y + page.y })),
    );
    expect(hausdorff(drawn, asked)).toBeLessThan(0.5);
    expect(gaps.length).toBeGreaterThan(3);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(250);
  });

  it("pauses, resumes, aborts and resumes from a line; a second plot is refused while one runs", async () => {
    const s = await studio({ simulatorMsPerCommand: 5 });
    const strokes = zigzag(120);
    expect((await http(s, "POST", "/api/plot", { body: { strokes } })).status).toBe(202);
    const again = await http(s, "POST", "/api/plot", { body: { strokes } });
    expect(again.status).toBe(400);
    expect(again.json()).toMatchObject({
      error: { message: expect.stringMatching(/still running/) },
    });
    await until(async () => ((await job(s)).lastAcknowledgedLine > 10 ? true : undefined));
    const paused = (await http(s, "POST", "/api/plot/pause")).json().job as Job;
    expect(paused.state).toBe("paused");
    await new Promise((r) => setTimeout(r, 100)); // what was sent before the pause drains
    const a = (await job(s)).lastAcknowledgedLine;
    await new Promise((r) => setTimeout(r, 300));
    expect((await job(s)).lastAcknowledgedLine).toBe(a);
    expect((await http(s, "POST", "/api/plot/pause")).status).toBe(400);
    expect(((await http(s, "POST", "/api/plot/resume")).json().job as Job).state).toBe("running");
    await until(async () => ((await job(s)).lastAcknowledgedLine > a + 10 ? true : undefined));
    const aborted = (await http(s, "POST", "/api/plot/abort")).json().job as Job;
    expect(aborted.state).toBe("aborted");
    expect(aborted.message).toMatch(/resume from line \d+/);
    const from = aborted.lastAcknowledgedLine + 1;
    const resumed = await http(s, "POST", "/api/plot/resume-from", { body: { line: from } });
    expect(resumed.status).toBe(202);
    const done = await settled(s);
    expect(done.state).toBe("done");
    const expected = toPolargraph(
      planDrawing(exampleMachine, toPoints(strokes), { outOfPage: "clip" }),
    );
    const sim = (await http(s, "GET", "/api/simulator")).json() as { commands: string[] };
    // every command ran, in order; a command in flight at the abort may have run twice
    const unique = sim.commands.filter((c, i) => c !== sim.commands[i - 1]);
    expect(unique).toEqual(expected.filter((c, i) => c !== expected[i - 1]));
    expect((await http(s, "POST", "/api/plot/resume-from", { body: {} })).status).toBe(400);
  });

  it("reports a disconnect with the line to resume from, and resumes to the end", async () => {
    const s = await studio({ simulatorMsPerCommand: 1, simulatorDisconnectAfter: 60 });
    const strokes = zigzag(100);
    await http(s, "POST", "/api/plot", { body: { strokes } });
    let resumes = 0;
    for (;;) {
      const j = await settled(s);
      if (j.state === "done") break;
      expect(j.state).toBe("disconnected");
      expect(j.message).toMatch(
        /disconnected after line \d+ of \d+\. Reconnect it, then resume from line \d+/,
      );
      resumes++;
      const r = await http(s, "POST", "/api/plot/resume-from", { body: {} });
      expect(r.status).toBe(202);
    }
    expect(resumes).toBeGreaterThanOrEqual(2);
    const sim = (await http(s, "GET", "/api/simulator")).json() as { commands: string[] };
    const page = exampleMachine.page;
    const asked = toPoints(strokes).map((l) =>
      l.map((p) => ({ x: p.x + page.x, y: p.y + page.y })),
    );
    expect(hausdorff(replayPolargraph(exampleMachine, sim.commands), asked)).toBeLessThan(0.5);
  });

  it("plots over TCP to a GRBL controller (a serial bridge stand-in) to the end", async () => {
    const sim = await startSimulatedPlotter({ protocol: "grbl", msPerCommand: 1 });
    cleanups.push(() => sim.close());
    const s = await studio();
    const r = await http(s, "POST", "/api/plot", {
      body: {
        strokes: triangle,
        protocol: "grbl",
        target: { kind: "tcp", host: "127.0.0.1", port: sim.port },
      },
    });
    expect(r.status).toBe(202);
    const done = await settled(s);
    expect(done.state).toBe("done");
    // GRBL acknowledges a line when its planner takes it; the last moves run after that
    const expected = toGrbl(planDrawing(exampleMachine, toPoints(triangle), { outOfPage: "clip" }));
    await until(async () => (sim.commands.length >= expected.length ? true : undefined));
    expect(sim.commands).toEqual(expected);
  });

  it.skipIf(process.env.CI !== "true" && !hasSocat)(
    "plots over a serial port to a Marlin controller to the end",
    { tags: ["peer"] },
    async () => {
      const sim = await startSimulatedPlotter({ protocol: "marlin", over: "pty", msPerCommand: 1 });
      cleanups.push(() => sim.close());
      const s = await studio();
      const r = await http(s, "POST", "/api/plot", {
        body: {
          strokes: triangle,
          protocol: "marlin",
          target: { kind: "serial", path: sim.path, baudRate: 115200 },
        },
      });
      expect(r.status).toBe(202);
      const done = await settled(s);
      expect(done.state).toBe("done");
      expect(sim.commands).toEqual(
        toMarlin(planDrawing(exampleMachine, toPoints(triangle), { outOfPage: "clip" })).filter(
          (c) => !/^M110\b/.test(c),
        ),
      );
    },
  );

  it("answers an unreachable plotter with a message, and keeps serving", async () => {
    const s = await studio();
    // a port nothing listens on: open one, note it, close it
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const r = await http(s, "POST", "/api/plot", {
      body: { strokes: triangle, target: { kind: "tcp", host: "127.0.0.1", port } },
    });
    expect(r.status).toBe(502);
    expect(r.json()).toMatchObject({ error: { code: "TRANSPORT_ERROR" } });
    const j = await job(s);
    expect(j.state).toBe("failed");
    expect(j.message).toMatch(/could not reach the plotter/);
    const badTarget = await http(s, "POST", "/api/plot", {
      body: { strokes: triangle, target: { kind: "tcp", host: "x", port: 0 } },
    });
    expect(badTarget.status).toBe(400);
    const badProtocol = await http(s, "POST", "/api/plot", {
      body: { strokes: triangle, protocol: "hpgl" },
    });
    expect(badProtocol.status).toBe(400);
    expect((await http(s, "GET", "/api/state")).status).toBe(200);
    expect((await http(s, "GET", "/nowhere", { token: false })).status).toBe(404);
  });
});

describe("studio style registry", () => {
  it("lists every renderer the package exports, with defaults that render", () => {
    expect(STUDIO_STYLES.map((s) => s.name)).toEqual([
      "square-wave",
      "squiggle",
      "spiral",
      "sine",
      "crosshatch",
      "stipple",
      "single-line",
      "flow-field",
    ]);
    const grid = { columns: 8, rows: 6, darkness: new Float64Array(48).map((_, i) => (i % 7) / 6) };
    for (const style of STUDIO_STYLES) {
      const r = resolveStyle(style.name, {});
      for (const p of style.params)
        if (p.default !== undefined) expect(r.render[p.name]).toEqual(p.default);
      const lines = style.render(exampleMachine, grid, r.render);
      expect(lines.length, style.name).toBeGreaterThan(0);
    }
    expect(resolveStyle("squiggle", {}).grid).toEqual({
      columns: 60,
      gamma: 1,
      contrast: 1,
      invert: false,
    });
    expect(PICTURE_PARAMS.map((p) => p.name)).toEqual([
      "columns",
      "gamma",
      "contrast",
      "invert",
      "width",
      "seed",
    ]);
  });

  it("rejects unknown styles, unknown parameters and out-of-range values, naming them", () => {
    expect(() => resolveStyle("watercolour")).toThrow(
      /unknown style "watercolour"; the styles are square-wave/,
    );
    expect(() => resolveStyle("spiral", { penWidth: 1 })).toThrow(/no parameter "penWidth"/);
    expect(() => resolveStyle("square-wave", { penWidth: -1 })).toThrow(
      /pen width mm \(penWidth\) must be at least 0.05, got -1/,
    );
    expect(() => resolveStyle("squiggle", { maxPoints: 2.5 })).toThrow(/whole number/);
    expect(() => resolveStyle("squiggle", { columns: "abc" as unknown as number })).toThrow(
      /must be a number/,
    );
    expect(() => resolveStyle("crosshatch", { angles: [] })).toThrow(/at least one number/);
    expect(() => resolveStyle("squiggle", { invert: 1 as unknown as boolean })).toThrow(
      /true or false/,
    );
  });
});

describe("polargraph studio (CLI)", () => {
  // the CLI serves the front end from the package's dist/, as the package build leaves it
  beforeAll(async () => {
    await buildStudioUi(fileURLToPath(new URL("../dist/studio-ui/", import.meta.url)));
  });

  it("serves until interrupted and saves to --machine", async () => {
    const file = join(dir, "cli-machine.json");
    const controller = new AbortController();
    let out = "";
    const done = runCli(["studio", "--machine", file, "--port", "0"], {
      stdout: (t) => {
        out += t;
      },
      stderr: () => {},
      signal: controller.signal,
    });
    const url = await until(async () => /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1]);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("studio-token");
    expect(out).toContain(file);
    controller.abort();
    expect(await done).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
  });

  it("rejects a bad --port", async () => {
    let err = "";
    const code = await runCli(["studio", "--port", "http"], {
      stdout: () => {},
      stderr: (t) => (err += t),
    });
    expect(code).toBe(1);
    expect(err).toMatch(/--port must be a whole number/);
  });
});
