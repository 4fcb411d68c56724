import { connect, type Socket } from "node:net";
import { PolargraphError } from "../errors.js";

/**
 * A byte pipe to a plotter controller. Text received before the first `onData` listener is kept
 * and handed to it, so a controller's greeting is never lost.
 */
export interface PlotterTransport {
  /** Writes text; resolves once it is handed to the OS. */
  write(data: string): Promise<void>;
  /** Listens for received text; returns an unsubscribe function. */
  onData(listener: (chunk: string) => void): () => void;
  /** Listens for the pipe closing (with the error, if any); returns an unsubscribe function. */
  onClose(listener: (error?: Error) => void): () => void;
  /** Closes the pipe. */
  close(): Promise<void>;
  /** True once closed. */
  readonly closed: boolean;
}

/** Shared plumbing: buffers early data, fans out events. */
class Pipe {
  private readonly dataListeners = new Set<(chunk: string) => void>();
  private readonly closeListeners = new Set<(error?: Error) => void>();
  private early: string[] = [];
  closed = false;

  data(chunk: string): void {
    if (this.dataListeners.size === 0) this.early.push(chunk);
    else for (const l of this.dataListeners) l(chunk);
  }

  end(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.closeListeners) l(error);
  }

  onData(listener: (chunk: string) => void): () => void {
    this.dataListeners.add(listener);
    if (this.early.length) {
      const early = this.early;
      this.early = [];
      for (const chunk of early) listener(chunk);
    }
    return () => this.dataListeners.delete(listener);
  }

  onClose(listener: (error?: Error) => void): () => void {
    this.closeListeners.add(listener);
    if (this.closed) queueMicrotask(() => listener());
    return () => this.closeListeners.delete(listener);
  }
}

/** Options of {@link openTcpTransport}. */
export interface TcpTransportOptions {
  /** Host name or address. @defaultValue "127.0.0.1" */
  host?: string;
  /** TCP port (e.g. of an ESP8266/ESP32 serial bridge or the simulated plotter). */
  port: number;
  /** Gives up connecting after this long, ms. @defaultValue 10000 */
  timeoutMs?: number;
  /** Cancels connecting. */
  signal?: AbortSignal;
}

/** Opens a TCP connection to a plotter (a serial-to-TCP bridge or the simulator). */
export function openTcpTransport(options: TcpTransportOptions): Promise<PlotterTransport> {
  const host = options.host ?? "127.0.0.1";
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(
        new PolargraphError("ABORTED", "connecting was aborted", { cause: options.signal.reason }),
      );
      return;
    }
    const socket: Socket = connect({ host, port: options.port });
    socket.setEncoding("latin1");
    socket.setNoDelay(true);
    const pipe = new Pipe();
    const fail = (error: Error) => {
      cleanup();
      socket.destroy();
      reject(
        new PolargraphError(
          "TRANSPORT_ERROR",
          `cannot connect to ${host}:${options.port}: ${error.message}`,
          { cause: error },
        ),
      );
    };
    const timer = setTimeout(
      () => fail(new Error(`no connection after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onAbort = () => {
      cleanup();
      socket.destroy();
      reject(
        new PolargraphError("ABORTED", "connecting was aborted", { cause: options.signal?.reason }),
      );
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      socket.off("error", fail);
    };
    socket.once("error", fail);
    socket.once("connect", () => {
      cleanup();
      let lastError: Error | undefined;
      socket.on("data", (chunk: string) => pipe.data(chunk));
      socket.on("error", (error) => {
        lastError = error;
      });
      socket.on("close", () =>
        pipe.end(lastError ?? new Error("connection closed by the plotter")),
      );
      resolve({
        write: (data) =>
          new Promise<void>((res, rej) => {
            if (pipe.closed) {
              rej(new PolargraphError("DISCONNECTED", "the connection is closed"));
              return;
            }
            socket.write(data, "latin1", (error) =>
              error
                ? rej(
                    new PolargraphError("TRANSPORT_ERROR", `write failed: ${error.message}`, {
                      cause: error,
                    }),
                  )
                : res(),
            );
          }),
        onData: (l) => pipe.onData(l),
        onClose: (l) => pipe.onClose(l),
        close: () =>
          new Promise<void>((res) => {
            if (pipe.closed || socket.destroyed) {
              pipe.end();
              res();
              return;
            }
            socket.once("close", () => res());
            socket.end();
            setTimeout(() => socket.destroy(), 500).unref();
          }),
        get closed() {
          return pipe.closed;
        },
      });
    });
  });
}

/** Options of {@link openSerialTransport}. */
export interface SerialTransportOptions {
  /** Device path, e.g. /dev/ttyUSB0 or a pseudo-terminal. */
  path: string;
  /** Baud rate: 57600 for polargraph_server_a1, 115200 for GRBL and Marlin. @defaultValue 115200 */
  baudRate?: number;
  /** Cancels opening. */
  signal?: AbortSignal;
}

/**
 * Opens a serial port with the serialport package (loaded only when called, so the rest of the
 * package needs no native binding).
 */
export async function openSerialTransport(
  options: SerialTransportOptions,
): Promise<PlotterTransport> {
  if (options.signal?.aborted)
    throw new PolargraphError("ABORTED", "opening was aborted", { cause: options.signal.reason });
  let SerialPort: typeof import("serialport").SerialPort;
  try {
    ({ SerialPort } = await import("serialport"));
  } catch (cause) {
    throw new PolargraphError(
      "TRANSPORT_ERROR",
      `the serialport package could not be loaded: ${(cause as Error).message}`,
      { cause },
    );
  }
  const port = new SerialPort({
    path: options.path,
    baudRate: options.baudRate ?? 115200,
    autoOpen: false,
  });
  await new Promise<void>((resolve, reject) =>
    port.open((error) =>
      error
        ? reject(
            new PolargraphError(
              "TRANSPORT_ERROR",
              `cannot open ${options.path}: ${error.message}`,
              { cause: error },
            ),
          )
        : resolve(),
    ),
  );
  const pipe = new Pipe();
  let lastError: Error | undefined;
  port.on("data", (chunk: Buffer) => pipe.data(chunk.toString("latin1")));
  port.on("error", (error: Error) => {
    lastError = error;
  });
  port.on("close", (error?: Error) =>
    pipe.end(error ?? lastError ?? new Error(`${options.path} closed`)),
  );
  return {
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        if (pipe.closed) {
          reject(new PolargraphError("DISCONNECTED", `${options.path} is closed`));
          return;
        }
        port.write(Buffer.from(data, "latin1"), (error) => {
          if (error)
            reject(
              new PolargraphError(
                "TRANSPORT_ERROR",
                `write to ${options.path} failed: ${error.message}`,
                { cause: error },
              ),
            );
          else port.drain(() => resolve());
        });
      }),
    onData: (l) => pipe.onData(l),
    onClose: (l) => pipe.onClose(l),
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) {
          pipe.end();
          resolve();
          return;
        }
        port.close(() => {
          pipe.end();
          resolve();
        });
      }),
    get closed() {
      return pipe.closed;
    },
  };
}
