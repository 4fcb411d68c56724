import { marlinChecksum, type PlotterProtocol } from "../adapters/stream.js";

/**
 * Limits of the emulated controllers, taken from the firmware sources and documentation, not
 * from our client:
 * - polargraph_server_a1: `INLENGTH` 50 (a command of at most 49 characters plus its terminator),
 *   one command executed at a time, `READY` after each; while it runs, incoming bytes wait in
 *   the Arduino core's 64-byte serial receive buffer (`SERIAL_RX_BUFFER_SIZE`).
 * - GRBL 1.1: `RX_BUFFER_SIZE` 128 (a ring buffer: 127 bytes usable), 16 planner blocks
 *   (`BLOCK_BUFFER_SIZE`), `ok` when a line is taken into the planner, `!`/`~` real-time hold
 *   and resume.
 * - Marlin 2: `BUFSIZE` 4 queued commands, `RX_BUFFER_SIZE` 128, `N… *checksum` lines with
 *   `Resend:` on a bad line number or checksum, `ok` as each command completes.
 */
export const CONTROLLER_LIMITS = {
  polargraph: { maxCommandLength: 49, rxBytes: 64, queue: 1 },
  grbl: { rxBytes: 127, queue: 16 },
  marlin: { rxBytes: 127, queue: 4 },
} as const;

/** Options of a {@link PlotterEmulator}. */
export interface EmulatorOptions {
  protocol: PlotterProtocol;
  /** Time each command takes to run, ms. @defaultValue 1 */
  msPerCommand?: number;
  /** Drops the connection after this many commands have run (a plotter unplugged mid-plot). */
  disconnectAfter?: number;
  /** Marlin: the line number whose first copy arrives "corrupted" (answered with a resend). */
  corruptLine?: number;
  /** polargraph_server repeats `READY` while idle this often, ms (its rebroadcastReadyInterval). @defaultValue 5000 */
  readyIntervalMs?: number;
}

/**
 * A controller emulator: feed it received bytes, it answers through `send` and records what it
 * ran. On a protocol violation (buffer overflow, over-long command) it records `failure`, says
 * so, and drops the connection, as the real controller would lose or corrupt the data.
 */
export class PlotterEmulator {
  /** Commands run, in order, without line numbers or checksums. */
  readonly commands: string[] = [];
  /** Why the emulator stopped, if it did. */
  failure: string | undefined;
  /** Largest number of bytes ever waiting in the receive buffer. */
  peakRxBytes = 0;
  private rx = "";
  private readonly queue: string[] = [];
  private busy = false;
  private held = false;
  private lastLine = 0;
  private corrupted = false;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly ms: number;

  private readonly send: (text: string) => void;
  private readonly disconnect: () => void;
  private readonly onCommand: (command: string) => void;

  /**
   * @param hooks - `send` writes to the host, `disconnect` drops the connection, `onCommand`
   * sees each command as it runs.
   */
  constructor(
    readonly options: EmulatorOptions,
    hooks: {
      send: (text: string) => void;
      disconnect: () => void;
      onCommand?: (command: string) => void;
    },
  ) {
    this.ms = options.msPerCommand ?? 1;
    this.send = hooks.send;
    this.disconnect = hooks.disconnect;
    this.onCommand = hooks.onCommand ?? (() => {});
  }

  private idleTimer: ReturnType<typeof setInterval> | undefined;
  private lastActivity = Date.now();

  /** The power-on greeting (polargraph_server then repeats READY while idle). */
  greet(): void {
    if (this.options.protocol === "polargraph") {
      this.send("POLARGRAPH ON!\nREADY\n");
      const interval = this.options.readyIntervalMs ?? 5000;
      this.idleTimer = setInterval(
        () => {
          if (!this.busy && this.rx.length === 0 && Date.now() - this.lastActivity >= interval) {
            this.lastActivity = Date.now();
            this.send("READY\n");
          }
        },
        Math.max(10, interval / 4),
      );
      this.idleTimer.unref?.();
    } else if (this.options.protocol === "grbl") this.send("\r\nGrbl 1.1h ['$' for help]\r\n");
    else this.send("start\necho:Marlin 2.1.2\n");
  }

  /** Bytes arriving from the host. */
  receive(chunk: string): void {
    if (this.stopped) return;
    this.lastActivity = Date.now();
    if (this.options.protocol === "grbl") {
      // real-time commands never enter the buffer
      for (const ch of chunk) {
        if (ch === "!") this.held = true;
        else if (ch === "~") {
          this.held = false;
          this.run();
        } else if (ch === "?") this.send("<Idle|MPos:0.000,0.000,0.000>\r\n");
        else if (ch === "\x18") {
          this.rx = "";
          this.queue.length = 0;
        } else this.rx += ch;
      }
    } else this.rx += chunk;
    this.peakRxBytes = Math.max(this.peakRxBytes, this.rx.length);
    this.take();
  }

  /** Stops timers; no more output. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.idleTimer) clearInterval(this.idleTimer);
  }

  private fail(reason: string): void {
    if (this.stopped) return;
    this.failure = reason;
    this.send(
      this.options.protocol === "grbl" ? `error:overflow ${reason}\r\n` : `MSG,E,${reason}\n`,
    );
    this.stop();
    this.disconnect();
  }

  private take(): void {
    const limits = CONTROLLER_LIMITS[this.options.protocol];
    const p = this.options.protocol;
    for (;;) {
      if (this.stopped) return;
      const nl = this.rx.indexOf("\n");
      if (p === "polargraph") {
        // the server reads characters into its 50-byte line buffer only while idle
        if (this.busy) break;
        const line = nl >= 0 ? this.rx.slice(0, nl) : this.rx;
        if (line.replace(/\r$/, "").length > CONTROLLER_LIMITS.polargraph.maxCommandLength) {
          this.fail(
            `command longer than ${CONTROLLER_LIMITS.polargraph.maxCommandLength} characters overflowed INLENGTH`,
          );
          return;
        }
        if (nl < 0) break;
        this.rx = this.rx.slice(nl + 1);
        const command = line.replace(/\r$/, "");
        if (!command.includes(",END")) {
          this.send(`MSG,E,Comm (${command}) not parsed.\n`);
          continue;
        }
        this.queue.push(command.slice(0, command.indexOf(",END") + 4));
        this.run();
        continue;
      }
      if (nl < 0 || this.queue.length >= limits.queue) break;
      const raw = this.rx.slice(0, nl).replace(/\r$/, "").trim();
      this.rx = this.rx.slice(nl + 1);
      if (!raw) continue;
      if (p === "grbl") {
        this.queue.push(raw);
        this.send("ok\r\n");
        this.run();
        continue;
      }
      const command = this.marlinLine(raw);
      if (command === undefined) continue;
      this.queue.push(command);
      this.run();
    }
    const cap = limits.rxBytes;
    if (this.rx.length > cap)
      this.fail(`receive buffer overflow: ${this.rx.length} bytes waiting, ${cap} fit`);
  }

  private marlinLine(raw: string): string | undefined {
    const m = /^N(\d+)\s+(.*?)\*(\d+)$/.exec(raw);
    if (!m) {
      // Marlin runs unnumbered lines as they are
      return raw;
    }
    const n = Number(m[1]);
    const body = raw.slice(0, raw.lastIndexOf("*"));
    const corrupt = this.options.corruptLine === n && !this.corrupted;
    if (corrupt) this.corrupted = true;
    if (corrupt || marlinChecksum(body) !== Number(m[3])) {
      this.send(
        `Error:checksum mismatch, Last Line: ${this.lastLine}\nResend: ${this.lastLine + 1}\nok\n`,
      );
      this.rx = "";
      return undefined;
    }
    const command = m[2] as string;
    if (/^M110\b/.test(command)) {
      const set = /N(\d+)/.exec(command.slice(4));
      this.lastLine = set ? Number(set[1]) : n;
      this.send("ok\n");
      return undefined;
    }
    if (n !== this.lastLine + 1) {
      this.send(
        `Error:Line Number is not Last Line Number+1, Last Line: ${this.lastLine}\nResend: ${this.lastLine + 1}\nok\n`,
      );
      this.rx = "";
      return undefined;
    }
    this.lastLine = n;
    return command;
  }

  private run(): void {
    if (this.busy || this.held || this.stopped || this.queue.length === 0) return;
    this.busy = true;
    this.timer = setTimeout(() => {
      this.busy = false;
      const command = this.queue.shift() as string;
      this.lastActivity = Date.now();
      this.commands.push(command);
      this.onCommand(command);
      if (this.options.protocol === "polargraph") this.send("READY\n");
      else if (this.options.protocol === "marlin") this.send("ok\n");
      if (
        this.options.disconnectAfter !== undefined &&
        this.commands.length >= this.options.disconnectAfter
      ) {
        this.stop();
        this.disconnect();
        return;
      }
      this.take();
      this.run();
    }, this.ms);
  }
}
