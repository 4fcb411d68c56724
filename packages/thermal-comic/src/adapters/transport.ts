import { open } from "node:fs/promises";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { resolveProfile } from "../core/escpos.js";
import type { PrinterProfile } from "../core/profiles.js";
import { ThermalComicError } from "../errors.js";

/** Progress of {@link sendToPrinter}: bytes handed to the printer so far. */
export interface PrintProgressEvent {
  phase: "connect" | "send" | "done";
  done: number;
  total: number;
}

/** Options of {@link sendToPrinter}. */
export interface SendOptions {
  /**
   * Where to print: `tcp://host:port` (raw port 9100), `file:out.bin`, or a device path such as
   * `/dev/usb/lp0`.
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
   * @defaultValue true for TCP and devices, false for files
   */
  pacing?: boolean;
  /**
   * How long connecting may take, and how long one chunk may wait for the printer.
   * @defaultValue 5000
   */
  timeoutMs?: number;
  /**
   * Stops sending.
   * @defaultValue never aborted
   */
  signal?: AbortSignal;
  /**
   * Called after each chunk.
   * @defaultValue none
   */
  onProgress?: (event: PrintProgressEvent) => void;
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

/**
 * Sends ESC/POS bytes to a printer, in chunks of the profile's buffer size, paced to its speed.
 * Errors: PRINTER_UNREACHABLE (refused, unknown host, connect timeout), PRINT_INTERRUPTED (the
 * connection dropped or stalled mid-job; `bytesSent` says how far it got), ABORTED.
 */
export async function sendToPrinter(
  bytes: Uint8Array,
  options: SendOptions,
): Promise<{ bytesSent: number }> {
  const profile = resolveProfile(options.profile);
  const timeoutMs = options.timeoutMs ?? 5000;
  const { signal } = options;
  const total = bytes.length;
  const chunkSize = Math.max(64, profile.bufferBytes);
  const report = (phase: PrintProgressEvent["phase"], done: number) =>
    options.onProgress?.({ phase, done, total });
  const aborted = () =>
    new ThermalComicError("ABORTED", "printing was aborted", { cause: signal?.reason });
  if (signal?.aborted) throw aborted();

  const target = options.printer;
  if (target.startsWith("tcp://")) {
    const url = new URL(target);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const port = Number(url.port || 9100);
    report("connect", 0);
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new ThermalComicError(
            "PRINTER_UNREACHABLE",
            `no connection to ${target} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("error", (cause) => {
        clearTimeout(timer);
        reject(
          new ThermalComicError(
            "PRINTER_UNREACHABLE",
            `cannot reach the printer at ${target}: ${cause.message}`,
            { cause },
          ),
        );
      });
    });
    let sent = 0;
    let failure: Error | null = null;
    socket.on("error", (error) => {
      failure = error;
    });
    try {
      const pacing = options.pacing ?? true;
      while (sent < total) {
        if (signal?.aborted) throw aborted();
        if (failure || socket.destroyed) throw failure ?? new Error("connection closed");
        const chunk = bytes.subarray(sent, Math.min(total, sent + chunkSize));
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`the printer took no data for ${timeoutMs} ms`)),
            timeoutMs,
          );
          socket.write(chunk, (error) => {
            clearTimeout(timer);
            if (error) reject(error);
            else resolve();
          });
        });
        sent += chunk.length;
        report("send", sent);
        if (pacing && sent < total)
          await sleep((chunk.length / profile.bytesPerSecond) * 1000, signal);
      }
      // Half-close and wait for the printer to close: a reset now still means the job broke.
      const closed = new Promise<boolean>((resolve) => socket.once("close", resolve));
      socket.end();
      const hadError = await Promise.race([closed, sleep(timeoutMs, signal).then(() => false)]);
      socket.destroy();
      if (hadError || failure) throw failure ?? new Error("the printer reset the connection");
      report("done", sent);
      return { bytesSent: sent };
    } catch (error) {
      socket.destroy();
      if (error instanceof ThermalComicError) throw error;
      if (signal?.aborted) throw aborted();
      throw new ThermalComicError(
        "PRINT_INTERRUPTED",
        `the connection to ${target} broke after ${sent} of ${total} bytes: ${(error as Error).message}`,
        { cause: error, bytesSent: sent },
      );
    }
  }

  const path = target.startsWith("file:")
    ? target.startsWith("file://")
      ? fileURLToPath(target)
      : target.slice(5)
    : target;
  if (!path.startsWith("/") && !target.startsWith("file:"))
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `printer must be tcp://host:port, file:path or a device path such as /dev/usb/lp0, got "${target}"`,
    );
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "w");
  } catch (cause) {
    throw new ThermalComicError(
      "PRINTER_UNREACHABLE",
      `cannot open ${path}: ${(cause as Error).message} (for /dev/usb/lp0 the user needs the lp group)`,
      { cause, path },
    );
  }
  let sent = 0;
  try {
    const pacing = options.pacing ?? path.startsWith("/dev/");
    while (sent < total) {
      if (signal?.aborted) throw aborted();
      const chunk = bytes.subarray(sent, Math.min(total, sent + chunkSize));
      await handle.write(chunk);
      sent += chunk.length;
      report("send", sent);
      if (pacing && sent < total)
        await sleep((chunk.length / profile.bytesPerSecond) * 1000, signal);
    }
    report("done", sent);
    return { bytesSent: sent };
  } catch (error) {
    if (error instanceof ThermalComicError) throw error;
    if (signal?.aborted) throw aborted();
    throw new ThermalComicError(
      "PRINT_INTERRUPTED",
      `writing to ${path} failed after ${sent} of ${total} bytes: ${(error as Error).message}`,
      {
        cause: error,
        path,
        bytesSent: sent,
      },
    );
  } finally {
    await handle.close();
  }
}
