import { ThermalComicError } from "../errors.js";
import { BreakSignal, guard, LinkBroken, type PrinterLink } from "./transport-link.js";

/** Serial line settings of a printer (set on the printer with its DIP switches or utility). */
export interface SerialOptions {
  /**
   * Bits per second. ESC/POS printers ship at 9600 (most clones), 19200 (Adafruit/CSN-A2) or
   * 38400/115200 (Epson TM); the self-test page prints the setting.
   * @defaultValue 9600
   */
  baudRate?: number;
  /**
   * Data bits.
   * @defaultValue 8
   */
  dataBits?: 5 | 6 | 7 | 8;
  /**
   * Stop bits.
   * @defaultValue 1
   */
  stopBits?: 1 | 1.5 | 2;
  /**
   * Parity.
   * @defaultValue "none"
   */
  parity?: "none" | "even" | "odd";
  /**
   * Flow control: `"rtscts"` (hardware handshake; on Epson's DB-9/DB-25 the printer's DTR/BUSY
   * line wired to the host's CTS), `"xonxoff"` (the printer sends XOFF when its buffer fills), or
   * `"none"` — then pacing to the profile's speed keeps the buffer from overflowing.
   * With flow control, pacing is off unless asked for.
   * @defaultValue "none"
   */
  flowControl?: "none" | "rtscts" | "xonxoff";
}

/** The `serialport` package's `SerialPort`; `PRINTER_UNREACHABLE` (with `path`) when it cannot load. */
export async function loadSerialPort(
  path: string,
): Promise<typeof import("serialport").SerialPort> {
  try {
    return (await import("serialport")).SerialPort;
  } catch (cause) {
    throw new ThermalComicError(
      "PRINTER_UNREACHABLE",
      `the serialport package could not be loaded: ${(cause as Error).message}`,
      { cause, path },
    );
  }
}

/**
 * Opens a serial printer with the serialport package (loaded only here, so the rest of the
 * package needs no native binding). Never lists ports: `SerialPort.list()` scans the machine
 * and crashes where udevadm is missing.
 */
export async function openSerialLink(
  path: string,
  options: SerialOptions,
  timeoutMs: number,
): Promise<PrinterLink> {
  const SerialPort = await loadSerialPort(path);
  const flow = options.flowControl ?? "none";
  const port = new SerialPort({
    path,
    baudRate: options.baudRate ?? 9600,
    dataBits: options.dataBits ?? 8,
    stopBits: options.stopBits ?? 1,
    parity: options.parity ?? "none",
    rtscts: flow === "rtscts",
    xon: flow === "xonxoff",
    xoff: flow === "xonxoff",
    autoOpen: false,
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new ThermalComicError(
            "PRINTER_UNREACHABLE",
            `opening ${path} took longer than ${timeoutMs} ms`,
            {
              path,
            },
          ),
        ),
      timeoutMs,
    );
    port.open((error) => {
      clearTimeout(timer);
      if (error)
        reject(
          new ThermalComicError(
            "PRINTER_UNREACHABLE",
            `cannot open ${path}: ${error.message} (serial devices belong to the dialout group: sudo usermod -aG dialout $USER)`,
            { cause: error, path },
          ),
        );
      else resolve();
    });
  });
  const broken = new BreakSignal();
  let closing = false;
  const listeners: Array<(bytes: Uint8Array) => void> = [];
  port.on("data", (data: Buffer) => {
    for (const l of listeners) l(data);
  });
  port.on("error", (error: Error) =>
    broken.fire(new LinkBroken(`${path}: ${error.message}`, { cause: error })),
  );
  // A USB-serial adapter unplugged: the port closes with a disconnection error.
  port.on("close", (error?: Error) => {
    if (!closing) broken.fire(new LinkBroken(`${path} closed${error ? `: ${error.message}` : ""}`));
  });
  const close = () =>
    new Promise<void>((resolve) => {
      closing = true;
      if (port.isOpen) port.close(() => resolve());
      else resolve();
    });
  return {
    label: path,
    twoWay: true,
    write: (bytes) =>
      guard(
        new Promise<void>((resolve, reject) => {
          if (!port.isOpen) reject(new LinkBroken(`${path} is closed`));
          else
            port.write(Buffer.from(bytes), (error) => {
              if (error) reject(error);
              else port.drain((e) => (e ? reject(e) : resolve()));
            });
        }),
        broken,
        timeoutMs,
        `sending ${bytes.length} bytes to ${path}`,
      ),
    async finish() {
      if (broken.error) throw broken.error;
      await close();
    },
    destroy: () => void close(),
    onData: (listener) => listeners.push(listener),
    onBreak: (listener) => broken.on(listener),
  };
}
