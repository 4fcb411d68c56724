import { createServer, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { renderPaper } from "../adapters/paper.js";
import { loadSerialPort } from "../adapters/transport-serial.js";
import { type DecodedPaper, decodeEscPos } from "../core/escpos-decode.js";
import { ThermalComicError } from "../errors.js";
import type { Logger } from "../logger.js";

/** One print job the virtual printer received: one connection's bytes (or one burst on a serial line). */
export interface VirtualPrintJob {
  /** 1-based job number. */
  id: number;
  /** The raw ESC/POS bytes. */
  bytes: Uint8Array;
  /** What a printer would have printed. */
  paper: DecodedPaper;
  /** The paper as a greyscale PNG. */
  png: Buffer;
  /** Whether the printer cut the connection on purpose (`dropConnections`). */
  dropped: boolean;
}

/**
 * What the virtual printer's sensors report to DLE EOT queries. Paper out, cover open and any
 * error take the printer offline, as on Epson printers.
 */
export interface VirtualPrinterState {
  /** The roll paper end sensor sees no paper. */
  paperOut: boolean;
  /** The roll paper near-end sensor sees little paper. */
  paperNearEnd: boolean;
  /** The cover is open. */
  coverOpen: boolean;
  /** The auto-cutter failed. */
  autocutterError: boolean;
  /** An error that needs a power cycle. */
  unrecoverableError: boolean;
  /** An error that clears by itself (head too hot). */
  autoRecoverableError: boolean;
}

/** Options of {@link startVirtualPrinter}. */
export interface VirtualPrinterOptions {
  /**
   * TCP port; 0 picks a free one; `null` serves no TCP port (with `serialPath`).
   * @defaultValue 9100, or null when `serialPath` is given
   */
  port?: number | null;
  /**
   * Address to listen on. Loopback by default: a raw print port has no authentication.
   * @defaultValue "127.0.0.1"
   */
  host?: string;
  /**
   * A serial device (or one end of a pseudo-terminal pair) to act as the printer on, opened with
   * the serialport package; the host prints to the other end.
   * @defaultValue none
   */
  serialPath?: string;
  /**
   * Baud rate of `serialPath` (pseudo-terminals ignore it).
   * @defaultValue 9600
   */
  baudRate?: number;
  /**
   * On a serial line or an attached stream (no connection to close), a pause this long ends a job.
   * @defaultValue 1000
   */
  jobIdleMs?: number;
  /**
   * Paper width in dots.
   * @defaultValue 576
   */
  width?: number;
  /**
   * The sensors' state at start (change it with `setState`).
   * @defaultValue paper present, cover closed, no error
   */
  state?: Partial<VirtualPrinterState>;
  /**
   * Fault injection: the i-th connection (0-based, counting every TCP connection and attached
   * stream) is cut once it has received `dropConnections[i]` bytes, as if the cable were pulled
   * there; bytes past that point are lost. `undefined` entries are not cut.
   * @defaultValue no faults
   */
  dropConnections?: Array<number | undefined>;
  /**
   * Called with each finished job.
   * @defaultValue none
   */
  onJob?: (job: VirtualPrintJob) => void;
  /**
   * Connections, jobs and refused requests.
   * @defaultValue silent
   */
  logger?: Logger;
}

/** A running virtual printer. */
export interface RunningVirtualPrinter {
  /** `tcp://host:port`, usable as a printer target, or `serial:<path>` without a TCP port. */
  url: string;
  /** The TCP port (0 without one). */
  port: number;
  /** Jobs received so far. */
  jobs: VirtualPrintJob[];
  /** The sensors' current state. */
  readonly state: Readonly<VirtualPrinterState>;
  /** Changes sensor states (open the cover, run out of paper); later DLE EOT answers follow. */
  setState(change: Partial<VirtualPrinterState>): void;
  /** Serves a byte stream (a serial port, a pipe) as one more connection to the printer. */
  attach(stream: Duplex, label?: string): void;
  /**
   * What was printed, job after job, as one strip of paper: a job resumed over several
   * connections comes out whole.
   * @param fromJob - the index in `jobs` to start at (0 = all)
   */
  roll(fromJob?: number): DecodedPaper;
  /** Stops listening and closes open connections and the serial port. */
  close(): Promise<void>;
}

// A web page can make a browser send an HTTP request to port 9100, and a real printer prints it.
// The virtual printer refuses connections that start like an HTTP request instead.
const HTTP_START = /^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE) /;

/**
 * The answer to DLE EOT n, from the Epson ESC/POS reference ("Transmit real-time status"):
 * every answer has bits 1 and 4 set (0x12); n 1 printer status (bit 3 offline), n 2 offline cause
 * (bit 2 cover open, bit 5 stopped by paper end, bit 6 error), n 3 error cause (bit 3
 * auto-cutter, bit 5 unrecoverable, bit 6 auto-recoverable), n 4 paper roll sensor (bits 2–3
 * near end, bits 5–6 paper end).
 */
function statusAnswer(n: number, s: VirtualPrinterState): number {
  const error = s.autocutterError || s.unrecoverableError || s.autoRecoverableError;
  const offline = s.paperOut || s.coverOpen || error;
  switch (n) {
    case 1:
      return 0x12 | (offline ? 0x08 : 0);
    case 2:
      return 0x12 | (s.coverOpen ? 0x04 : 0) | (s.paperOut ? 0x20 : 0) | (error ? 0x40 : 0);
    case 3:
      return (
        0x12 |
        (s.autocutterError ? 0x08 : 0) |
        (s.unrecoverableError ? 0x20 : 0) |
        (s.autoRecoverableError ? 0x40 : 0)
      );
    default:
      return 0x12 | (s.paperNearEnd ? 0x0c : 0) | (s.paperOut ? 0x60 : 0);
  }
}

/**
 * A virtual ESC/POS printer: a raw TCP print server (the "port 9100" / JetDirect protocol any
 * ESC/POS program can print to) and, with `serialPath`, a printer on a serial line. Each TCP
 * connection is a job (on a serial line a pause ends one); DLE EOT n real-time status queries
 * are answered the moment they arrive — also when the bytes 10 04 n occur inside picture data,
 * as real printers do — from the settable sensor state; when a job ends it is decoded and
 * rendered. A command cut off by a dropped connection is not printed.
 */
export async function startVirtualPrinter(
  options: VirtualPrinterOptions = {},
): Promise<RunningVirtualPrinter> {
  const width = options.width ?? 576;
  const idleMs = options.jobIdleMs ?? 1000;
  const jobs: VirtualPrintJob[] = [];
  const state: VirtualPrinterState = {
    paperOut: false,
    paperNearEnd: false,
    coverOpen: false,
    autocutterError: false,
    unrecoverableError: false,
    autoRecoverableError: false,
    ...options.state,
  };
  const streams = new Set<Duplex>();
  const closers: Array<() => Promise<void>> = [];
  let connections = 0;

  const finish = (chunks: Buffer[], dropped: boolean) => {
    if (chunks.length === 0) return;
    const bytes = new Uint8Array(Buffer.concat(chunks));
    const paper = decodeEscPos(bytes, { width });
    const job: VirtualPrintJob = {
      id: jobs.length + 1,
      bytes,
      paper,
      png: renderPaper(paper),
      dropped,
    };
    jobs.push(job);
    options.logger?.info(
      `virtual printer: job ${job.id}, ${bytes.length} bytes, ${paper.height} dots of paper${dropped ? " (connection dropped)" : ""}`,
    );
    if (paper.truncated)
      options.logger?.warn(
        `virtual printer: job ${job.id} ended inside a picture command at byte ${paper.truncated.offset}; not printed`,
      );
    if (paper.unknown.length)
      options.logger?.warn(
        `virtual printer: job ${job.id} skipped ${paper.unknown.length} unknown command(s)`,
      );
    options.onJob?.(job);
  };

  /** Serves one connection: `idle` ends jobs on a pause (streams without a close of their own). */
  const serve = (stream: Duplex, label: string, kind: "tcp" | "stream") => {
    const index = connections++;
    const dropAt = options.dropConnections?.[index];
    streams.add(stream);
    let chunks: Buffer[] = [];
    let received = 0;
    let refused = false;
    let dropped = false;
    // DLE EOT scanner: 0 idle, 1 after DLE, 2 after DLE EOT.
    let scan = 0;
    let idleTimer: NodeJS.Timeout | undefined;
    const endJob = () => {
      const done = chunks;
      chunks = [];
      finish(done, dropped);
    };
    stream.on("data", (data: Buffer) => {
      if (refused || dropped) return;
      let chunk = data;
      if (
        kind === "tcp" &&
        received === 0 &&
        HTTP_START.test(chunk.subarray(0, 8).toString("latin1"))
      ) {
        refused = true;
        options.logger?.warn(
          `virtual printer: refused an HTTP request from ${label} (cross-protocol printing)`,
        );
        stream.destroy();
        return;
      }
      if (dropAt !== undefined && received + chunk.length >= dropAt) {
        chunk = chunk.subarray(0, dropAt - received);
        dropped = true;
      }
      received += chunk.length;
      chunks.push(chunk);
      const answers: number[] = [];
      for (const b of chunk) {
        if (scan === 2) {
          if (b >= 1 && b <= 4) {
            answers.push(statusAnswer(b, state));
            scan = 0;
          } else scan = b === 0x10 ? 1 : 0;
        } else if (scan === 1) scan = b === 0x04 ? 2 : b === 0x10 ? 1 : 0;
        else scan = b === 0x10 ? 1 : 0;
      }
      if (dropped) {
        options.logger?.info(`virtual printer: cutting ${label} after ${received} bytes`);
        stream.destroy();
        return;
      }
      if (answers.length) stream.write(Buffer.from(answers));
      if (kind === "stream") {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(endJob, idleMs);
      }
    });
    stream.on("error", (error) =>
      options.logger?.debug(`virtual printer: ${label} error ${error.message}`),
    );
    stream.on("close", () => {
      streams.delete(stream);
      clearTimeout(idleTimer);
      if (!refused) endJob();
    });
  };

  let port = 0;
  let url = "";
  const host = options.host ?? "127.0.0.1";
  const wantTcp = options.port !== null && !(options.port === undefined && options.serialPath);
  if (wantTcp) {
    const server = createServer((socket: Socket) =>
      serve(socket, `${socket.remoteAddress}:${socket.remotePort}`, "tcp"),
    );
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 9100, host, () => resolve());
    });
    const address = server.address();
    port = typeof address === "object" && address ? address.port : 0;
    url = `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`;
    closers.push(() => new Promise<void>((done) => server.close(() => done())));
  }
  if (options.serialPath) {
    const path = options.serialPath;
    const SerialPort = await loadSerialPort(path);
    const serial = new SerialPort({ path, baudRate: options.baudRate ?? 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) =>
      serial.open((error) =>
        error
          ? reject(
              new ThermalComicError(
                "PRINTER_UNREACHABLE",
                `the virtual printer cannot open ${path}: ${error.message}`,
                { cause: error, path },
              ),
            )
          : resolve(),
      ),
    );
    serve(serial, path, "stream");
    if (!url) url = `serial:${path}`;
    closers.push(
      () => new Promise<void>((done) => (serial.isOpen ? serial.close(() => done()) : done())),
    );
  }
  if (!url)
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      "the virtual printer needs a TCP port or a serialPath",
    );

  return {
    url,
    port,
    jobs,
    get state() {
      return { ...state };
    },
    setState(change) {
      Object.assign(state, change);
    },
    attach(stream, label = "stream") {
      serve(stream, label, "stream");
    },
    roll: (fromJob = 0) =>
      stackPapers(
        jobs.slice(fromJob).map((j) => j.paper),
        width,
      ),
    async close() {
      for (const stream of streams) if (!("isOpen" in stream)) stream.destroy();
      for (const close of closers) await close();
    },
  };
}

/** Papers one after the other, as they come off one roll. */
function stackPapers(papers: DecodedPaper[], minWidth: number): DecodedPaper {
  const width = Math.max(minWidth, ...papers.map((p) => p.width));
  const height = papers.reduce((h, p) => h + p.height, 0);
  const dots = new Uint8Array(width * height);
  const out: DecodedPaper = {
    width,
    height,
    dots,
    texts: [],
    cuts: [],
    statusQueries: [],
    heat: [],
    unknown: [],
    truncated: null,
  };
  let top = 0;
  for (const p of papers) {
    for (let y = 0; y < p.height; y++)
      dots.set(p.dots.subarray(y * p.width, (y + 1) * p.width), (top + y) * width);
    out.texts.push(...p.texts.map((t) => ({ y: t.y + top, text: t.text })));
    out.cuts.push(...p.cuts.map((c) => c + top));
    out.statusQueries.push(...p.statusQueries);
    out.heat.push(...p.heat);
    out.unknown.push(...p.unknown);
    top += p.height;
  }
  return out;
}

/** Service-style start: `start({ port: 0 })` → `{ url, port, close() }`. */
export const start = startVirtualPrinter;
