#!/usr/bin/env node
// `thermal-comic`: compose a comic, detect a grid's panels. Thin: parses argv, calls the public
// API, writes files, prints. Exit codes: 0 ok, 2 bad usage or argument, 1 any other error.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import {
  type ComposeOptions,
  composeComic,
  type DitherMethod,
  decodeEscPos,
  describeStatus,
  dither,
  encodeEscPosJob,
  encodeGreyPng,
  escPosJobBytes,
  type GreyBitmap,
  isThermalComicError,
  type Layout,
  loadTemplate,
  type PanelScript,
  type PrinterProfile,
  queryPrinterStatus,
  readGreyImage,
  renderPaper,
  resolveProfile,
  type SendOptions,
  type SerialOptions,
  sendToPrinter,
} from "./index.js";
import { runStudioCommand, STUDIO_USAGE } from "./services/studio/command.js";
import { startVirtualPrinter } from "./virtual-printer.js";

const USAGE = `Usage: thermal-comic <command> [options]

Commands:
  compose         compose a comic page from a seed and an image pool; writes
                  <out>.png (hi-res), <out>.print.png (printer resolution, greyscale) and <out>.json (layout)
  detect          print the panels found in a hand-drawn grid image as template JSON
  print <image>   dither a picture and print it
  status          ask a printer's real-time status (DLE EOT): paper, cover, errors
  virtual-printer run a virtual ESC/POS printer on a TCP port; each job saved as PNG and .bin
  studio          a local web page: make and print comics, edit the pool's metadata, sketch templates

compose options:
  --seed <n|text>        seed of every random choice (default: random, printed)
  --width <dots>         page width in printer dots: 384 (58 mm), 576 (80 mm), … (default 576)
  --height <dots>        page height in dots (default: twice the width; a template keeps its aspect)
  --pool <dir>           image pool folder (default: the example pool shipped with the package)
  --out <path>           output path without extension (default: comic)
  --panels <n>           number of panels of a random layout (default: from the seed)
  --template <file>      grid image (.png/.jpg) or polygon file (.json/.yaml) instead of a random layout
  --layout <file>        a layout JSON written by an earlier run (same panels again)
  --script <file>        JSON or YAML list, one entry per panel: { caption, balloons: [text], tags }
  --scale <n>            hi-res dots per printer dot (default 2)
  --font <file>          TTF/OTF/WOFF/WOFF2 for captions and balloons (default: Comic Neue, shipped)
  --font-size <dots>     text size (default width ÷ 26)
  --gutter <dots>        space between panels; --margin <dots> around them; --slant <0..1> chance of slanted cuts
  --empty <ids>          panels to leave without a picture, e.g. 1,3
  --allow-reuse          repeat images when the pool is too small
  --skip-large-roi       leave out images whose region of interest fits no panel (default: error)
  --color                keep colour in the hi-res PNG
  -q, --quiet            no progress on stderr

  --print <printer>      also print the comic (printer as below)

print options (also for compose --print):
  --printer <target>     tcp://host:9100 | serial:/dev/ttyUSB0 | /dev/usb/lp0 | file:out.bin |
                         virtual (default virtual)
  --profile <name>       58mm, 80mm, 80mm-512, epson-tm-t20, adafruit-csn-a2, xprinter-58-clone,
                         column-58mm (default: 80mm, or 58mm when --width is 384)
  --dither <method>      threshold, bayer2, bayer4, bayer8, floyd-steinberg (default), atkinson, stucki, sierra
  --caption <text>       a text line under the picture
  --preview <file.png>   the paper exactly as the printer gets it (decoded from the bytes sent)
  --too-wide <scale|error>  a picture wider than the printer (default scale)
  --baud <n>             serial speed (default 9600); --flow <none|rtscts|xonxoff> (default none)
  --no-status            do not ask the printer's status (printers without DLE EOT support)
  --retries <n>          reconnects after a lost connection, resuming at the band the printer
                         did not confirm (default 5)
  --timeout <ms>         connecting, each chunk and each status answer (default 5000)

status options:
  thermal-comic status --printer <tcp://…|serial:…> [--baud <n>] [--flow …] [--timeout <ms>]
  prints the status as JSON; exits 0 when ready to print, 1 when not

virtual-printer options:
  --port <n> (default 9100), --host <addr> (default 127.0.0.1), --out <dir> (default .), --width <dots>
  --serial <path>        also be a printer on this serial device (e.g. one end of a socat pty pair)
  --paper-out, --cover-open  answer status queries as a printer that cannot print

${STUDIO_USAGE}

detect options:
  thermal-comic detect <grid.png> [--min-area <fraction>] [--close-gaps <px>]

  -h, --help             this help
  --version              the package version`;

class UsageError extends Error {}

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n))
    throw new UsageError(`--${name} must be a number, got "${value}"`);
  return n;
}

async function readStructured(path: string): Promise<unknown> {
  const text = await readFile(path, "utf8");
  return /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      seed: { type: "string" },
      width: { type: "string" },
      height: { type: "string" },
      pool: { type: "string" },
      out: { type: "string" },
      panels: { type: "string" },
      template: { type: "string" },
      layout: { type: "string" },
      script: { type: "string" },
      scale: { type: "string" },
      font: { type: "string" },
      "font-size": { type: "string" },
      gutter: { type: "string" },
      margin: { type: "string" },
      slant: { type: "string" },
      empty: { type: "string" },
      "allow-reuse": { type: "boolean" },
      "skip-large-roi": { type: "boolean" },
      color: { type: "boolean" },
      quiet: { type: "boolean", short: "q" },
      "min-area": { type: "string" },
      print: { type: "string" },
      printer: { type: "string" },
      profile: { type: "string" },
      dither: { type: "string" },
      caption: { type: "string" },
      preview: { type: "string" },
      "too-wide": { type: "string" },
      port: { type: "string" },
      baud: { type: "string" },
      flow: { type: "string" },
      "no-status": { type: "boolean" },
      retries: { type: "string" },
      timeout: { type: "string" },
      serial: { type: "string" },
      "paper-out": { type: "boolean" },
      "cover-open": { type: "boolean" },
      host: { type: "string" },
      "close-gaps": { type: "string" },
      templates: { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
    },
  });
  if (values.version) {
    const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));
    console.log(pkg.version);
    return 0;
  }
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const [command, ...rest] = positionals;
  if (command === "detect") {
    const file = rest[0];
    if (!file) throw new UsageError("detect needs a grid image: thermal-comic detect grid.png");
    const minArea = number("min-area", values["min-area"]);
    const closeGaps = number("close-gaps", values["close-gaps"]);
    const template = await loadTemplate(resolve(file), {
      ...(minArea !== undefined && { minAreaFraction: minArea }),
      ...(closeGaps !== undefined && { closeGaps }),
    });
    console.log(
      JSON.stringify(
        { width: template.width, height: template.height, panels: template.panels },
        null,
        2,
      ),
    );
    return 0;
  }
  if (command === "print") {
    const file = rest[0];
    if (!file)
      throw new UsageError("print needs a picture: thermal-comic print comic.png --printer …");
    const profile = resolveProfile(values.profile ?? "80mm");
    const tooWide = values["too-wide"] ?? "scale";
    if (tooWide !== "scale" && tooWide !== "error")
      throw new UsageError("--too-wide must be scale or error");
    const grey = await readGreyImage(resolve(file), { maxWidth: profile.widthDots, tooWide });
    await printBitmap(grey, values, profile);
    return 0;
  }
  if (command === "status") {
    const printer = values.printer;
    if (!printer)
      throw new UsageError(
        "status needs --printer tcp://host:9100 or --printer serial:/dev/ttyUSB0",
      );
    const timeoutMs = number("timeout", values.timeout);
    const serial = serialOptions(values);
    const status = await queryPrinterStatus({
      printer,
      ...(timeoutMs !== undefined && { timeoutMs }),
      ...(serial && { serial }),
    });
    console.log(JSON.stringify({ summary: describeStatus(status), ...status }, null, 2));
    return status.ready ? 0 : 1;
  }
  if (command === "virtual-printer") {
    const outDir = resolve(values.out ?? ".");
    await mkdir(outDir, { recursive: true });
    const port = number("port", values.port) ?? 9100;
    const baudRate = number("baud", values.baud);
    const vp = await startVirtualPrinter({
      port,
      ...(values.host && { host: values.host }),
      ...(values.serial && { serialPath: resolve(values.serial) }),
      ...(baudRate !== undefined && { baudRate }),
      state: { paperOut: values["paper-out"] ?? false, coverOpen: values["cover-open"] ?? false },
      width: number("width", values.width) ?? 576,
      logger: {
        debug() {},
        info: (m: unknown) => console.log(m),
        warn: (m: unknown) => console.error(m),
        error: (m: unknown) => console.error(m),
      },
      // Written under a temporary name, then renamed: a job file appears whole or not at all.
      onJob: (job) => {
        const save = async (name: string, data: Uint8Array) => {
          await writeFile(resolve(outDir, `.${name}.part`), data);
          await rename(resolve(outDir, `.${name}.part`), resolve(outDir, name));
        };
        const saved = Promise.all([
          save(`job-${job.id}.png`, job.png),
          save(`job-${job.id}.bin`, job.bytes),
        ]);
        saved.catch((error: Error) =>
          console.error(`virtual printer: cannot save job ${job.id}: ${error.message}`),
        );
      },
    });
    console.log(
      `virtual printer listening on ${vp.url}${values.serial ? ` and ${resolve(values.serial)}` : ""}; jobs go to ${outDir} (Ctrl-C stops)`,
    );
    await new Promise<void>((done) => {
      process.once("SIGINT", done);
      process.once("SIGTERM", done);
    });
    await vp.close();
    return 0;
  }
  if (command === "studio")
    return runStudioCommand({ ...values, port: number("port", values.port) ?? 0 });
  if (command !== "compose")
    throw new UsageError(
      `unknown command "${command}"; commands: compose, detect, print, status, virtual-printer, studio`,
    );
  if (rest.length)
    throw new UsageError(`compose takes no positional arguments, got ${rest.join(" ")}`);

  const seedText = values.seed ?? String(Math.floor(Math.random() * 2 ** 31));
  const seed = /^-?\d+$/.test(seedText) ? Number(seedText) : seedText;
  const width = number("width", values.width) ?? 576;
  const height = number("height", values.height);
  let layout: ComposeOptions["layout"];
  if (values.template && values.layout)
    throw new UsageError("give --template or --layout, not both");
  if (values.template) layout = await loadTemplate(resolve(values.template));
  if (values.layout) layout = (await readStructured(resolve(values.layout))) as Layout;
  const script = values.script
    ? ((await readStructured(resolve(values.script))) as PanelScript[])
    : undefined;
  if (script !== undefined && !Array.isArray(script))
    throw new UsageError(`--script ${values.script} must hold a list with one entry per panel`);
  const empty = values.empty?.split(",").map((id) => number("empty", id) as number);
  const quiet = values.quiet ?? false;
  const options: ComposeOptions = {
    seed,
    width,
    ...(height !== undefined && { height }),
    ...(layout && { layout }),
    ...(values.pool && { pool: resolve(values.pool) }),
    ...(values.font && { font: resolve(values.font) }),
    ...(script && { script }),
    ...(empty && { emptyPanels: empty }),
    allowReuse: values["allow-reuse"] ?? false,
    roiTooLarge: values["skip-large-roi"] ? "skip" : "error",
    color: values.color ?? false,
  };
  const numeric = {
    panels: number("panels", values.panels),
    scale: number("scale", values.scale),
    fontSize: number("font-size", values["font-size"]),
    gutter: number("gutter", values.gutter),
    margin: number("margin", values.margin),
    slantChance: number("slant", values.slant),
  };
  for (const [key, value] of Object.entries(numeric))
    if (value !== undefined) (options as unknown as Record<string, number>)[key] = value;
  if (!quiet)
    options.onProgress = (e) => process.stderr.write(`[${e.done + 1}/${e.total}] ${e.phase}\n`);

  const started = performance.now();
  const result = await composeComic(options);
  const out = resolve(values.out ?? "comic");
  await mkdir(dirname(out), { recursive: true });
  const printPng = encodeGreyPng(result.bitmap, { ppi: 203 });
  await writeFile(`${out}.png`, result.png);
  await writeFile(`${out}.print.png`, printPng);
  await writeFile(`${out}.json`, `${JSON.stringify(result.layout, null, 2)}\n`);
  const { layout: page } = result;
  console.log(
    `seed ${JSON.stringify(seed)}: ${page.panels.length} panels on ${page.width}×${page.height} dots in ${Math.round(performance.now() - started)} ms`,
  );
  for (const panel of page.panels)
    console.log(
      `  panel ${panel.id}: ${panel.image ? `${panel.image.name}${panel.image.rotation ? ` (turned ${panel.image.rotation}°)` : ""}` : "(empty)"}`,
    );
  console.log(
    `${out}.png  ${result.png.length} bytes (${Math.round(page.width * page.scale)}×${Math.round(page.height * page.scale)})`,
  );
  console.log(
    `${out}.print.png  ${printPng.length} bytes (${page.width}×${page.height}, printer resolution)`,
  );
  console.log(`${out}.json  layout`);
  if (values.print !== undefined)
    await printBitmap(
      result.bitmap,
      { ...values, printer: values.print },
      resolveProfile(values.profile ?? (width <= 384 ? "58mm" : "80mm")),
    );
  return 0;
}

function serialOptions(values: Record<string, unknown>): SerialOptions | undefined {
  const baudRate = number("baud", values.baud as string | undefined);
  const flow = values.flow as string | undefined;
  if (flow !== undefined && flow !== "none" && flow !== "rtscts" && flow !== "xonxoff")
    throw new UsageError(`--flow must be none, rtscts or xonxoff, got "${flow}"`);
  if (baudRate === undefined && flow === undefined) return undefined;
  return {
    ...(baudRate !== undefined && { baudRate }),
    ...(flow !== undefined && { flowControl: flow }),
  };
}

/** Dithers, encodes and sends a greyscale picture; writes the preview of what was sent. */
async function printBitmap(
  grey: GreyBitmap,
  values: Record<string, unknown>,
  profile: PrinterProfile,
): Promise<void> {
  const method = (values.dither as DitherMethod | undefined) ?? "floyd-steinberg";
  const job = encodeEscPosJob(dither(grey, { method }), {
    profile,
    ...(typeof values.caption === "string" && { caption: values.caption }),
  });
  const bytes = escPosJobBytes(job);
  const target = (values.printer as string | undefined) || "virtual";
  const vp =
    target === "virtual" ? await startVirtualPrinter({ port: 0, width: profile.widthDots }) : null;
  const printer = vp ? vp.url : target;
  const retries = number("retries", values.retries as string | undefined);
  const timeoutMs = number("timeout", values.timeout as string | undefined);
  const serial = serialOptions(values);
  try {
    const quiet = Boolean(values.quiet);
    const options: SendOptions = {
      printer,
      profile,
      pacing: target !== "virtual",
      ...(values["no-status"] === true && { checkStatus: false }),
      ...(retries !== undefined && { reconnect: retries > 0 ? { retries } : false }),
      ...(timeoutMs !== undefined && { timeoutMs }),
      ...(serial && { serial }),
      logger: {
        debug() {},
        info() {},
        warn: (m: unknown) => {
          if (!quiet) process.stderr.write(`\n${m}\n`);
        },
        error: (m: unknown) => {
          process.stderr.write(`${m}\n`);
        },
      },
      ...(!quiet && {
        onProgress: (e) =>
          process.stderr.write(
            `\r${e.phase} ${e.done}/${e.total} bytes${e.rowsTotal ? `, ${e.rowsDone}/${e.rowsTotal} rows confirmed` : ""}${e.phase === "done" ? "\n" : ""}`,
          ),
      }),
    };
    const result = await sendToPrinter(job, options);
    console.log(
      `printed ${grey.width}×${grey.height} dots (${profile.name}, ${method}): ${result.bytesSent} bytes to ${target}${result.attempts > 1 ? ` (resumed, ${result.attempts} connections)` : ""}`,
    );
  } finally {
    await vp?.close();
  }
  if (typeof values.preview === "string") {
    const png = renderPaper(decodeEscPos(bytes, { width: profile.widthDots }));
    await writeFile(resolve(values.preview), png);
    console.log(`${resolve(values.preview)}  ${png.length} bytes (preview of the paper)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      (error as { code?: string })?.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION"
    ) {
      console.error(
        `thermal-comic: ${(error as Error).message}\n\n${USAGE.split("\n")[0]}; see --help`,
      );
      process.exitCode = 2;
    } else if (isThermalComicError(error)) {
      console.error(`thermal-comic: ${error.code}: ${error.message}`);
      process.exitCode = error.code === "INVALID_ARGUMENT" ? 2 : 1;
    } else {
      console.error(`thermal-comic: ${(error as Error)?.message ?? error}`);
      process.exitCode = 1;
    }
  },
);
