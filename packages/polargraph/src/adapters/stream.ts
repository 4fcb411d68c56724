import { PolargraphError } from "../errors.js";
import { type Logger, silentLogger } from "../logger.js";
import type { PlotterTransport } from "./transport.js";

/** The controller protocols {@link streamToPlotter} speaks. */
export type PlotterProtocol = "polargraph" | "grbl" | "marlin";

/** Progress of a stream. */
export interface StreamProgressEvent {
  phase: "stream";
  /** Commands sent so far (of this run, counting from the start line). */
  sent: number;
  /** Index of the last command the controller acknowledged, -1 before the first. */
  lastAcknowledgedLine: number;
  /** Commands in the whole program. */
  total: number;
  paused: boolean;
}

/** Options of {@link streamToPlotter}. */
export interface StreamOptions {
  /** The controller's protocol. @defaultValue "polargraph" */
  protocol?: PlotterProtocol;
  /**
   * The controller's receive capacity: bytes of GRBL's serial buffer (its RX_BUFFER_SIZE), or
   * commands Marlin may have queued unacknowledged (its BUFSIZE; more than 1 needs a firmware
   * that acknowledges on receipt). polargraph_server takes one command at a time.
   * @defaultValue 128 for grbl, 1 for marlin
   */
  bufferSize?: number;
  /** Index of the first command to send, to resume after a failure (the error's `lastAcknowledgedLine` + 1). @defaultValue 0 */
  startLine?: number;
  /** Longest wait for an acknowledgement while commands are outstanding, ms. @defaultValue 60000 */
  timeoutMs?: number;
  /** Called after each acknowledgement and on pause/resume. */
  onProgress?: (event: StreamProgressEvent) => void;
  /** Aborts the stream (GRBL also gets a feed hold). */
  signal?: AbortSignal;
  /** Receives controller messages. @defaultValue silent */
  logger?: Logger;
}

/** How a stream ended. */
export interface StreamResult {
  /** Index of the last command acknowledged (the last one, when complete). */
  lastAcknowledgedLine: number;
  total: number;
  /** Commands sent in this run. */
  sent: number;
}

/** A running stream. */
export interface PlotterJob {
  /** Settles when every command is acknowledged, or rejects with a {@link PolargraphError}. */
  readonly done: Promise<StreamResult>;
  /** Stops sending (GRBL: also a feed hold `!`); commands already sent still run. */
  pause(): void;
  /** Sends again (GRBL: cycle start `~`). */
  resume(): void;
  readonly paused: boolean;
}

/** Marlin's checksum: XOR of every byte before the `*`. */
export function marlinChecksum(line: string): number {
  let cs = 0;
  for (let i = 0; i < line.length; i++) cs ^= line.charCodeAt(i) & 0xff;
  return cs;
}

interface InFlight {
  index: number;
  bytes: number;
}

/**
 * Streams commands to a plotter with the protocol's flow control: polargraph_server gets the
 * next command after each `READY`; GRBL by character counting (never more unacknowledged bytes
 * than its receive buffer holds, `ok`/`error:` per line); Marlin with line numbers and checksums,
 * one unacknowledged command at a time by default, answering `Resend:` requests. Pause, resume
 * and abort work at any time; if the transport closes, the job rejects with `DISCONNECTED` and
 * `lastAcknowledgedLine`, from which a new stream can resume (`startLine`).
 */
export function streamToPlotter(
  commands: readonly string[],
  transport: PlotterTransport,
  options: StreamOptions = {},
): PlotterJob {
  const protocol = options.protocol ?? "polargraph";
  const total = commands.length;
  const startLine = options.startLine ?? 0;
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const bufferSize = options.bufferSize ?? (protocol === "grbl" ? 128 : 1);
  let paused = false;
  let pauseListener: (() => void) | undefined;
  let resumeListener: (() => void) | undefined;

  const done = new Promise<StreamResult>((resolve, reject) => {
    if (!Number.isInteger(startLine) || startLine < 0 || startLine > total)
      throw new PolargraphError(
        "INVALID_ARGUMENT",
        `startLine must be an integer from 0 to ${total}, got ${startLine}`,
      );
    if (!Number.isInteger(bufferSize) || bufferSize < 1)
      throw new PolargraphError(
        "INVALID_ARGUMENT",
        `bufferSize must be a positive integer, got ${bufferSize}`,
      );
    if (protocol === "polargraph" && bufferSize !== 1)
      throw new PolargraphError(
        "INVALID_ARGUMENT",
        "polargraph_server takes one command at a time; bufferSize must be 1",
      );
    for (let i = startLine; i < total; i++) {
      const c = commands[i] as string;
      if (/[\r\n]/.test(c))
        throw new PolargraphError("INVALID_ARGUMENT", `command ${i} contains a line break`, {
          line: i,
        });
      if (protocol === "grbl" && c.length + 1 > bufferSize - 1)
        throw new PolargraphError(
          "LINE_TOO_LONG",
          `command ${i} does not fit GRBL's ${bufferSize}-byte buffer`,
          { line: i },
        );
    }
    let next = startLine;
    let lastAck = startLine - 1;
    let sent = 0;
    const inflight: InFlight[] = [];
    let inflightBytes = 0;
    let ready = protocol !== "polargraph";
    let marlinSynced = protocol !== "marlin";
    let swallowOk = 0;
    let settled = false;
    let rx = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    let writing: Promise<void> = Promise.resolve();

    const progress = () =>
      options.onProgress?.({ phase: "stream", sent, lastAcknowledgedLine: lastAck, total, paused });

    const finish = (error?: PolargraphError) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      offData();
      offClose();
      options.signal?.removeEventListener("abort", onAbort);
      pauseListener = undefined;
      resumeListener = undefined;
      if (error) reject(error);
      else resolve({ lastAcknowledgedLine: lastAck, total, sent });
    };

    const armTimer = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (inflight.length === 0 && (ready || paused)) return;
      timer = setTimeout(
        () =>
          finish(
            new PolargraphError(
              "TIMEOUT",
              `the ${protocol} controller did not answer within ${timeoutMs} ms`,
              {
                lastAcknowledgedLine: lastAck,
              },
            ),
          ),
        timeoutMs,
      );
    };

    const send = (text: string, index: number) => {
      const bytes = text.length + 1;
      inflight.push({ index, bytes });
      inflightBytes += bytes;
      writing = writing
        .then(() => transport.write(`${text}\n`))
        .catch((cause) =>
          finish(
            new PolargraphError(
              "DISCONNECTED",
              `writing command ${index} failed: ${(cause as Error).message}`,
              {
                cause,
                lastAcknowledgedLine: lastAck,
              },
            ),
          ),
        );
    };

    const encode = (i: number): string => {
      const c = commands[i] as string;
      if (protocol !== "marlin") return c;
      const body = `N${i + 1} ${c}`;
      return `${body}*${marlinChecksum(body)}`;
    };

    const pump = () => {
      if (settled) return;
      if (!marlinSynced) {
        const body = `N${startLine} M110 N${startLine}`;
        send(`${body}*${marlinChecksum(body)}`, -1);
        marlinSynced = true;
      }
      while (!paused && next < total) {
        const text = encode(next);
        if (protocol === "polargraph") {
          if (!ready || inflight.length) break;
          ready = false;
        } else if (protocol === "grbl") {
          if (inflightBytes + text.length + 1 > bufferSize - 1) break;
        } else if (inflight.length >= bufferSize) break;
        send(text, next);
        next++;
        sent++;
      }
      if (next >= total && inflight.length === 0 && lastAck >= total - 1) {
        progress();
        finish();
        return;
      }
      armTimer();
    };

    const acknowledge = () => {
      const item = inflight.shift();
      if (!item) return;
      inflightBytes -= item.bytes;
      if (item.index >= 0) {
        lastAck = item.index;
        progress();
      }
    };

    const fail = (message: string) => {
      const line = inflight[0]?.index;
      finish(
        new PolargraphError(
          "PROTOCOL_ERROR",
          `${message}${line !== undefined && line >= 0 ? ` (command ${line}: ${commands[line]})` : ""}`,
          line !== undefined && line >= 0
            ? { line, lastAcknowledgedLine: lastAck }
            : { lastAcknowledgedLine: lastAck },
        ),
      );
    };

    const onLine = (line: string) => {
      if (!line) return;
      logger.debug(`< ${line}`);
      if (protocol === "polargraph") {
        if (line.startsWith("READY")) {
          if (inflight.length) acknowledge();
          ready = true;
        } else if (line.startsWith("MSG,E"))
          return fail(`the polargraph controller reported: ${line}`);
        else logger.info(line);
      } else if (protocol === "grbl") {
        if (line === "ok") acknowledge();
        else if (line.startsWith("error:")) return fail(`GRBL answered ${line}`);
        else if (line.startsWith("ALARM:")) return fail(`GRBL raised ${line}`);
        else if (!line.startsWith("<")) logger.info(line);
      } else {
        const resend = /^(?:Resend:|rs)\s*N?(\d+)/i.exec(line);
        if (resend) {
          const n = Number(resend[1]);
          const index = n - 1;
          if (index < startLine - 1 || index > next)
            return fail(`Marlin asked to resend line ${n}, which was never sent`);
          logger.warn(`Marlin asked to resend from line ${n}`);
          // everything from that line on is lost; its ok follows the request
          inflight.length = 0;
          inflightBytes = 0;
          swallowOk++;
          if (index < startLine) {
            marlinSynced = false;
            next = startLine;
            sent = 0;
          } else {
            next = index;
            sent = Math.max(0, next - startLine);
          }
        } else if (line.startsWith("ok")) {
          if (swallowOk > 0) swallowOk--;
          else acknowledge();
        } else if (/^(Error:.*(halted|kill)|!!)/i.test(line))
          return fail(`Marlin stopped: ${line}`);
        else if (line.startsWith("Error:")) logger.warn(line);
        else if (!line.startsWith("busy:") && !line.startsWith("echo:busy")) logger.info(line);
      }
      pump();
    };

    const offData = transport.onData((chunk) => {
      rx += chunk;
      let nl = rx.indexOf("\n");
      while (nl >= 0 && !settled) {
        const line = rx.slice(0, nl).replace(/\r$/, "").trim();
        rx = rx.slice(nl + 1);
        onLine(line);
        nl = rx.indexOf("\n");
      }
      if (!settled) armTimer();
    });
    const offClose = transport.onClose((error) =>
      finish(
        new PolargraphError(
          "DISCONNECTED",
          `the plotter disconnected after command ${lastAck} was acknowledged; resume with startLine ${lastAck + 1}`,
          { cause: error, lastAcknowledgedLine: lastAck },
        ),
      ),
    );
    const onAbort = () => {
      if (protocol === "grbl") transport.write("!").catch(() => {});
      finish(
        new PolargraphError(
          "ABORTED",
          `streaming was aborted after command ${lastAck} was acknowledged`,
          {
            cause: options.signal?.reason,
            lastAcknowledgedLine: lastAck,
          },
        ),
      );
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    pauseListener = () => {
      if (protocol === "grbl") transport.write("!").catch(() => {});
      progress();
      armTimer();
    };
    resumeListener = () => {
      if (protocol === "grbl") transport.write("~").catch(() => {});
      progress();
      pump();
    };
    if (total === startLine) {
      progress();
      finish();
      return;
    }
    pump();
  });

  return {
    done,
    pause() {
      if (paused) return;
      paused = true;
      pauseListener?.();
    },
    resume() {
      if (!paused) return;
      paused = false;
      resumeListener?.();
    },
    get paused() {
      return paused;
    },
  };
}
