/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The comic studio's page: plain TypeScript over the DOM, bundled by esbuild into app.js at
// build time (no framework, no CDN). Every action is one call to the studio's HTTP API.
import { type Point, pointsToRect, polygonContains, type Rect } from "./geometry.js";

const token = document.querySelector<HTMLMetaElement>('meta[name="studio-token"]')?.content ?? "";

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

async function api<T>(method: string, path: string, body?: unknown, raw?: Blob): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        "x-studio-token": token,
        ...(body !== undefined && { "content-type": "application/json" }),
        ...(raw && { "content-type": raw.type || "application/octet-stream" }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      ...(raw && { body: raw }),
    });
  } catch (error) {
    throw new ApiError(
      0,
      "OFFLINE",
      `the studio server does not answer (${(error as Error).message}); is it still running?`,
    );
  }
  const value = (await response.json().catch(() => null)) as
    | (T & { error?: { code: string; message: string; field?: string } })
    | null;
  if (!response.ok || !value)
    throw new ApiError(
      response.status,
      value?.error?.code ?? "HTTP_ERROR",
      value?.error?.message ?? `the studio answered ${response.status}`,
      value?.error?.field,
    );
  return value;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
};

function showMessage(text: string, ok = false): void {
  const box = $("message");
  box.textContent = text;
  box.className = ok ? "ok" : "";
  box.hidden = text === "";
}

/** What to do about an error, said in the page. */
function explain(error: unknown): string {
  if (!(error instanceof ApiError)) return String((error as Error)?.message ?? error);
  const hints: Record<string, string> = {
    CORRUPT_IMAGE: "pick a PNG, JPEG, WebP or GIF file",
    INVALID_LAYOUT: "check that the grid is drawn dark on light paper with closed borders",
    PRINTER_UNREACHABLE:
      "check that the printer is on and reachable, or start the studio with --printer virtual",
    PRINT_INTERRUPTED: "check the printer's paper and connection, then make the comic again",
    TOO_LARGE: "pick a smaller file",
    MISSING_TOKEN: "reload the page",
    POOL_TOO_SMALL: "add images to the pool or relax their metadata",
    NO_FITTING_IMAGE: "relax the images' aspect or scale rules",
    ROI_TOO_LARGE: "make that image's region of interest smaller",
  };
  const hint = hints[error.code];
  return `${error.message}${hint ? ` — ${hint}.` : ""}`;
}

// ---- tabs ----
for (const tab of document.querySelectorAll<HTMLButtonElement>(".tabs [data-tab]"))
  tab.addEventListener("click", () => selectTab(tab.dataset.tab ?? "make"));
function selectTab(name: string): void {
  for (const tab of document.querySelectorAll<HTMLButtonElement>(".tabs [data-tab]"))
    tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  for (const panel of document.querySelectorAll<HTMLElement>("[data-panel]"))
    panel.hidden = panel.dataset.panel !== name;
  if (name === "pool") void loadPool();
}

// ---- make a comic ----
interface Comic {
  id: number;
  seed: number | string;
  template: string | null;
  skipLargeRoi: boolean;
  notes: string[];
  width: number;
  height: number;
  panels: Array<{ id: number; image: string | null }>;
  print: {
    printer: string;
    ok: boolean;
    bytesSent: number;
    preview: "virtual-printer" | "sent-bytes";
    error: { code: string; message: string } | null;
  };
}
interface TemplateEntry {
  name: string;
  image: string;
  width: number;
  height: number;
  panels: Point[][];
}
interface State {
  printer: string;
  pool: string;
  templatesDir: string;
  virtualPrinter: string | null;
  profile: string;
  width: number;
  comics: Comic[];
  templates: TemplateEntry[];
}

let poolDir = "";
let templatesDir = "";
const templateImages = new Map<string, string>();
async function loadState(): Promise<void> {
  const state = await api<State>("GET", "/api/state");
  poolDir = state.pool;
  templatesDir = state.templatesDir;
  $("printer-info").textContent =
    `printer: ${state.printer === "virtual" ? `virtual (${state.virtualPrinter})` : state.printer} · ${state.profile}, ${state.width} dots`;
  showTemplates(state.templates);
  const last = state.comics.at(-1);
  if (last) showComic(last);
}

function showTemplates(templates: TemplateEntry[]): void {
  const select = $<HTMLSelectElement>("template-choice");
  const chosen = select.value;
  select.replaceChildren(new Option("random layout", ""));
  for (const t of templates)
    select.add(new Option(`template ${t.name} (${t.panels.length} panels)`, t.name));
  select.value = templates.some((t) => t.name === chosen) ? chosen : "";
  for (const t of templates) templateImages.set(t.name, t.image);
  const list = $("template-list");
  list.replaceChildren(
    ...templates.map((t) => {
      const item = document.createElement("li");
      item.textContent = `${t.name} — ${t.panels.length} panels, ${t.width}×${t.height} (${t.image})`;
      return item;
    }),
  );
  if (templates.length === 0) list.textContent = "none yet";
}

function showComic(comic: Comic): void {
  const base = `/api/comics/${comic.id}`;
  $("result").hidden = false;
  $("result-seed").textContent = JSON.stringify(comic.seed);
  $("result-panels").textContent =
    `${comic.panels.length} panels on ${comic.width}×${comic.height} dots: ${comic.panels.map((p) => p.image ?? "(empty)").join(", ")}`;
  $("result-command").textContent =
    `thermal-comic compose --seed ${JSON.stringify(String(comic.seed))} --width ${comic.width} --pool ${JSON.stringify(poolDir)}${comic.template ? ` --template ${JSON.stringify(`${templatesDir}/${templateImages.get(comic.template) ?? `${comic.template}.png`}`)}` : ""} --allow-reuse${comic.skipLargeRoi ? " --skip-large-roi" : ""}`;
  $("result-notes").textContent = comic.notes.join(" ");
  $<HTMLImageElement>("comic-png").src = `${base}/comic.png`;
  $<HTMLImageElement>("paper-png").src = `${base}/paper.png`;
  const links: Array<[string, string, string]> = [
    ["download-png", "comic.png", `comic-${comic.seed}.png`],
    ["download-paper", "paper.png", `comic-${comic.seed}-paper.png`],
    ["download-layout", "comic.json", `comic-${comic.seed}.json`],
  ];
  for (const [id, file, name] of links) {
    const link = $<HTMLAnchorElement>(id);
    link.href = `${base}/${file}`;
    link.download = name;
  }
  $("paper-caption").textContent =
    comic.print.preview === "virtual-printer"
      ? "What the virtual printer received"
      : comic.print.ok
        ? "The bytes sent, decoded"
        : "What would have been sent";
  const status = $("print-status");
  status.className = comic.print.ok ? "" : "error";
  status.textContent = comic.print.ok
    ? `Printed: ${comic.print.bytesSent} bytes to ${comic.print.printer}.`
    : `Not printed: ${explain(new ApiError(502, comic.print.error?.code ?? "", comic.print.error?.message ?? ""))}`;
  if (!comic.print.ok)
    showMessage(
      `The comic was made but not printed: ${comic.print.error?.message} — check the printer, then press the button again.`,
    );
}

$("make").addEventListener("click", async () => {
  const button = $<HTMLButtonElement>("make");
  const seedText = $<HTMLInputElement>("seed").value.trim();
  const seed = seedText === "" ? undefined : /^-?\d+$/.test(seedText) ? Number(seedText) : seedText;
  button.disabled = true;
  $("make-status").textContent = "composing and printing…";
  showMessage("");
  try {
    const comic = await makeComicStreaming(
      {
        ...(seed !== undefined && { seed }),
        template: $<HTMLSelectElement>("template-choice").value,
      },
      (event) => {
        const bar = $<HTMLProgressElement>("make-progress");
        bar.hidden = false;
        const fraction = event.bytesTotal ? (event.bytesSent ?? 0) / event.bytesTotal : 0;
        bar.value = (event.done + fraction) / event.total;
        $("make-status").textContent =
          event.phase === "print"
            ? `printing: ${event.bytesSent ?? 0} of ${event.bytesTotal ?? "?"} bytes`
            : `${PHASE_NAMES[event.phase] ?? event.phase}…`;
      },
    );
    showComic(comic);
    $("make-status").textContent = `comic ${comic.id} done`;
  } catch (error) {
    $("make-status").textContent = "";
    showMessage(`No comic: ${explain(error)}`);
  } finally {
    button.disabled = false;
    $("make-progress").hidden = true;
  }
});

interface Progress {
  phase: string;
  done: number;
  total: number;
  bytesSent?: number;
  bytesTotal?: number;
}
const PHASE_NAMES: Record<string, string> = {
  layout: "cutting the page into panels",
  pool: "reading the pool",
  select: "choosing pictures",
  draw: "drawing",
  encode: "encoding the PNG",
  dither: "dithering for the printer",
};

/** POST /api/comics as a stream of progress lines ending in the comic or an error. */
async function makeComicStreaming(
  body: unknown,
  onProgress: (event: Progress) => void,
): Promise<Comic> {
  let response: Response;
  try {
    response = await fetch("/api/comics", {
      method: "POST",
      headers: {
        "x-studio-token": token,
        "content-type": "application/json",
        accept: "application/x-ndjson",
      },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(
      0,
      "OFFLINE",
      `the studio server does not answer (${(error as Error).message}); is it still running?`,
    );
  }
  if (!response.ok || !response.body) {
    const value = (await response.json().catch(() => null)) as {
      error?: { code: string; message: string };
    } | null;
    throw new ApiError(
      response.status,
      value?.error?.code ?? "HTTP_ERROR",
      value?.error?.message ?? `the studio answered ${response.status}`,
    );
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffered += value ?? "";
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      const message = JSON.parse(buffered.slice(0, newline)) as {
        progress?: Progress;
        comic?: Comic;
        error?: { code: string; message: string };
      };
      buffered = buffered.slice(newline + 1);
      if (message.progress) onProgress(message.progress);
      if (message.comic) return message.comic;
      if (message.error) throw new ApiError(422, message.error.code, message.error.message);
      newline = buffered.indexOf("\n");
    }
    if (done)
      throw new ApiError(
        0,
        "OFFLINE",
        "the studio stopped answering while making the comic; is it still running?",
      );
  }
}

// ---- pool editor ----
interface PoolEntry {
  name: string;
  metadataFile: string;
  hasMetadata: boolean;
  width: number;
  height: number;
  metadata: Record<string, unknown>;
  error: { code: string; message: string; field?: string } | null;
}

let poolEntries: PoolEntry[] = [];
let editing: { entry: PoolEntry; image: HTMLImageElement; roi: Rect | null; anchor: Point } | null =
  null;

async function loadPool(): Promise<void> {
  try {
    const { images } = await api<{ images: PoolEntry[] }>("GET", "/api/pool");
    poolEntries = images;
    renderPoolList();
  } catch (error) {
    showMessage(`Cannot list the pool: ${explain(error)}`);
  }
}

function renderPoolList(): void {
  $("pool-list").replaceChildren(
    ...poolEntries.map((entry) => {
      const item = document.createElement("li");
      item.dataset.name = entry.name;
      item.title =
        entry.error?.message ?? (entry.metadata.tags as string[] | undefined)?.join(", ") ?? "";
      item.classList.toggle("invalid", entry.error !== null);
      item.classList.toggle("selected", editing?.entry.name === entry.name);
      const img = document.createElement("img");
      img.src = `/api/pool/${encodeURIComponent(entry.name)}/image`;
      img.alt = entry.name;
      const label = document.createElement("div");
      label.textContent = entry.name;
      item.append(img, label);
      item.addEventListener("click", () => openEditor(entry));
      return item;
    }),
  );
}

function field(id: string): HTMLInputElement {
  return $<HTMLInputElement>(id);
}

function openEditor(entry: PoolEntry): void {
  const image = new Image();
  image.src = `/api/pool/${encodeURIComponent(entry.name)}/image`;
  const meta = entry.metadata;
  const roi = meta.roi as Rect | undefined;
  const anchor = Array.isArray(meta.anchor) ? (meta.anchor as Point) : ([0.5, 0.5] as Point);
  editing = { entry, image, roi: roi ?? null, anchor };
  $("pool-editor").hidden = false;
  $("pool-name").textContent = entry.name;
  $("pool-file").textContent = entry.metadataFile + (entry.hasMetadata ? "" : " (new)");
  field("tags").value = Array.isArray(meta.tags) ? (meta.tags as string[]).join(", ") : "";
  $<HTMLSelectElement>("fit").value = typeof meta.fit === "string" ? meta.fit : "";
  const rotate = meta.rotate;
  const rotateSelect = $<HTMLSelectElement>("rotate");
  rotateSelect.value =
    rotate === true
      ? "true"
      : Array.isArray(rotate)
        ? rotate.length === 4
          ? "all"
          : "custom"
        : "";
  for (const box of document.querySelectorAll<HTMLInputElement>("input.aspect"))
    box.checked = Array.isArray(meta.aspects) && (meta.aspects as unknown[]).includes(box.value);
  for (const key of ["minScale", "maxScale", "weight"])
    field(key).value = meta[key] === undefined ? "" : String(meta[key]);
  field("anchor-x").value = String(anchor[0]);
  field("anchor-y").value = String(anchor[1]);
  if (typeof meta.anchor === "string") {
    field("anchor-x").value = meta.anchor;
    field("anchor-y").value = "";
  }
  clearFieldErrors();
  if (entry.error) showFieldError(entry.error.field ?? "", entry.error.message);
  $("pool-status").textContent = "";
  renderPoolList();
  image.onload = () => drawRoiCanvas();
  image.onerror = () => showFieldError("", `${entry.name} cannot be shown by the browser`);
}

function clearFieldErrors(): void {
  for (const box of document.querySelectorAll<HTMLElement>("#pool-editor .error"))
    box.textContent = "";
  for (const input of document.querySelectorAll("#pool-editor .invalid"))
    input.classList.remove("invalid");
}

function showFieldError(name: string, message: string): void {
  const box =
    document.querySelector<HTMLElement>(`#pool-editor .error[data-field="${CSS.escape(name)}"]`) ??
    document.querySelector<HTMLElement>('#pool-editor .error[data-field=""]');
  if (box) box.textContent = message;
  const ids: Record<string, string[]> = { anchor: ["anchor-x", "anchor-y"] };
  for (const id of ids[name] ?? [name]) document.getElementById(id)?.classList.add("invalid");
}

function roiView(): { scale: number; canvas: HTMLCanvasElement } | null {
  if (!editing) return null;
  const canvas = $<HTMLCanvasElement>("roi-canvas");
  const { width, height } = editing.entry;
  if (!(width > 0 && height > 0)) return null;
  const scale = Math.min(480 / width, 480 / height);
  const w = Math.round(width * scale);
  const h = Math.round(height * scale);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  return { scale, canvas };
}

function drawRoiCanvas(): void {
  const view = roiView();
  if (!view || !editing) return;
  const { scale, canvas } = view;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (editing.image.complete && editing.image.naturalWidth > 0)
    ctx.drawImage(editing.image, 0, 0, canvas.width, canvas.height);
  const roi = editing.roi;
  if (roi) {
    ctx.fillStyle = "rgba(0, 0, 0, 0.35)";
    ctx.beginPath();
    ctx.rect(0, 0, canvas.width, canvas.height);
    ctx.rect(roi.x * scale, roi.y * scale, roi.width * scale, roi.height * scale);
    ctx.fill("evenodd");
    ctx.strokeStyle = "#f5b700";
    ctx.lineWidth = 3;
    ctx.strokeRect(roi.x * scale, roi.y * scale, roi.width * scale, roi.height * scale);
  }
  const ax = Number(field("anchor-x").value);
  const ay = Number(field("anchor-y").value);
  if (Number.isFinite(ax) && Number.isFinite(ay) && field("anchor-y").value !== "") {
    const x = ax * canvas.width;
    const y = ay * canvas.height;
    ctx.strokeStyle = "#d00";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x - 9, y);
    ctx.lineTo(x + 9, y);
    ctx.moveTo(x, y - 9);
    ctx.lineTo(x, y + 9);
    ctx.stroke();
  }
  $("roi-text").textContent = roi
    ? `x ${roi.x}, y ${roi.y}, ${roi.width}×${roi.height} px`
    : "none";
}

function canvasPoint(canvas: HTMLCanvasElement, event: PointerEvent): Point {
  const box = canvas.getBoundingClientRect();
  return [
    ((event.clientX - box.left) * canvas.width) / box.width,
    ((event.clientY - box.top) * canvas.height) / box.height,
  ];
}

{
  const canvas = $<HTMLCanvasElement>("roi-canvas");
  let start: Point | null = null;
  canvas.addEventListener("pointerdown", (event) => {
    if (!editing) return;
    canvas.setPointerCapture(event.pointerId);
    start = canvasPoint(canvas, event);
  });
  const update = (event: PointerEvent, done: boolean) => {
    const view = roiView();
    if (!start || !view || !editing) return;
    const end = canvasPoint(canvas, event);
    const { width, height } = editing.entry;
    const rect = pointsToRect(start, end, view.scale, width, height);
    if (rect.width >= 2 && rect.height >= 2) {
      editing.roi = rect;
      if (field("anchor-follows").checked) {
        field("anchor-x").value = String(
          Math.round(((rect.x + rect.width / 2) / width) * 1000) / 1000,
        );
        field("anchor-y").value = String(
          Math.round(((rect.y + rect.height / 2) / height) * 1000) / 1000,
        );
      }
    } else if (done) {
      // A click without a drag places the anchor.
      field("anchor-x").value = String(Math.round((end[0] / view.canvas.width) * 1000) / 1000);
      field("anchor-y").value = String(Math.round((end[1] / view.canvas.height) * 1000) / 1000);
    }
    if (done) start = null;
    drawRoiCanvas();
  };
  canvas.addEventListener("pointermove", (event) => update(event, false));
  canvas.addEventListener("pointerup", (event) => update(event, true));
}
$("roi-clear").addEventListener("click", () => {
  if (editing) editing.roi = null;
  drawRoiCanvas();
});
for (const id of ["anchor-x", "anchor-y"])
  field(id).addEventListener("input", () => drawRoiCanvas());

/** A number field: empty leaves the key out; anything else unparsable is sent as typed, for the composer to reject in place. */
function numberOrText(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : trimmed;
}

function metadataFromForm(): Record<string, unknown> {
  if (!editing) return {};
  const meta: Record<string, unknown> = { ...editing.entry.metadata };
  const set = (key: string, value: unknown) => {
    if (value === undefined) delete meta[key];
    else meta[key] = value;
  };
  const tags = field("tags")
    .value.split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  set("tags", tags.length ? tags : undefined);
  set("fit", $<HTMLSelectElement>("fit").value || undefined);
  const rotate = $<HTMLSelectElement>("rotate").value;
  if (rotate !== "custom")
    set("rotate", rotate === "true" ? true : rotate === "all" ? [0, 90, 180, 270] : undefined);
  const aspects = [...document.querySelectorAll<HTMLInputElement>("input.aspect")]
    .filter((b) => b.checked)
    .map((b) => b.value);
  const custom = Array.isArray(meta.aspects)
    ? (meta.aspects as unknown[]).filter((a) => Array.isArray(a))
    : [];
  set("aspects", aspects.length || custom.length ? [...aspects, ...custom] : undefined);
  for (const key of ["minScale", "maxScale", "weight"]) set(key, numberOrText(field(key).value));
  const ax = field("anchor-x").value.trim();
  const ay = field("anchor-y").value.trim();
  if (ax === "" && ay === "") set("anchor", undefined);
  else if (ay === "" && Number.isNaN(Number(ax))) set("anchor", ax);
  else set("anchor", [numberOrText(ax), numberOrText(ay)]);
  set("roi", editing.roi ?? undefined);
  return meta;
}

$("pool-editor").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!editing) return;
  const name = editing.entry.name;
  clearFieldErrors();
  $("pool-status").textContent = "saving…";
  try {
    const saved = await api<PoolEntry>("PUT", `/api/pool/${encodeURIComponent(name)}/metadata`, {
      metadata: metadataFromForm(),
    });
    poolEntries = poolEntries.map((e) => (e.name === name ? saved : e));
    editing.entry = saved;
    $("pool-file").textContent = saved.metadataFile;
    $("pool-status").textContent = `saved to ${saved.metadataFile}`;
    renderPoolList();
  } catch (error) {
    $("pool-status").textContent = "not saved";
    const field = error instanceof ApiError ? (error.field ?? "") : "";
    showFieldError(field, explain(error));
  }
});

// ---- templates ----
let template: {
  file: Blob;
  image: HTMLImageElement;
  width: number;
  height: number;
  panels: Point[][];
} | null = null;
let selectedPanel = -1;

async function detect(file: Blob): Promise<void> {
  $("template-status").textContent = "finding panels…";
  $("template-error").textContent = "";
  try {
    const found = await api<{ width: number; height: number; panels: Point[][] }>(
      "POST",
      "/api/templates/detect",
      undefined,
      file,
    );
    const image = new Image();
    image.src = URL.createObjectURL(file);
    await image.decode().catch(() => undefined);
    template = { file, image, width: found.width, height: found.height, panels: found.panels };
    selectedPanel = -1;
    $("template-editor").hidden = false;
    $("template-status").textContent =
      `${found.panels.length} panels found in the ${found.width}×${found.height} grid`;
    drawTemplate();
  } catch (error) {
    $("template-status").textContent = "";
    showMessage(`Cannot use that grid: ${explain(error)}`);
  }
}

$<HTMLInputElement>("template-file").addEventListener("change", () => {
  const file = $<HTMLInputElement>("template-file").files?.[0];
  showMessage("");
  if (file) void detect(file);
});
// A grid image dropped anywhere on the Templates tab is uploaded as if picked.
{
  const zone = $("tab-templates");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("dropping");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dropping"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dropping");
    const file = event.dataTransfer?.files[0];
    showMessage("");
    if (file) void detect(file);
    else showMessage("Nothing to read in what was dropped — drop an image file of the grid.");
  });
}
$("template-redetect").addEventListener("click", () => {
  if (template) void detect(template.file);
});
$("template-remove").addEventListener("click", () => {
  if (!template || selectedPanel < 0) return;
  template.panels.splice(selectedPanel, 1);
  selectedPanel = -1;
  drawTemplate();
});

function templateScale(): number {
  return template ? Math.min(600 / template.width, 600 / template.height) : 1;
}

function drawTemplate(): void {
  if (!template) return;
  const canvas = $<HTMLCanvasElement>("template-canvas");
  const scale = templateScale();
  canvas.width = Math.round(template.width * scale);
  canvas.height = Math.round(template.height * scale);
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(template.image, 0, 0, canvas.width, canvas.height);
  template.panels.forEach((polygon, index) => {
    ctx.beginPath();
    for (const [i, [x, y]] of polygon.entries())
      if (i) ctx.lineTo(x * scale, y * scale);
      else ctx.moveTo(x * scale, y * scale);
    ctx.closePath();
    ctx.fillStyle =
      index === selectedPanel ? "rgba(245, 183, 0, 0.35)" : "rgba(30, 120, 255, 0.15)";
    ctx.fill();
    ctx.strokeStyle = index === selectedPanel ? "#f5b700" : "#1e78ff";
    ctx.lineWidth = 2;
    ctx.stroke();
    ctx.fillStyle = "#1e78ff";
    for (const [x, y] of polygon) ctx.fillRect(x * scale - 4, y * scale - 4, 8, 8);
    const cx = polygon.reduce((s, p) => s + p[0], 0) / polygon.length;
    const cy = polygon.reduce((s, p) => s + p[1], 0) / polygon.length;
    ctx.fillStyle = "#000";
    ctx.font = "bold 18px sans-serif";
    ctx.fillText(String(index + 1), cx * scale - 5, cy * scale + 6);
  });
  $("template-count").textContent = `${template.panels.length} panels`;
  $<HTMLButtonElement>("template-remove").disabled = selectedPanel < 0;
}

{
  const canvas = $<HTMLCanvasElement>("template-canvas");
  let drag:
    | { kind: "vertex"; panel: number; vertex: number }
    | { kind: "new"; start: Point }
    | null = null;
  let preview: Point[] | null = null;
  const imagePoint = (event: PointerEvent): Point => {
    const [x, y] = canvasPoint(canvas, event);
    const scale = templateScale();
    return [Math.round(x / scale), Math.round(y / scale)];
  };
  canvas.addEventListener("pointerdown", (event) => {
    if (!template) return;
    canvas.setPointerCapture(event.pointerId);
    const p = imagePoint(event);
    const reach = 8 / templateScale();
    for (const [panel, polygon] of template.panels.entries())
      for (const [vertex, q] of polygon.entries())
        if (Math.abs(q[0] - p[0]) <= reach && Math.abs(q[1] - p[1]) <= reach) {
          drag = { kind: "vertex", panel, vertex };
          return;
        }
    const hit = template.panels.findIndex((polygon) => polygonContains(polygon, p));
    if (hit >= 0) {
      selectedPanel = hit;
      drawTemplate();
      return;
    }
    selectedPanel = -1;
    drag = { kind: "new", start: p };
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!template || !drag) return;
    const p = imagePoint(event);
    if (drag.kind === "vertex") {
      const polygon = template.panels[drag.panel];
      if (polygon)
        polygon[drag.vertex] = [
          Math.max(0, Math.min(template.width, p[0])),
          Math.max(0, Math.min(template.height, p[1])),
        ];
      drawTemplate();
    } else {
      const r = pointsToRect(drag.start, p, 1, template.width, template.height);
      preview = [
        [r.x, r.y],
        [r.x + r.width, r.y],
        [r.x + r.width, r.y + r.height],
        [r.x, r.y + r.height],
      ];
      drawTemplate();
      const ctx = canvas.getContext("2d");
      const scale = templateScale();
      if (ctx) {
        ctx.setLineDash([6, 4]);
        ctx.strokeStyle = "#d00";
        ctx.strokeRect(r.x * scale, r.y * scale, r.width * scale, r.height * scale);
        ctx.setLineDash([]);
      }
    }
  });
  canvas.addEventListener("pointerup", () => {
    if (template && drag?.kind === "new" && preview) {
      const [a, , c] = preview as [Point, Point, Point, Point];
      if (c[0] - a[0] >= 10 && c[1] - a[1] >= 10) {
        template.panels.push(preview);
        selectedPanel = template.panels.length - 1;
      }
    }
    drag = null;
    preview = null;
    drawTemplate();
  });
}

function base64(bytes: ArrayBuffer): string {
  let text = "";
  const view = new Uint8Array(bytes);
  for (let i = 0; i < view.length; i += 0x8000)
    text += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(text);
}

$("template-save").addEventListener("click", async () => {
  if (!template) return;
  $("template-error").textContent = "";
  try {
    const saved = await api<TemplateEntry>("POST", "/api/templates", {
      name: field("template-name").value.trim(),
      image: base64(await template.file.arrayBuffer()),
      panels: template.panels,
    });
    $("template-status").textContent =
      `saved ${saved.image} and ${saved.name}.json (${saved.panels.length} panels)`;
    const state = await api<State>("GET", "/api/state");
    showTemplates(state.templates);
  } catch (error) {
    $("template-error").textContent = explain(error);
  }
});

loadState().catch((error) => showMessage(`The studio does not answer: ${explain(error)}`));
