// The studio's plot job: one at a time, owned by the server (not the page), so reloading the page
// finds it still running. A disconnect leaves it resumable from the line after the last one the
// controller acknowledged.
import {
  type PlotterJob,
  type PlotterProtocol,
  type StreamProgressEvent,
  streamToPlotter,
} from "../../adapters/stream.js";
import {
  openSerialTransport,
  openTcpTransport,
  type PlotterTransport,
} from "../../adapters/transport.js";
import type { Plan } from "../../core/planner.js";
import { isPolargraphError, PolargraphError } from "../../errors.js";
import type { Logger } from "../../logger.js";
import { type SimulatedPlotter, startSimulatedPlotter } from "../simulator.js";
import { planCommands } from "./encode.js";

/** Where a plot goes. */
export type PlotTarget =
  | { kind: "simulated" }
  | { kind: "tcp"; host: string; port: number }
  | { kind: "serial"; path: string; baudRate?: number };

/** State of a plot job. */
export type PlotJobState = "running" | "paused" | "done" | "failed" | "aborted" | "disconnected";

/** What the page (or code) sees of the plot job. */
export interface PlotJobStatus {
  /** Increases with each new job. */
  id: number;
  state: PlotJobState;
  protocol: PlotterProtocol;
  target: PlotTarget;
  /** Commands in the program. */
  total: number;
  /** Index of the last acknowledged command, -1 before the first. */
  lastAcknowledgedLine: number;
  /** Line the current (or last) stream started from. */
  startLine: number;
  /** Time spent streaming (pauses excluded), ms. */
  elapsedMs: number;
  /** Estimated time left, ms: the observed rate once lines are acknowledged, else the plan's share. */
  remainingMs: number;
  /** The plan's time estimate, ms. */
  plannedMs: number;
  /** What went wrong and what to do, for `failed`, `disconnected` and `aborted`. */
  message?: string;
  /** The error code, when it failed. */
  code?: string;
}

/** Options of {@link PlotJobs}. */
export interface PlotJobsOptions {
  /** The built-in simulated plotter's time per command, ms. @defaultValue 2 */
  simulatorMsPerCommand?: number;
  /** The simulated plotter drops the connection after this many commands per connection (to try resuming). @defaultValue never */
  simulatorDisconnectAfter?: number;
  /** Longest wait for an acknowledgement, ms. @defaultValue 60000 */
  timeoutMs?: number;
  /** Called on every change of the status (progress, pause, end). @defaultValue none */
  onChange?: (status: PlotJobStatus) => void;
  /** @defaultValue silent */
  logger?: Logger;
  /** Clock, epoch ms. @defaultValue Date.now */
  now?: () => number;
}

/** Commands ready for a controller, with the plan's time estimate. */
export interface PlotProgram {
  /** The controller's commands, in order. */
  commands: string[];
  /** Estimated plot time, ms. */
  durationMs: number;
}

function fail(message: string): PolargraphError {
  return new PolargraphError("INVALID_ARGUMENT", message);
}

/** The one plot job of a studio, with the built-in simulated plotter. */
export class PlotJobs {
  private status: PlotJobStatus | undefined;
  private commands: string[] = [];
  private job: PlotterJob | undefined;
  private transport: PlotterTransport | undefined;
  /** The connection of the last complete plot, kept open while the controller finishes. */
  private idle: PlotterTransport | undefined;
  private abort: AbortController | undefined;
  private simulator: SimulatedPlotter | undefined;
  private simulatorProtocol: PlotterProtocol | undefined;
  private runStartedAt = 0;
  private elapsedBefore = 0;
  private pausedAt: number | undefined;
  private nextId = 1;
  private readonly now: () => number;

  constructor(private readonly options: PlotJobsOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  /** The current or last job, or undefined before the first. */
  current(): PlotJobStatus | undefined {
    if (!this.status) return undefined;
    return { ...this.status, ...this.times() };
  }

  /** The built-in simulated plotter, once a plot has used it. */
  get simulatedPlotter(): SimulatedPlotter | undefined {
    return this.simulator;
  }

  private times(): Pick<PlotJobStatus, "elapsedMs" | "remainingMs"> {
    const s = this.status as PlotJobStatus;
    const running = s.state === "running" || s.state === "paused";
    const elapsedMs =
      this.elapsedBefore + (running ? (this.pausedAt ?? this.now()) - this.runStartedAt : 0);
    const acked = s.lastAcknowledgedLine + 1;
    const doneHere = acked - s.startLine;
    const left = s.total - acked;
    const runMs = (this.pausedAt ?? this.now()) - this.runStartedAt;
    let remainingMs: number;
    if (!running)
      remainingMs = s.state === "done" ? 0 : (left / Math.max(1, s.total)) * s.plannedMs;
    else if (doneHere > 0 && runMs > 0) remainingMs = (runMs / doneHere) * left;
    else remainingMs = (left / Math.max(1, s.total)) * s.plannedMs;
    return { elapsedMs, remainingMs };
  }

  private emit(): void {
    const status = this.current();
    if (status) this.options.onChange?.(status);
  }

  private async open(target: PlotTarget, protocol: PlotterProtocol): Promise<PlotterTransport> {
    if (target.kind === "simulated") {
      // a simulated plotter speaks one protocol; start a new one for another
      if (this.simulator && this.simulatorProtocol !== protocol) {
        await this.simulator.close();
        this.simulator = undefined;
      }
      if (!this.simulator) {
        this.simulator = await startSimulatedPlotter({
          protocol,
          msPerCommand: this.options.simulatorMsPerCommand ?? 2,
          disconnectAfter: this.options.simulatorDisconnectAfter,
        });
        this.simulatorProtocol = protocol;
      }
      return openTcpTransport({ host: "127.0.0.1", port: this.simulator.port });
    }
    if (target.kind === "tcp") return openTcpTransport({ host: target.host, port: target.port });
    return openSerialTransport({
      path: target.path,
      baudRate: target.baudRate ?? (protocol === "polargraph" ? 57600 : 115200),
    });
  }

  /**
   * Starts plotting a plan. Rejects with `INVALID_ARGUMENT` while another job runs or is paused,
   * and with the transport's error (`TRANSPORT_ERROR`) when the plotter cannot be reached; the
   * job itself runs on, reported through `onChange`.
   */
  async start(plan: Plan, target: PlotTarget, protocol: PlotterProtocol): Promise<PlotJobStatus> {
    return this.startProgram(
      { commands: planCommands(plan, protocol), durationMs: plan.durationMs },
      target,
      protocol,
    );
  }

  /** Like {@link PlotJobs.start}, with commands already encoded for `protocol`. */
  async startProgram(
    program: PlotProgram,
    target: PlotTarget,
    protocol: PlotterProtocol,
  ): Promise<PlotJobStatus> {
    checkTarget(target);
    if (!["polargraph", "grbl", "marlin"].includes(protocol))
      throw fail(`protocol must be polargraph, grbl or marlin, got ${String(protocol)}`);
    if (this.status && (this.status.state === "running" || this.status.state === "paused"))
      throw fail(`plot ${this.status.id} is still ${this.status.state}; abort it first`);
    const commands = program.commands;
    const plan = program;
    this.commands = commands;
    this.status = {
      id: this.nextId++,
      state: "running",
      protocol,
      target,
      total: commands.length,
      lastAcknowledgedLine: -1,
      startLine: 0,
      elapsedMs: 0,
      remainingMs: plan.durationMs,
      plannedMs: plan.durationMs,
    };
    this.elapsedBefore = 0;
    await this.run(0);
    return this.current() as PlotJobStatus;
  }

  /**
   * Resumes a disconnected, failed or aborted job from `line` (default: the line after the last
   * acknowledged one), reconnecting to the same plotter.
   */
  async resumeFrom(line?: number): Promise<PlotJobStatus> {
    const s = this.status;
    if (!s) throw fail("there is no plot to resume; start one");
    if (s.state === "running" || s.state === "paused")
      throw fail(`plot ${s.id} is ${s.state}; use pause/resume`);
    if (s.state === "done") throw fail(`plot ${s.id} is done; start a new one`);
    const from = line ?? s.lastAcknowledgedLine + 1;
    if (!Number.isInteger(from) || from < 0 || from > s.total)
      throw fail(`resume line must be a whole number from 0 to ${s.total}, got ${from}`);
    s.state = "running";
    s.message = undefined;
    s.code = undefined;
    s.lastAcknowledgedLine = from - 1;
    await this.run(from);
    return this.current() as PlotJobStatus;
  }

  private async run(startLine: number): Promise<void> {
    const s = this.status as PlotJobStatus;
    const idle = this.idle;
    this.idle = undefined;
    await idle?.close().catch(() => {});
    s.startLine = startLine;
    this.pausedAt = undefined;
    let transport: PlotterTransport;
    try {
      transport = await this.open(s.target, s.protocol);
    } catch (error) {
      s.state = startLine === 0 ? "failed" : "disconnected";
      s.code = isPolargraphError(error) ? error.code : "TRANSPORT_ERROR";
      s.message = `could not reach the plotter: ${(error as Error).message}. Check the port and connection, then resume from line ${startLine}.`;
      this.emit();
      throw error;
    }
    this.transport = transport;
    this.abort = new AbortController();
    this.runStartedAt = this.now();
    const id = s.id;
    const job = streamToPlotter(this.commands, transport, {
      protocol: s.protocol,
      startLine,
      timeoutMs: this.options.timeoutMs,
      signal: this.abort.signal,
      logger: this.options.logger,
      onProgress: (e: StreamProgressEvent) => {
        if (this.status?.id !== id) return;
        s.lastAcknowledgedLine = e.lastAcknowledgedLine;
        this.emit();
      },
    });
    this.job = job;
    this.emit();
    job.done.then(
      (result) => {
        if (this.status?.id !== id) return;
        s.lastAcknowledgedLine = result.lastAcknowledgedLine;
        this.finish("done");
      },
      (error: unknown) => {
        if (this.status?.id !== id) return;
        const e = isPolargraphError(error) ? error : undefined;
        if (e?.lastAcknowledgedLine !== undefined) s.lastAcknowledgedLine = e.lastAcknowledgedLine;
        const next = s.lastAcknowledgedLine + 1;
        s.code = e?.code ?? "TRANSPORT_ERROR";
        if (e?.code === "ABORTED") {
          s.message = `aborted after line ${next} of ${s.total}; resume from line ${next} or start again`;
          this.finish("aborted");
        } else if (e?.code === "DISCONNECTED" || e?.code === "TIMEOUT") {
          s.message = `the plotter ${e.code === "TIMEOUT" ? "stopped answering" : "disconnected"} after line ${next} of ${s.total}. Reconnect it, then resume from line ${next}.`;
          this.finish("disconnected");
        } else {
          s.message = `${(error as Error).message}. Fix the plotter, then resume from line ${next}.`;
          this.finish("failed");
        }
      },
    );
  }

  private finish(state: PlotJobState): void {
    const s = this.status as PlotJobStatus;
    this.elapsedBefore += (this.pausedAt ?? this.now()) - this.runStartedAt;
    this.pausedAt = undefined;
    s.state = state;
    this.job = undefined;
    const transport = this.transport;
    this.transport = undefined;
    // after a complete plot the connection stays open until the next plot or close(): GRBL and
    // Marlin acknowledge lines they have only queued, and the last moves run after that
    if (state === "done") this.idle = transport;
    else void transport?.close().catch(() => {});
    this.emit();
  }

  /** Pauses the running job (commands already sent still run). */
  pause(): PlotJobStatus {
    const s = this.status;
    if (s?.state !== "running" || !this.job) throw fail("no plot is running");
    this.job.pause();
    this.pausedAt = this.now();
    (s as PlotJobStatus).state = "paused";
    this.emit();
    return this.current() as PlotJobStatus;
  }

  /** Resumes a paused job. */
  resume(): PlotJobStatus {
    const s = this.status;
    if (s?.state !== "paused" || !this.job) throw fail("no plot is paused");
    if (this.pausedAt !== undefined) this.runStartedAt += this.now() - this.pausedAt;
    this.pausedAt = undefined;
    (s as PlotJobStatus).state = "running";
    this.job.resume();
    this.emit();
    return this.current() as PlotJobStatus;
  }

  /** Aborts the running or paused job; it can be resumed from the next line later. */
  async cancel(): Promise<PlotJobStatus> {
    const s = this.status;
    if (!s || (s.state !== "running" && s.state !== "paused") || !this.abort)
      throw fail("no plot is running");
    const job = this.job;
    this.abort.abort(new Error("aborted from the studio"));
    await job?.done.catch(() => {});
    return this.current() as PlotJobStatus;
  }

  /** Aborts any job and stops the simulated plotter. */
  async close(): Promise<void> {
    if (this.status && (this.status.state === "running" || this.status.state === "paused"))
      await this.cancel().catch(() => {});
    await this.transport?.close().catch(() => {});
    await this.idle?.close().catch(() => {});
    this.idle = undefined;
    await this.simulator?.close();
    this.simulator = undefined;
  }
}

function checkTarget(target: PlotTarget): void {
  if (!target || typeof target !== "object") throw fail("name a plot target");
  if (target.kind === "simulated") return;
  if (target.kind === "tcp") {
    if (typeof target.host !== "string" || !target.host) throw fail("a TCP target needs a host");
    if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535)
      throw fail(`a TCP port is a whole number from 1 to 65535, got ${String(target.port)}`);
    return;
  }
  if (target.kind === "serial") {
    if (typeof target.path !== "string" || !target.path)
      throw fail("a serial target needs a device path, e.g. /dev/ttyACM0");
    if (
      target.baudRate !== undefined &&
      (!Number.isInteger(target.baudRate) || target.baudRate <= 0)
    )
      throw fail(`baud rate must be a positive whole number, got ${String(target.baudRate)}`);
    return;
  }
  throw fail(
    `plot target kind must be simulated, tcp or serial, got ${String((target as { kind: unknown }).kind)}`,
  );
}
