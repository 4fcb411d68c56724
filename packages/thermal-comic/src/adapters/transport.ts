import { type EscPosJob, resolveProfile } from "../core/escpos.js";
import { describeStatus, type PrinterStatus, parseStatus } from "../core/escpos-status.js";
import type { PrinterProfile } from "../core/profiles.js";
import { ThermalComicError } from "../errors.js";
import type { Logger } from "../logger.js";
import {
  LinkBroken,
  openFileLink,
  openTcpLink,
  type PrinterLink,
  parseTarget,
  StatusChannel,
} from "./transport-link.js";
import { openSerialLink, type SerialOptions } from "./transport-serial.js";

export type { SerialOptions } from "./transport-serial.js";

/** Progress of {@link sendToPrinter}. */
export interface PrintProgressEvent {
  /**
   * `status` asking the printer's state, `connect` opening the link, `send` after each chunk,
   * `reconnect` waiting to reconnect after a lost connection, `done` the whole job arrived.
   */
  phase: "status" | "connect" | "send" | "reconnect" | "done";
  /** Bytes of the job sent so far (a re-sent set-up after a reconnect is not counted). */
  done: number;
  /** Bytes of the whole job. */
  total: number;
  /** Picture rows the printer confirmed (jobs from `encodeEscPosJob` with acknowledgement), else 0. */
  rowsDone: number;
  /** Picture rows of the job (0 for plain bytes). */
  rowsTotal: number;
  /** The connection attempt, 1 for the first. */
  attempt: number;
}

/** Reconnecting after a lost connection; see {@link SendOptions.reconnect}. */
export interface ReconnectOptions {
  /**
   * Reconnects allowed per job (after the first connection).
   * @defaultValue 5
   */
  retries?: number;
  /**
   * Wait before the first reconnect; it doubles each time.
   * @defaultValue 250
   */
  backoffMs?: number;
  /**
   * Longest wait between reconnects.
   * @defaultValue 4000
   */
  maxBackoffMs?: number;
}

/** Options of {@link sendToPrinter}. */
export interface SendOptions {
  /**
   * Where to print: `tcp://host:port` (raw port 9100), `serial:/dev/ttyUSB0` (or a /dev/tty…
   * path), `file:out.bin`, or a one-way device path such as `/dev/usb/lp0`.
   */
  printer: string;
  /**
   * The printer's profile: its buffer size and speed pace the sending.
   * @defaultValue "80mm"
   */
  profile?: string | PrinterProfile;
  /**
   * Wait between chunks so a printer without flow control never gets more than its buffer
   * (chunks of `bufferBytes`, at `bytesPerSecond`).
   * @defaultValue true for TCP, devices and serial lines without flow control; false for files
   */
  pacing?: boolean;
  /**
   * How long connecting may take, one chunk may wait for the printer, and a status answer may
   * take.
   * @defaultValue 5000
   */
  timeoutMs?: number;
  /**
   * Ask the printer's status (DLE EOT 1–4) before sending anything: paper out, cover open, an
   * error or offline is PRINTER_NOT_READY and nothing is printed; no answer is NO_STATUS (turn
   * this off for printers that do not answer DLE EOT).
   * @defaultValue true for TCP and serial, false for files and one-way devices
   */
  checkStatus?: boolean;
  /**
   * After each picture block of a job from `encodeEscPosJob` (after the whole of plain bytes),
   * ask DLE EOT 1 and wait for the answer: the printer then has the block, so after a lost
   * connection the job resumes at the next one, a connection that died unnoticed at the end is
   * reported, and a printer going offline mid-job (paper out) stops the job. Needs `checkStatus`.
   * @defaultValue the value of `checkStatus`
   */
  acknowledge?: boolean;
  /**
   * Reconnect after a lost connection, with exponential backoff, and resume an acknowledged job
   * at the first block the printer did not confirm, after re-sending the set-up (ESC @ …).
   * `false` reports PRINT_INTERRUPTED at once. Plain bytes and unacknowledged jobs are never
   * resumed: where to carry on would be a guess.
   * @defaultValue `{ retries: 5, backoffMs: 250, maxBackoffMs: 4000 }` for acknowledged jobs
   */
  reconnect?: ReconnectOptions | false;
  /**
   * Serial line settings (for `serial:` targets).
   * @defaultValue 9600 8N1, no flow control
   */
  serial?: SerialOptions;
  /**
   * Stops sending, also while waiting to reconnect.
   * @defaultValue never aborted
   */
  signal?: AbortSignal;
  /**
   * Called after each chunk and at each phase.
   * @defaultValue none
   */
  onProgress?: (event: PrintProgressEvent) => void;
  /**
   * Reconnects and status answers.
   * @defaultValue silent
   */
  logger?: Logger;
}

/** What {@link sendToPrinter} did. */
export interface SendResult {
  /** Bytes of the job that reached the printer (re-sent set-ups not counted). */
  bytesSent: number;
  /** Picture rows the printer confirmed (0 without acknowledgement). */
  rowsPrinted: number;
  /** Connections used: 1, plus one per reconnect. */
  attempts: number;
  /** The status read before printing, when `checkStatus` was on. */
  status?: PrinterStatus;
}

/** Options of {@link queryPrinterStatus}. */
export interface StatusOptions {
  /** A two-way printer target: `tcp://host:port` or `serial:/dev/ttyUSB0`. */
  printer: string;
  /**
   * How long connecting and each answer may take.
   * @defaultValue 5000
   */
  timeoutMs?: number;
  /**
   * Serial line settings (for `serial:` targets).
   * @defaultValue 9600 8N1, no flow control
   */
  serial?: SerialOptions;
  /**
   * Stops waiting.
   * @defaultValue never aborted
   */
  signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

async function openLink(
  printer: string,
  timeoutMs: number,
  serial: SerialOptions | undefined,
): Promise<PrinterLink> {
  const target = parseTarget(printer);
  if (target.kind === "tcp") return openTcpLink(target.host, target.port, timeoutMs);
  if (target.kind === "serial") return openSerialLink(target.path, serial ?? {}, timeoutMs);
  return openFileLink(target.path, timeoutMs);
}

/** Reads DLE EOT 1, 2, 3 and 4 on an open link. */
async function readStatus(channel: StatusChannel): Promise<PrinterStatus> {
  const printer = await channel.ask(1);
  const offline = await channel.ask(2);
  const error = await channel.ask(3);
  const paper = await channel.ask(4);
  return parseStatus([printer, offline, error, paper]);
}

const noStatus = (label: string, error: Error) =>
  error instanceof ThermalComicError
    ? error
    : new ThermalComicError(
        "NO_STATUS",
        `${label} did not answer a DLE EOT status query (${error.message}); if this printer has no status support, print with checkStatus: false (CLI --no-status)`,
        { cause: error },
      );

/**
 * Asks a printer's real-time status (DLE EOT 1, 2, 3, 4 — printer, offline cause, error cause,
 * paper roll sensor) over TCP or a serial line. NO_STATUS when it does not answer within
 * `timeoutMs`; PRINTER_UNREACHABLE when there is no connection.
 */
export async function queryPrinterStatus(options: StatusOptions): Promise<PrinterStatus> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const { signal } = options;
  if (signal?.aborted)
    throw new ThermalComicError("ABORTED", "the status query was aborted", {
      cause: signal.reason,
    });
  const link = await openLink(options.printer, timeoutMs, options.serial);
  if (!link.twoWay) {
    link.destroy();
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `${options.printer} is one-way; status needs tcp://… or serial:…`,
    );
  }
  const onAbort = () => link.destroy();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await readStatus(new StatusChannel(link, timeoutMs));
  } catch (error) {
    if (signal?.aborted)
      throw new ThermalComicError("ABORTED", "the status query was aborted", {
        cause: signal.reason,
      });
    throw noStatus(link.label, error as Error);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    link.destroy();
  }
}

function isJob(data: Uint8Array | EscPosJob): data is EscPosJob {
  return !(data instanceof Uint8Array);
}

/**
 * Sends ESC/POS bytes, or a job from `encodeEscPosJob`, to a printer: checks its status first
 * (TCP, serial), sends in chunks of the profile's buffer size paced to its speed, has the printer
 * confirm each picture block, and after a lost connection reconnects with backoff and resumes
 * at the first unconfirmed block after a re-init — no row printed twice, none left out.
 * Errors: PRINTER_UNREACHABLE (refused, unknown host, connect timeout), PRINTER_NOT_READY (paper
 * out, cover open, error — nothing sent, or `rowsPrinted` when it happened mid-job), NO_STATUS,
 * PRINT_INTERRUPTED (the connection dropped or stalled and could not be resumed; `bytesSent`,
 * `rowsPrinted`, `attempts` say how far it got), ABORTED.
 */
export async function sendToPrinter(
  data: Uint8Array | EscPosJob,
  options: SendOptions,
): Promise<SendResult> {
  const profile = resolveProfile(options.profile);
  const timeoutMs = options.timeoutMs ?? 5000;
  const { signal, logger } = options;
  const target = parseTarget(options.printer);
  const twoWay = target.kind !== "file";
  const checkStatus = options.checkStatus ?? twoWay;
  if (checkStatus && !twoWay)
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `${options.printer} is one-way: it cannot answer status queries (checkStatus needs tcp://… or serial:…)`,
    );
  const job = isJob(data) ? data : null;
  const acknowledge = options.acknowledge ?? checkStatus;
  if (acknowledge && !checkStatus)
    throw new ThermalComicError("INVALID_ARGUMENT", "acknowledge needs checkStatus");
  const reconnect =
    job && acknowledge && options.reconnect !== false
      ? {
          retries: options.reconnect?.retries ?? 5,
          backoffMs: options.reconnect?.backoffMs ?? 250,
          maxBackoffMs: options.reconnect?.maxBackoffMs ?? 4000,
        }
      : null;
  const pacing =
    options.pacing ??
    (target.kind === "tcp" ||
      (target.kind === "file" && target.device) ||
      (target.kind === "serial" && (options.serial?.flowControl ?? "none") === "none"));
  const preamble = job ? job.preamble : new Uint8Array(0);
  const blocks = job ? job.blocks : [{ bytes: data as Uint8Array, firstRow: 0, rows: 0 }];
  const trailer = job ? job.trailer : new Uint8Array(0);
  const total = preamble.length + blocks.reduce((n, b) => n + b.bytes.length, 0) + trailer.length;
  const rowsTotal = job ? job.height : 0;
  const chunkSize = Math.max(64, profile.bufferBytes);

  let attempt = 0;
  let next = 0; // the first block the printer has not confirmed; blocks.length = the trailer
  let done = 0; // job bytes sent, counting confirmed blocks and the current one
  let confirmedBytes = 0; // job bytes the printer confirmed (or all sent, without acknowledgement)
  let rowsDone = 0;
  let status: PrinterStatus | undefined;
  const report = (phase: PrintProgressEvent["phase"]) =>
    options.onProgress?.({ phase, done, total, rowsDone, rowsTotal, attempt });
  const aborted = () =>
    new ThermalComicError("ABORTED", "printing was aborted", { cause: signal?.reason });
  if (signal?.aborted) throw aborted();

  for (;;) {
    attempt++;
    report("connect");
    let link: PrinterLink;
    try {
      link = await openLink(options.printer, timeoutMs, options.serial);
    } catch (error) {
      if (attempt === 1 || !reconnect || attempt > reconnect.retries) {
        if (attempt === 1) throw error;
        throw interrupted(error as Error);
      }
      await backoff(error as Error);
      continue;
    }
    const onAbort = () => link.destroy();
    signal?.addEventListener("abort", onAbort, { once: true });
    const channel = checkStatus ? new StatusChannel(link, timeoutMs) : null;
    const send = async (bytes: Uint8Array, counts: boolean) => {
      for (let at = 0; at < bytes.length; at += chunkSize) {
        if (signal?.aborted) throw aborted();
        const chunk = bytes.subarray(at, Math.min(bytes.length, at + chunkSize));
        channel?.sent(chunk);
        await link.write(chunk);
        if (counts) {
          done += chunk.length;
          report("send");
        }
        if (pacing) await sleep((chunk.length / profile.bytesPerSecond) * 1000, signal);
      }
    };
    try {
      if (channel) {
        report("status");
        try {
          status = await readStatus(channel);
        } catch (error) {
          // On a reconnect a silent printer is one more lost connection; at first, a missing feature.
          if (attempt === 1 || !(error instanceof LinkBroken))
            throw noStatus(link.label, error as Error);
          throw error;
        }
        logger?.debug(`printer ${link.label}: ${describeStatus(status)}`);
        if (!status.ready)
          throw new ThermalComicError(
            "PRINTER_NOT_READY",
            `the printer at ${link.label} cannot print: ${describeStatus(status)}${rowsDone ? ` (${rowsDone} of ${rowsTotal} rows printed)` : "; nothing was sent"}`,
            { status, rowsPrinted: rowsDone, path: link.label },
          );
      }
      // After a reconnect the printer starts afresh: set it up again (not counted as progress).
      await send(preamble, attempt === 1);
      if (attempt === 1) confirmedBytes = done;
      for (; next <= blocks.length; next++) {
        const block = next < blocks.length ? blocks[next] : null;
        if (!block && trailer.length === 0) break;
        done = confirmedBytes;
        await send(block ? block.bytes : trailer, true);
        if (acknowledge && channel) {
          const answer = await channel.ask(1);
          if (answer & 0x08) {
            const now = await readStatus(channel);
            throw new ThermalComicError(
              "PRINTER_NOT_READY",
              `the printer at ${link.label} went offline mid-job: ${describeStatus(now)} (${rowsDone} of ${rowsTotal} rows printed; the job can be printed again from the start)`,
              { status: now, rowsPrinted: rowsDone, path: link.label },
            );
          }
        }
        confirmedBytes = done;
        if (block) rowsDone = block.firstRow + block.rows;
        if (acknowledge) report("send");
      }
      await link.finish();
      if (!acknowledge && job) rowsDone = job.height;
      report("done");
      return {
        bytesSent: done,
        rowsPrinted: rowsDone,
        attempts: attempt,
        ...(status && { status }),
      };
    } catch (error) {
      link.destroy();
      if (signal?.aborted) throw aborted();
      if (error instanceof ThermalComicError) throw error;
      if (!reconnect || attempt > reconnect.retries) throw interrupted(error as Error);
      await backoff(error as Error);
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  function interrupted(error: Error): ThermalComicError {
    const sent = acknowledge ? confirmedBytes : done;
    return new ThermalComicError(
      "PRINT_INTERRUPTED",
      `the connection to ${options.printer} broke after ${sent} of ${total} bytes${rowsTotal ? ` (${rowsDone} of ${rowsTotal} rows confirmed)` : ""}${attempt > 1 ? `, ${attempt} connections tried` : ""}: ${error.message}`,
      {
        cause: error,
        bytesSent: sent,
        rowsPrinted: rowsDone,
        attempts: attempt,
        ...(target.kind !== "tcp" && { path: target.path }),
      },
    );
  }

  async function backoff(error: Error): Promise<void> {
    const settings = reconnect as NonNullable<typeof reconnect>;
    const wait = Math.min(settings.maxBackoffMs, settings.backoffMs * 2 ** (attempt - 1));
    logger?.warn(
      `printer ${options.printer}: ${error.message}; reconnecting in ${wait} ms (attempt ${attempt + 1} of ${settings.retries + 1}), resuming at row ${rowsDone}`,
    );
    done = confirmedBytes;
    report("reconnect");
    try {
      await sleep(wait, signal);
    } catch {
      throw aborted();
    }
  }
}
