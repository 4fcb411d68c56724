/**
 * `@tinkerbox/polargraph/simulator`: a simulated plotter (the controller emulator behind a
 * pseudo-terminal or a TCP port) to stream to without hardware.
 *
 * @module simulator
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PolargraphError } from "../errors.js";
import { type EmulatorOptions, PlotterEmulator } from "./emulator.js";

export { CONTROLLER_LIMITS, type EmulatorOptions, PlotterEmulator } from "./emulator.js";

/** Options of {@link startSimulatedPlotter}. */
export interface SimulatedPlotterOptions extends EmulatorOptions {
  /** TCP port; 0 picks a free one. Ignored for a pseudo-terminal. @defaultValue 0 */
  port?: number;
  /** Serve over TCP on loopback, or over a socat pseudo-terminal pair. @defaultValue "tcp" */
  over?: "tcp" | "pty";
  /** Host to bind for TCP. @defaultValue "127.0.0.1" */
  host?: string;
}

/** A running simulated plotter. */
export interface SimulatedPlotter {
  /** `tcp://host:port` or the pseudo-terminal path. */
  url: string;
  /** TCP port (0 for a pseudo-terminal). */
  port: number;
  /** Pseudo-terminal path the host opens (only with `over: "pty"`). */
  path?: string;
  /** The emulator of the current (or last) connection. */
  readonly emulator: PlotterEmulator | undefined;
  /** Every command run, across connections. */
  readonly commands: string[];
  /** Every protocol failure (overflows), across connections. */
  readonly failures: string[];
  close(): Promise<void>;
}

/**
 * Starts a simulated plotter controller (polargraph_server, GRBL or Marlin) that enforces its
 * controller's receive buffer and protocol and fails on overflow; over TCP on loopback, or over
 * a socat pseudo-terminal pair for serial tests.
 */
export async function startSimulatedPlotter(
  options: SimulatedPlotterOptions,
): Promise<SimulatedPlotter> {
  const commands: string[] = [];
  const failures: string[] = [];
  let emulator: PlotterEmulator | undefined;
  const attach = (send: (t: string) => void, drop: () => void) => {
    const emu = new PlotterEmulator(options, {
      send,
      disconnect: () => {
        if (emu.failure) failures.push(emu.failure);
        drop();
      },
      onCommand: (command) => commands.push(command),
    });
    emulator = emu;
    return emu;
  };
  if ((options.over ?? "tcp") === "tcp") {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.setEncoding("latin1");
      socket.setNoDelay(true);
      const emu = attach(
        (t) => {
          if (!socket.destroyed) socket.write(t, "latin1");
        },
        () => socket.destroy(),
      );
      socket.on("data", (chunk: string) => emu.receive(chunk));
      socket.on("close", () => {
        emu.stop();
        sockets.delete(socket);
      });
      socket.on("error", () => {});
      emu.greet();
    });
    const host = options.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    return {
      url: `tcp://${host}:${port}`,
      port,
      get emulator() {
        return emulator;
      },
      commands,
      failures,
      close: () =>
        new Promise<void>((resolve) => {
          emulator?.stop();
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
    };
  }
  return startOverPty(attach, commands, failures, () => emulator);
}

async function startOverPty(
  attach: (send: (t: string) => void, drop: () => void) => PlotterEmulator,
  commands: string[],
  failures: string[],
  current: () => PlotterEmulator | undefined,
): Promise<SimulatedPlotter> {
  const dir = mkdtempSync(join(tmpdir(), "polargraph-pty-"));
  const plotterEnd = join(dir, "plotter");
  const hostEnd = join(dir, "host");
  let socat: ChildProcess;
  try {
    socat = spawn(
      "socat",
      [`pty,raw,echo=0,link=${plotterEnd}`, `pty,raw,echo=0,link=${hostEnd}`],
      { stdio: "ignore" },
    );
  } catch (cause) {
    rmSync(dir, { recursive: true, force: true });
    throw new PolargraphError(
      "TRANSPORT_ERROR",
      "socat could not be started (apt-get install socat)",
      { cause },
    );
  }
  const spawnError = new Promise<never>((_, reject) =>
    socat.once("error", (cause) =>
      reject(
        new PolargraphError(
          "TRANSPORT_ERROR",
          "socat could not be started (apt-get install socat)",
          { cause },
        ),
      ),
    ),
  );
  const started = Date.now();
  while (!(existsSync(plotterEnd) && existsSync(hostEnd))) {
    if (Date.now() - started > 5000) {
      socat.kill();
      throw new PolargraphError(
        "TRANSPORT_ERROR",
        "socat did not create its pseudo-terminals within 5 s",
      );
    }
    await Promise.race([new Promise((r) => setTimeout(r, 20)), spawnError]);
  }
  const { SerialPort } = await import("serialport");
  const port = new SerialPort({ path: plotterEnd, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  let closed = false;
  const kill = () => {
    if (socat.exitCode === null) socat.kill();
  };
  const emu = attach(
    (t) => {
      if (port.isOpen) port.write(Buffer.from(t, "latin1"));
    },
    // unplugging: the host side sees its pseudo-terminal go away
    () => {
      if (port.isOpen) port.close();
      kill();
    },
  );
  port.on("data", (chunk: Buffer) => emu.receive(chunk.toString("latin1")));
  port.on("error", () => {});
  emu.greet();
  return {
    url: hostEnd,
    port: 0,
    path: hostEnd,
    get emulator() {
      return current();
    },
    commands,
    failures,
    close: async () => {
      if (closed) return;
      closed = true;
      emu.stop();
      if (port.isOpen) await new Promise<void>((r) => port.close(() => r()));
      const exited =
        socat.exitCode === null ? new Promise((r) => socat.once("exit", r)) : Promise.resolve();
      kill();
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Service-style start: `start({ port: 0, protocol })` → `{ url, port, close() }`. */
export const start = startSimulatedPlotter;
