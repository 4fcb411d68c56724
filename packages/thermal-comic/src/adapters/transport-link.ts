import { open } from "node:fs/promises";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import {
  countStatusSequences,
  isStatusByte,
  type StatusKind,
  statusQuery,
} from "../core/escpos-status.js";
import { ThermalComicError } from "../errors.js";

/** The connection broke or stalled: the sender may reconnect and resume. */
export class LinkBroken extends Error {
  override readonly name = "LinkBroken";
}

/** A two-way (TCP, serial) or one-way (file, device) byte link to a printer. */
export interface PrinterLink {
  /** What the link goes to, for messages. */
  readonly label: string;
  /** Whether the printer can answer (status queries need it). */
  readonly twoWay: boolean;
  /** Hands bytes on; resolves when they left (drained); rejects with LinkBroken. */
  write(bytes: Uint8Array): Promise<void>;
  /** Ends the job cleanly (TCP half-close and wait, serial drain, file close). */
  finish(): Promise<void>;
  /** Drops the link at once. */
  destroy(): void;
  /** Called with bytes from the printer (two-way links). */
  onData(listener: (bytes: Uint8Array) => void): void;
  /** Called once when the link breaks. */
  onBreak(listener: (error: Error) => void): void;
}

/** Where a printer target string points. */
export type ParsedTarget =
  | { kind: "tcp"; host: string; port: number }
  | { kind: "serial"; path: string }
  | { kind: "file"; path: string; device: boolean };

/**
 * Parses a printer target: `tcp://host:port` (port 9100 by default), `serial:/dev/ttyUSB0` (or a
 * device path under /dev/tty…, /dev/serial/…, /dev/rfcomm…, /dev/pts/…), `file:out.bin`, or another device
 * path such as /dev/usb/lp0.
 */
export function parseTarget(target: string): ParsedTarget {
  if (target.startsWith("tcp://")) {
    let url: URL;
    try {
      url = new URL(target);
    } catch (cause) {
      throw new ThermalComicError("INVALID_ARGUMENT", `not a tcp:// address: "${target}"`, {
        cause,
      });
    }
    return {
      kind: "tcp",
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(url.port || 9100),
    };
  }
  if (target.startsWith("serial:")) return { kind: "serial", path: target.slice(7) };
  if (/^\/dev\/(tty|rfcomm|pts\/|cu\.|serial\/)/.test(target))
    return { kind: "serial", path: target };
  if (target.startsWith("file:"))
    return {
      kind: "file",
      path: target.startsWith("file://") ? fileURLToPath(target) : target.slice(5),
      device: false,
    };
  if (target.startsWith("/"))
    return { kind: "file", path: target, device: target.startsWith("/dev/") };
  throw new ThermalComicError(
    "INVALID_ARGUMENT",
    `printer must be tcp://host:port, serial:/dev/ttyUSB0, file:path or a device path such as /dev/usb/lp0, got "${target}"`,
  );
}

/** Shared break handling: the first error wins, listeners hear it once. */
export class BreakSignal {
  error: Error | null = null;
  private listeners: Array<(error: Error) => void> = [];
  fire(error: Error): void {
    if (this.error) return;
    this.error = error;
    for (const l of this.listeners.splice(0)) l(error);
  }
  on(listener: (error: Error) => void): void {
    if (this.error) listener(this.error);
    else this.listeners.push(listener);
  }
}

/** Races a promise against the link breaking and a timeout. */
export function guard<T>(
  work: Promise<T>,
  broken: BreakSignal,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new LinkBroken(`${what} took longer than ${timeoutMs} ms`)),
      timeoutMs,
    );
    broken.on((error) => {
      clearTimeout(timer);
      reject(error instanceof LinkBroken ? error : new LinkBroken(error.message, { cause: error }));
    });
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(
          error instanceof LinkBroken || error instanceof ThermalComicError
            ? error
            : new LinkBroken((error as Error).message, { cause: error }),
        );
      },
    );
  });
}

/** Opens a raw TCP connection (port 9100 printing). */
export async function openTcpLink(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<PrinterLink> {
  const label = `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const socket = connect({ host, port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new ThermalComicError(
          "PRINTER_UNREACHABLE",
          `no connection to ${label} within ${timeoutMs} ms`,
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
          `cannot reach the printer at ${label}: ${cause.message}`,
          { cause },
        ),
      );
    });
  });
  const broken = new BreakSignal();
  let finishing = false;
  // Always read: a socket whose answers nobody reads never sees the printer's close.
  const listeners: Array<(bytes: Uint8Array) => void> = [];
  socket.on("data", (data: Buffer) => {
    for (const l of listeners) l(data);
  });
  socket.on("error", (error) =>
    broken.fire(new LinkBroken(`${label}: ${error.message}`, { cause: error })),
  );
  socket.on("close", () => {
    if (!finishing) broken.fire(new LinkBroken(`${label} closed the connection`));
  });
  return {
    label,
    twoWay: true,
    write: (bytes) =>
      guard(
        new Promise<void>((resolve, reject) => {
          if (socket.destroyed) reject(new LinkBroken(`${label} is closed`));
          else socket.write(bytes, (error) => (error ? reject(error) : resolve()));
        }),
        broken,
        timeoutMs,
        `handing ${bytes.length} bytes to ${label}`,
      ),
    async finish() {
      if (broken.error) throw broken.error;
      // Half-close and wait for the printer to close: a reset now still means the job broke.
      finishing = true;
      const closed = new Promise<boolean>((resolve) => socket.once("close", resolve));
      socket.end();
      const hadError = await Promise.race([
        closed,
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref()),
      ]);
      socket.destroy();
      if (hadError || broken.error)
        throw broken.error ?? new LinkBroken(`${label} reset the connection at the end of the job`);
    },
    destroy: () => {
      finishing = true;
      socket.destroy();
    },
    onData: (listener) => listeners.push(listener),
    onBreak: (listener) => broken.on(listener),
  };
}

/** Opens a file or a one-way device (/dev/usb/lp0) for writing. */
export async function openFileLink(path: string, timeoutMs: number): Promise<PrinterLink> {
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
  const broken = new BreakSignal();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    label: path,
    twoWay: false,
    write: (bytes) =>
      guard(
        handle.write(bytes).then(() => undefined),
        broken,
        timeoutMs,
        `writing ${bytes.length} bytes to ${path}`,
      ),
    finish: close,
    destroy: () => void close().catch(() => {}),
    onData() {},
    onBreak: (listener) => broken.on(listener),
  };
}

/**
 * Asks DLE EOT questions on a two-way link and waits for their answers. Printers answer every
 * 10 04 n (1 ≤ n ≤ 4) they receive, also inside picture data, so every byte sent must go
 * through `sent()`: the count of answers to expect includes those.
 */
export class StatusChannel {
  private expected = 0;
  private carry = 0;
  private answers: number[] = [];
  private waiters: Array<() => void> = [];
  private readonly broken = new BreakSignal();

  constructor(
    private readonly link: PrinterLink,
    private readonly timeoutMs: number,
  ) {
    link.onBreak((error) => this.broken.fire(error));
    link.onData((bytes) => {
      for (const b of bytes) this.answers.push(b);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Counts the answers the printer will give to bytes about to be sent. */
  sent(bytes: Uint8Array): void {
    const { count, carry } = countStatusSequences(bytes, this.carry);
    this.expected += count;
    this.carry = carry;
  }

  /** Sends DLE EOT n and resolves with the printer's answer byte. */
  async ask(kind: StatusKind): Promise<number> {
    const query = statusQuery(kind);
    this.sent(query);
    const want = this.expected;
    await this.link.write(query);
    await guard(
      new Promise<void>((resolve) => {
        const check = () => {
          if (this.answers.length >= want) resolve();
          else this.waiters.push(check);
        };
        check();
      }),
      this.broken,
      this.timeoutMs,
      `waiting for the answer to DLE EOT ${kind} from ${this.link.label}`,
    );
    const answer = this.answers[want - 1] as number;
    if (!isStatusByte(answer))
      throw new ThermalComicError(
        "NO_STATUS",
        `${this.link.label} answered DLE EOT ${kind} with 0x${answer.toString(16).padStart(2, "0")}, which is no status byte (bits 0, 1, 4, 7 must read 0, 1, 1, 0)`,
      );
    return answer;
  }
}
