/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The studio page: plain DOM, no framework. Previews come from a Web Worker running the package's
// own renderers and planner; machine settings, downloads and the plot job go to the studio server.
import type { Machine } from "../core/machine.js";
import type { PlotJobStatus } from "../services/studio/jobs.js";
import {
  PICTURE_PARAMS,
  STUDIO_STYLES,
  type StyleParam,
  type StyleValues,
} from "../services/studio/styles.js";
import type { FromWorker, SourceMessage, ToWorker } from "./protocol.js";

// ---------- tiny DOM helper ----------
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;
function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== undefined) el.append(c);
  return el;
}
const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector(sel) as T;

// ---------- state ----------
const token = (document.querySelector('meta[name="studio-token"]') as HTMLMetaElement).content;
let machine: Machine;
let machinePath: string | null = null;
let workspace: { svg: string; region: { x: number; y: number; width: number; height: number } };
let source: SourceMessage | undefined;
let style = STUDIO_STYLES[0]?.name ?? "square-wave";
const valuesByStyle = new Map<string, StyleValues>();
let lines: { coords: Float32Array; starts: Uint32Array } | undefined;
let job: PlotJobStatus | null = null;
/** Set when a file is taken, until its worker has read it. */
let newSource = false;

/** What the browser tests and the demo read: timings of the last preview and progress events. */
const probe = {
  previewId: 0,
  linesMs: Number.NaN,
  statsMs: Number.NaN,
  progressAt: [] as number[],
  /** Request ids whose lines reached the board, in order. */
  landed: [] as number[],
  /** The previewed lines as sent to the server (flat x, y arrays, page mm). */
  strokes: (): number[][] => flatStrokes(),
};
(window as unknown as { studio: typeof probe }).studio = probe;

// ---------- messages ----------
function showError(text: string, area = "#messages"): void {
  const box = $(area);
  box.append(
    h(
      "div",
      { class: "message error", role: "alert" },
      h("span", {}, text),
      h(
        "button",
        {
          class: "dismiss",
          title: "dismiss",
          onclick: (e) => (e.target as HTMLElement).parentElement?.remove(),
        },
        "×",
      ),
    ),
  );
}
function clearErrors(area = "#messages"): void {
  $(area).replaceChildren();
}

// ---------- server calls ----------
async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        "x-studio-token": token,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Error("the studio server is not reachable; is `polargraph studio` still running?");
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const e = (await res.json()) as { error?: { message?: string; path?: string } };
      if (e.error?.message) message = e.error.message;
      if (e.error?.path) message += ` (field ${e.error.path})`;
    } catch {}
    throw new Error(message);
  }
  return (res.headers.get("content-type") ?? "").startsWith("application/json")
    ? ((await res.json()) as T)
    : (res as unknown as T);
}

// ---------- preview worker ----------
let worker: Worker | undefined;
let busy = false;
let latest = 0;
let changedAt = 0;

function startWorker(): Worker {
  const w = new Worker("/worker.js");
  w.onmessage = (e: MessageEvent<FromWorker>) => onWorker(e.data);
  w.onerror = (e) => {
    busy = false;
    showError(`the preview worker failed: ${e.message}`);
  };
  if (source) w.postMessage(source satisfies ToWorker);
  return w;
}

function requestPreview(): void {
  if (!source) return;
  changedAt = performance.now();
  const id = ++latest;
  probe.previewId = id;
  $("#board").dataset.state = "working";
  // a busy worker is computing a stale preview: stop it rather than wait for it
  if (busy && worker) {
    worker.terminate();
    worker = undefined;
  }
  worker ??= startWorker();
  busy = true;
  const msg: ToWorker = {
    type: "render",
    id,
    machine,
    style: source.kind === "svg" ? "paths" : style,
    values: source.kind === "svg" ? {} : (valuesByStyle.get(style) ?? {}),
  };
  worker.postMessage(msg);
}

function onWorker(msg: FromWorker): void {
  if (msg.type === "source") {
    if (!msg.ok) {
      source = undefined;
      busy = false;
      $("#source-name").textContent = "no picture";
      showError(msg.message);
      return;
    }
    $("#source-name").textContent =
      msg.kind === "image" ? `${msg.name} (${msg.width}×${msg.height})` : `${msg.name} (SVG paths)`;
    // a restarted worker announces the same source again: leave the form (and its focus) alone
    if (newSource) renderStyleForm();
    newSource = false;
    return;
  }
  if (msg.id !== latest) return; // stale
  if (msg.type === "error") {
    busy = false;
    $("#board").dataset.state = "error";
    $("#param-error").textContent = msg.message;
    if (msg.path) document.querySelector(`[data-param="${msg.path}"]`)?.classList.add("invalid");
    return;
  }
  if (msg.type === "lines") {
    $("#param-error").textContent = "";
    for (const el of document.querySelectorAll(".invalid")) el.classList.remove("invalid");
    lines = { coords: msg.coords, starts: msg.starts };
    drawBoard();
    probe.landed.push(msg.id);
    probe.linesMs = performance.now() - changedAt;
    return;
  }
  busy = false;
  probe.statsMs = performance.now() - changedAt;
  const stats = $("#stats");
  stats.replaceChildren(
    ...[
      ["lines", String(msg.lines)],
      ["pen down", `${(msg.penDownMm / 1000).toFixed(2)} m`],
      ["pen up", `${(msg.penUpMm / 1000).toFixed(2)} m`],
      ["time", duration(msg.durationMs)],
      ["moves", String(msg.moveCount)],
      ["preview", `${Math.round(probe.linesMs)} ms lines, ${Math.round(probe.statsMs)} ms plan`],
    ].map(([k, v]) =>
      h(
        "div",
        { class: "stat", "data-stat": k },
        h("dt", {}, k as string),
        h("dd", {}, v as string),
      ),
    ),
  );
  $("#warnings").textContent = msg.warnings.length
    ? `outside the good drawing area: ${msg.warnings.join("; ")}`
    : "";
  $("#board").dataset.state = "ready";
  ($("#plot") as HTMLButtonElement).disabled = isActive();
  for (const b of document.querySelectorAll<HTMLButtonElement>(".download")) b.disabled = false;
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const hrs = Math.floor(s / 3600);
  const min = Math.floor((s % 3600) / 60);
  return hrs ? `${hrs} h ${min} min` : `${min} min ${s % 60} s`;
}

// ---------- the board ----------
/** The heat map's own view box (as workspaceSvg draws it). */
function mapBox() {
  const r = workspace.region;
  const pad = 20;
  return { x: r.x - pad, y: r.y - pad, width: r.width + 2 * pad, height: r.height + 2 * pad + 40 };
}

let zoomToPage = false;
const heat = new Image();

/** What the board shows: the whole machine, or the page with a little of the map around it. */
function viewBox() {
  if (!zoomToPage) return mapBox();
  const p = machine.page;
  const pad = Math.max(p.width, p.height) * 0.06;
  return { x: p.x - pad, y: p.y - pad, width: p.width + 2 * pad, height: p.height + 2 * pad };
}

function drawBoard(): void {
  const canvas = $("#lines") as HTMLCanvasElement;
  const vb = viewBox();
  const cssWidth = canvas.clientWidth || 800;
  const scale = cssWidth / vb.width;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(cssWidth * dpr);
  canvas.height = Math.round(vb.height * scale * dpr);
  const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const s = scale * dpr;
  ctx.setTransform(s, 0, 0, s, -vb.x * s, -vb.y * s);
  const m = mapBox();
  if (heat.complete && heat.naturalWidth) ctx.drawImage(heat, m.x, m.y, m.width, m.height);
  const { page, margins } = machine;
  ctx.fillStyle = "rgba(255,255,255,0.82)";
  ctx.fillRect(page.x, page.y, page.width, page.height);
  ctx.strokeStyle = "#999";
  ctx.lineWidth = 0.6;
  ctx.setLineDash([3, 3]);
  ctx.strokeRect(
    page.x + margins.left,
    page.y + margins.top,
    page.width - margins.left - margins.right,
    page.height - margins.top - margins.bottom,
  );
  ctx.setLineDash([]);
  if (!lines) return;
  ctx.strokeStyle = "#111";
  ctx.lineWidth = Math.max(0.35, 0.8 / s);
  ctx.lineJoin = "round";
  ctx.beginPath();
  const { coords, starts } = lines;
  for (let i = 0; i + 1 < starts.length; i++) {
    const a = starts[i] as number;
    const b = starts[i + 1] as number;
    if (b - a < 1) continue;
    ctx.moveTo(page.x + (coords[2 * a] as number), page.y + (coords[2 * a + 1] as number));
    for (let k = a + 1; k < b; k++)
      ctx.lineTo(page.x + (coords[2 * k] as number), page.y + (coords[2 * k + 1] as number));
  }
  ctx.stroke();
  $("#board").dataset.lines = String(starts.length - 1);
}

function flatStrokes(): number[][] {
  if (!lines) return [];
  const out: number[][] = [];
  const { coords, starts } = lines;
  for (let i = 0; i + 1 < starts.length; i++) {
    const a = starts[i] as number;
    const b = starts[i + 1] as number;
    const line: number[] = [];
    for (let k = a; k < b; k++)
      line.push(
        Math.round((coords[2 * k] as number) * 1000) / 1000,
        Math.round((coords[2 * k + 1] as number) * 1000) / 1000,
      );
    out.push(line);
  }
  return out;
}

async function loadWorkspace(): Promise<void> {
  workspace = await call("GET", "/api/workspace");
  heat.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(workspace.svg)}`;
  ($("#board") as HTMLElement).dataset.heat = "loading";
  await heat.decode().catch(() => showError("the heat map could not be drawn"));
  ($("#board") as HTMLElement).dataset.heat = "ready";
  fitBoard();
}

function fitBoard(): void {
  const vb = viewBox();
  const board = $("#board");
  board.style.aspectRatio = `${vb.width} / ${vb.height}`;
  // the whole board fits the window's height, so the figures under it stay in view
  board.style.maxWidth = `calc((100vh - 260px) * ${(vb.width / vb.height).toFixed(4)})`;
  drawBoard();
}

// ---------- picture ----------
async function takeFile(file: File): Promise<void> {
  clearErrors();
  const isSvg = file.type === "image/svg+xml" || /\.svg$/i.test(file.name);
  if (file.size === 0) {
    showError(`${file.name} is empty (0 bytes). Drop a PNG, JPEG, WebP, GIF or SVG file.`);
    return;
  }
  if (isSvg) {
    let text: string;
    try {
      text = await file.text();
    } catch (e) {
      showError(`${file.name} cannot be read: ${(e as Error).message}`);
      return;
    }
    source = { type: "source", kind: "svg", name: file.name, text };
  } else source = { type: "source", kind: "image", name: file.name, blob: file };
  lines = undefined;
  newSource = true;
  if (busy && worker) worker.terminate();
  worker = startWorker();
  busy = false;
  requestPreview();
}

// ---------- style and parameters ----------
function paramField(p: StyleParam, values: StyleValues): HTMLElement {
  const id = `param-${p.name}`;
  const current = values[p.name];
  const shown = current ?? p.default;
  let input: HTMLInputElement;
  if (p.type === "boolean") {
    input = h("input", { id, type: "checkbox", "data-param": p.name, checked: Boolean(shown) });
    input.addEventListener("change", () => {
      values[p.name] = input.checked;
      requestPreview();
    });
  } else {
    input = h("input", {
      id,
      type: p.type === "numbers" ? "text" : "number",
      "data-param": p.name,
      min: p.min,
      max: p.max,
      step: p.step ?? "any",
      placeholder: p.auto ? `auto: ${p.auto}` : undefined,
      value: shown === undefined ? "" : Array.isArray(shown) ? shown.join(", ") : String(shown),
    });
    input.addEventListener("input", () => {
      const raw = input.value.trim();
      if (raw === "" && !input.validity.badInput) values[p.name] = undefined;
      else if (p.type === "numbers")
        values[p.name] = raw
          .split(/[\s,]+/)
          .filter(Boolean)
          .map((v) => (Number.isFinite(Number(v)) ? Number(v) : (v as unknown as number)));
      else values[p.name] = input.validity.badInput ? (raw as unknown as number) : Number(raw);
      requestPreview();
    });
  }
  const def =
    p.default === undefined
      ? `default: ${p.auto ?? "auto"}`
      : `default: ${Array.isArray(p.default) ? p.default.join(", ") : String(p.default)}`;
  return h(
    "label",
    { class: "param", for: id, title: p.description },
    h("span", { class: "param-label" }, p.label),
    input,
    h("small", {}, def),
  );
}

function renderStyleForm(): void {
  const form = $("#params");
  const select = $("#style") as HTMLSelectElement;
  if (source?.kind === "svg") {
    select.disabled = true;
    form.replaceChildren(
      h(
        "p",
        { class: "note" },
        "An SVG is drawn as its paths, fitted to the page less its margins.",
      ),
    );
    return;
  }
  select.disabled = false;
  const s = STUDIO_STYLES.find((x) => x.name === style);
  if (!s) return;
  const values = valuesByStyle.get(style) ?? {};
  valuesByStyle.set(style, values);
  $("#style-help").textContent = s.description;
  form.replaceChildren(
    h("h3", {}, "picture"),
    ...PICTURE_PARAMS.map((p) => paramField(p, values)),
    h("h3", {}, s.label),
    ...s.params.map((p) => paramField(p, values)),
  );
}

// ---------- machine settings ----------
function leaves(obj: unknown, prefix = ""): [string, string | number][] {
  if (obj && typeof obj === "object")
    return Object.entries(obj).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
  return [[prefix, obj as string | number]];
}

function renderMachineForm(): void {
  const form = $("#machine-fields");
  form.replaceChildren(
    ...leaves(machine).map(([path, value]) =>
      h(
        "label",
        { class: "param" },
        h("span", { class: "param-label" }, path),
        h("input", {
          "data-machine": path,
          type: typeof value === "number" ? "number" : "text",
          step: "any",
          value: String(value),
        }),
      ),
    ),
  );
  $("#machine-path").textContent = machinePath
    ? `saved to ${machinePath}`
    : "not saved: start the studio with --machine file.json to save";
}

async function saveMachine(): Promise<void> {
  clearErrors("#machine-messages");
  const out: Record<string, unknown> = {};
  for (const input of document.querySelectorAll<HTMLInputElement>("[data-machine]")) {
    const path = input.dataset.machine as string;
    const keys = path.split(".");
    let o = out;
    for (const k of keys.slice(0, -1)) {
      o[k] ??= {};
      o = o[k] as Record<string, unknown>;
    }
    const raw = input.value.trim();
    o[keys[keys.length - 1] as string] =
      input.type === "number" ? (raw === "" || input.validity.badInput ? raw : Number(raw)) : raw;
  }
  try {
    const state = await call<{ machine: Machine; note?: string }>("PUT", "/api/machine", {
      machine: out,
    });
    machine = state.machine;
    $("#machine-messages").append(h("div", { class: "message ok" }, state.note ?? "saved"));
    renderMachineForm();
    await loadWorkspace();
    requestPreview();
  } catch (e) {
    showError((e as Error).message, "#machine-messages");
  }
}

// ---------- plot ----------
function isActive(): boolean {
  return job?.state === "running" || job?.state === "paused";
}

function target(): unknown {
  const kind = ($("#target") as HTMLSelectElement).value;
  if (kind === "tcp")
    return {
      kind,
      host: ($("#tcp-host") as HTMLInputElement).value,
      port: Number(($("#tcp-port") as HTMLInputElement).value),
    };
  if (kind === "serial")
    return {
      kind,
      path: ($("#serial-path") as HTMLInputElement).value,
      baudRate: Number(($("#serial-baud") as HTMLInputElement).value) || undefined,
    };
  return { kind: "simulated" };
}

async function plotAction(path: string, body?: unknown): Promise<void> {
  clearErrors("#plot-messages");
  try {
    const r = await call<{ job: PlotJobStatus }>("POST", path, body);
    showJob(r.job);
  } catch (e) {
    showError((e as Error).message, "#plot-messages");
  }
}

function showJob(status: PlotJobStatus | null): void {
  job = status;
  const panel = $("#job");
  const buttons = {
    pause: $("#pause") as HTMLButtonElement,
    resume: $("#resume") as HTMLButtonElement,
    abort: $("#abort") as HTMLButtonElement,
    from: $("#resume-from") as HTMLButtonElement,
  };
  ($("#plot") as HTMLButtonElement).disabled = isActive() || !lines;
  if (!status) {
    panel.dataset.state = "none";
    $("#job-text").textContent = "no plot yet";
    for (const b of Object.values(buttons)) b.disabled = true;
    return;
  }
  panel.dataset.state = status.state;
  panel.dataset.acknowledged = String(status.lastAcknowledgedLine + 1);
  panel.dataset.total = String(status.total);
  const done = status.lastAcknowledgedLine + 1;
  ($("#progress") as HTMLProgressElement).value = status.total ? done / status.total : 0;
  $("#job-text").textContent =
    `plot ${status.id} ${status.state} · line ${done} / ${status.total} · elapsed ${duration(status.elapsedMs)} · remaining ${duration(status.remainingMs)} · ${status.protocol}`;
  buttons.pause.disabled = status.state !== "running";
  buttons.resume.disabled = status.state !== "paused";
  buttons.abort.disabled = !isActive();
  const resumable = ["disconnected", "aborted", "failed"].includes(status.state);
  buttons.from.disabled = !resumable;
  const line = $("#resume-line") as HTMLInputElement;
  if (resumable && document.activeElement !== line) line.value = String(done);
  const msg = $("#job-message");
  msg.textContent = status.message ?? "";
  msg.className = status.state === "done" ? "message ok" : status.message ? "message error" : "";
}

function listen(): void {
  const events = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
  events.addEventListener("job", (e) => {
    const { job: status } = JSON.parse((e as MessageEvent<string>).data) as {
      job: PlotJobStatus | null;
    };
    if (status?.state === "running") probe.progressAt.push(performance.now());
    showJob(status);
    $("#connection").textContent = "";
  });
  events.onerror = () => {
    $("#connection").textContent = "lost the studio server; reconnecting…";
  };
}

// ---------- downloads ----------
async function download(format: string): Promise<void> {
  clearErrors();
  try {
    const res = await call<Response>("POST", "/api/export", { strokes: flatStrokes(), format });
    const blob = await res.blob();
    const name =
      /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ??
      `plot.${format}`;
    const a = h("a", { href: URL.createObjectURL(blob), download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  } catch (e) {
    showError(`download failed: ${(e as Error).message}`);
  }
}

// ---------- layout ----------
function layout(): void {
  const drop = h(
    "label",
    { id: "drop", class: "drop", for: "file" },
    h("strong", {}, "Drop a picture or an SVG here"),
    h("span", {}, " or click to pick one"),
    h("input", {
      id: "file",
      type: "file",
      accept: "image/*,.svg",
      onchange: (e) => {
        const f = (e.target as HTMLInputElement).files?.[0];
        if (f) void takeFile(f);
      },
    }),
    h("div", { id: "source-name" }, "no picture"),
  );
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const f = e.dataTransfer?.files[0];
    if (f) void takeFile(f);
  });
  const styleSelect = h(
    "select",
    {
      id: "style",
      onchange: (e) => {
        style = (e.target as HTMLSelectElement).value;
        renderStyleForm();
        requestPreview();
      },
    },
    ...STUDIO_STYLES.map((s) => h("option", { value: s.name }, s.label)),
  );
  document.body.append(
    h(
      "header",
      {},
      h("h1", {}, "polargraph studio"),
      h("span", { id: "machine-name" }),
      h("span", { id: "connection" }),
    ),
    h(
      "main",
      {},
      h(
        "section",
        { id: "left" },
        drop,
        h("div", { id: "messages" }),
        h("label", { class: "param" }, h("span", { class: "param-label" }, "style"), styleSelect),
        h("p", { id: "style-help", class: "note" }),
        h("div", { id: "params" }),
        h("div", { id: "param-error", class: "param-error", role: "alert" }),
      ),
      h(
        "section",
        { id: "centre" },
        h(
          "label",
          { class: "zoom" },
          h("input", {
            id: "zoom",
            type: "checkbox",
            onchange: (e) => {
              zoomToPage = (e.target as HTMLInputElement).checked;
              fitBoard();
            },
          }),
          " zoom to the page",
        ),
        h(
          "div",
          { id: "board", "data-state": "empty" },
          h("canvas", {
            id: "lines",
            role: "img",
            "aria-label": "the board: drawable-area heat map, page and lines",
          }),
        ),
        h(
          "p",
          { class: "legend" },
          "Heat map: green = good drawing area (darker = finer), orange = slack or coarse, red = too much tension; blue dashes: the largest good rectangle; grey dashes: page less margins.",
        ),
        h("dl", { id: "stats" }),
        h("p", { id: "warnings", class: "note" }),
      ),
      h(
        "section",
        { id: "right" },
        h("h2", {}, "Plot"),
        h(
          "label",
          { class: "param" },
          h("span", { class: "param-label" }, "plotter"),
          h(
            "select",
            { id: "target", onchange: () => syncTarget() },
            h("option", { value: "simulated" }, "simulated plotter (built in)"),
            h("option", { value: "tcp" }, "TCP (serial bridge)"),
            h("option", { value: "serial" }, "serial port"),
          ),
        ),
        h(
          "div",
          { id: "tcp-fields", class: "target-fields" },
          h(
            "label",
            { class: "param" },
            h("span", { class: "param-label" }, "host"),
            h("input", { id: "tcp-host", value: "127.0.0.1" }),
          ),
          h(
            "label",
            { class: "param" },
            h("span", { class: "param-label" }, "port"),
            h("input", { id: "tcp-port", type: "number", value: "23" }),
          ),
        ),
        h(
          "div",
          { id: "serial-fields", class: "target-fields" },
          h(
            "label",
            { class: "param" },
            h("span", { class: "param-label" }, "device"),
            h("input", { id: "serial-path", value: "/dev/ttyACM0" }),
          ),
          h(
            "label",
            { class: "param" },
            h("span", { class: "param-label" }, "baud"),
            h("input", { id: "serial-baud", type: "number", placeholder: "57600 / 115200" }),
          ),
        ),
        h(
          "label",
          { class: "param" },
          h("span", { class: "param-label" }, "protocol"),
          h(
            "select",
            { id: "protocol" },
            h("option", { value: "polargraph" }, "polargraph_server"),
            h("option", { value: "marlin" }, "Marlin / Makelangelo"),
            h("option", { value: "grbl" }, "GRBL"),
          ),
        ),
        h(
          "button",
          {
            id: "plot",
            class: "primary",
            disabled: true,
            onclick: () =>
              void plotAction("/api/plot", {
                strokes: flatStrokes(),
                target: target(),
                protocol: ($("#protocol") as HTMLSelectElement).value,
              }),
          },
          "Plot",
        ),
        h(
          "div",
          { id: "job", "data-state": "none" },
          h("progress", { id: "progress", max: 1, value: 0 }),
          h("div", { id: "job-text" }, "no plot yet"),
          h(
            "div",
            { class: "buttons" },
            h(
              "button",
              { id: "pause", disabled: true, onclick: () => void plotAction("/api/plot/pause") },
              "Pause",
            ),
            h(
              "button",
              { id: "resume", disabled: true, onclick: () => void plotAction("/api/plot/resume") },
              "Resume",
            ),
            h(
              "button",
              { id: "abort", disabled: true, onclick: () => void plotAction("/api/plot/abort") },
              "Abort",
            ),
          ),
          h(
            "div",
            { class: "buttons" },
            h("input", { id: "resume-line", type: "number", min: 0, title: "line to resume from" }),
            h(
              "button",
              {
                id: "resume-from",
                disabled: true,
                onclick: () =>
                  void plotAction("/api/plot/resume-from", {
                    line: Number(($("#resume-line") as HTMLInputElement).value),
                  }),
              },
              "Resume from line",
            ),
          ),
          h("div", { id: "job-message" }),
        ),
        h("div", { id: "plot-messages" }),
        h("h2", {}, "Download"),
        h(
          "div",
          { class: "buttons" },
          ...[
            ["gcode", "G-code (Marlin)"],
            ["grbl", "G-code (GRBL)"],
            ["polargraph", "Polargraph"],
            ["svg", "SVG"],
            ["png", "PNG"],
          ].map(([f, label]) =>
            h(
              "button",
              {
                class: "download",
                "data-format": f,
                disabled: true,
                onclick: () => void download(f as string),
              },
              label as string,
            ),
          ),
        ),
        h(
          "details",
          { id: "machine" },
          h("summary", {}, "Machine settings"),
          h("p", { id: "machine-path", class: "note" }),
          h("div", { id: "machine-fields" }),
          h("button", { id: "save-machine", onclick: () => void saveMachine() }, "Save machine"),
          h("div", { id: "machine-messages" }),
        ),
      ),
    ),
  );
  syncTarget();
}

function syncTarget(): void {
  const kind = ($("#target") as HTMLSelectElement).value;
  $("#tcp-fields").hidden = kind !== "tcp";
  $("#serial-fields").hidden = kind !== "serial";
}

async function boot(): Promise<void> {
  layout();
  try {
    const state = await call<{
      machine: Machine;
      machinePath: string | null;
      job: PlotJobStatus | null;
    }>("GET", "/api/state");
    machine = state.machine;
    machinePath = state.machinePath;
    $("#machine-name").textContent =
      `${machine.name} · ${machine.motorDistance} mm between motors · page ${machine.page.width}×${machine.page.height} mm`;
    renderMachineForm();
    renderStyleForm();
    showJob(state.job);
    await loadWorkspace();
    listen();
    window.addEventListener("resize", () => drawBoard());
    document.body.dataset.ready = "true";
  } catch (e) {
    showError((e as Error).message);
  }
}

void boot();
