import type { Point } from "./core/geometry.js";

/**
 * Every code a {@link PolargraphError} can carry.
 *
 * | code | when |
 * | --- | --- |
 * | `INVALID_ARGUMENT` | an option or argument is out of its range |
 * | `INVALID_MACHINE` | a machine model fails validation (`path` names the field) |
 * | `UNREACHABLE` | a point cannot be reached: above the motors, cords slack or spool unwound (`points`) |
 * | `OUT_OF_PAGE` | a drawing leaves the page and clipping was not asked for (`points`) |
 * | `INVALID_SVG` | malformed SVG or path data (`location`) |
 * | `INVALID_POLYLINES` | malformed JSON polyline input (`path`) |
 * | `INVALID_IMAGE` | an image that is missing, empty, undecodable or has no pixels (`cause`) |
 * | `LINE_TOO_LONG` | an encoded command does not fit the controller's line buffer (`line`) |
 * | `PROTOCOL_ERROR` | the controller answered with an error or an unexpected reply (`line`) |
 * | `DISCONNECTED` | the transport closed mid-stream (`lastAcknowledgedLine` says where to resume) |
 * | `ABORTED` | the signal aborted the work (`lastAcknowledgedLine` when streaming) |
 * | `TIMEOUT` | the controller did not answer in time |
 * | `TRANSPORT_ERROR` | the serial port or socket could not be opened or written |
 */
export type PolargraphErrorCode =
  | "INVALID_ARGUMENT"
  | "INVALID_MACHINE"
  | "UNREACHABLE"
  | "OUT_OF_PAGE"
  | "INVALID_SVG"
  | "INVALID_POLYLINES"
  | "INVALID_IMAGE"
  | "LINE_TOO_LONG"
  | "PROTOCOL_ERROR"
  | "DISCONNECTED"
  | "ABORTED"
  | "TIMEOUT"
  | "TRANSPORT_ERROR";

/** Data a caller can act on; which fields are set depends on the code. */
export interface PolargraphErrorData {
  /** JSON path of the offending field (`INVALID_MACHINE`, `INVALID_POLYLINES`). */
  path?: string;
  /** Offending points in machine or page millimetres (`UNREACHABLE`, `OUT_OF_PAGE`). */
  points?: Point[];
  /** Location in an SVG document (`INVALID_SVG`). */
  location?: { line?: number; column?: number; element?: string; offset?: number };
  /** Zero-based command index (`LINE_TOO_LONG`, `PROTOCOL_ERROR`). */
  line?: number;
  /** Index of the last command the controller acknowledged, -1 if none (streaming errors). */
  lastAcknowledgedLine?: number;
}

/** The one error class of @tinkerbox/polargraph; `code` says what went wrong. */
export class PolargraphError extends Error {
  override readonly name = "PolargraphError";
  readonly code: PolargraphErrorCode;
  readonly path?: string;
  readonly points?: Point[];
  readonly location?: PolargraphErrorData["location"];
  readonly line?: number;
  readonly lastAcknowledgedLine?: number;

  constructor(
    code: PolargraphErrorCode,
    message: string,
    options?: { cause?: unknown } & PolargraphErrorData,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options?.path !== undefined) this.path = options.path;
    if (options?.points !== undefined) this.points = options.points;
    if (options?.location !== undefined) this.location = options.location;
    if (options?.line !== undefined) this.line = options.line;
    if (options?.lastAcknowledgedLine !== undefined)
      this.lastAcknowledgedLine = options.lastAcknowledgedLine;
  }
}

/** True when `value` is a {@link PolargraphError}. */
export function isPolargraphError(value: unknown): value is PolargraphError {
  return value instanceof PolargraphError;
}
