import type { PrinterStatus } from "./core/escpos-status.js";

/**
 * Every code a {@link ThermalComicError} can carry.
 *
 * | code | meaning | data |
 * | --- | --- | --- |
 * | `INVALID_ARGUMENT` | an option is out of range or of the wrong type | |
 * | `INVALID_LAYOUT` | a layout or template is malformed, or a grid image has no enclosed panels | `path` |
 * | `CORRUPT_IMAGE` | an image (pool entry, template, font) cannot be decoded | `path` |
 * | `MISSING_METADATA` | a pool image has no metadata file | `path` |
 * | `INVALID_METADATA` | a metadata file does not parse or breaks the schema | `path`, `field` |
 * | `ROI_TOO_LARGE` | an image's region of interest fits no panel at any allowed scale | `path` |
 * | `POOL_TOO_SMALL` | fewer fitting images than panels and reuse is not allowed | `needed`, `available` |
 * | `NO_FITTING_IMAGE` | a panel has no image whose fit rules allow it and empty panels are not allowed | `panel` |
 * | `FONT_ERROR` | a font file given by the caller cannot be read or registered | `path` |
 * | `IO_ERROR` | a file or folder cannot be read or written | `path` |
 * | `PRINTER_UNREACHABLE` | no connection to the printer (refused, timeout), or its device cannot be opened | `path` |
 * | `PRINT_INTERRUPTED` | the connection broke or stalled mid-job (and reconnecting, if allowed, failed) | `bytesSent`, `rowsPrinted`, `attempts`, `path` |
 * | `PRINTER_NOT_READY` | the printer's status says it cannot print: paper out, cover open, an error, offline | `status`, `rowsPrinted` |
 * | `NO_STATUS` | the printer did not answer a DLE EOT status query in time, or answered with a byte that is no status | `path` |
 * | `ABORTED` | the `signal` was aborted | |
 */
export type ThermalComicErrorCode =
  | "INVALID_ARGUMENT"
  | "INVALID_LAYOUT"
  | "CORRUPT_IMAGE"
  | "MISSING_METADATA"
  | "INVALID_METADATA"
  | "ROI_TOO_LARGE"
  | "POOL_TOO_SMALL"
  | "NO_FITTING_IMAGE"
  | "FONT_ERROR"
  | "IO_ERROR"
  | "PRINTER_UNREACHABLE"
  | "PRINT_INTERRUPTED"
  | "PRINTER_NOT_READY"
  | "NO_STATUS"
  | "ABORTED";

/** Data a caller can act on, present where the code's row in the table says so. */
export interface ThermalComicErrorData {
  /** The file the error is about. */
  path?: string;
  /** The metadata field that is wrong. */
  field?: string;
  /** The panel (reading-order id) the error is about. */
  panel?: number;
  /** How many images the layout needs. */
  needed?: number;
  /** How many usable images the pool has. */
  available?: number;
  /** How many bytes reached the printer before printing broke off. */
  bytesSent?: number;
  /** Picture rows the printer confirmed it received before printing broke off. */
  rowsPrinted?: number;
  /** Connections tried for the job (the first one plus reconnects). */
  attempts?: number;
  /** The printer's status when it refused to print. */
  status?: PrinterStatus;
}

/** The one error class of @tinkerbox/thermal-comic; `code` says what went wrong. */
export class ThermalComicError extends Error {
  override readonly name = "ThermalComicError";
  readonly code: ThermalComicErrorCode;
  readonly path?: string;
  readonly field?: string;
  readonly panel?: number;
  readonly needed?: number;
  readonly available?: number;
  readonly bytesSent?: number;
  readonly rowsPrinted?: number;
  readonly attempts?: number;
  readonly status?: PrinterStatus;

  constructor(
    code: ThermalComicErrorCode,
    message: string,
    options?: { cause?: unknown } & ThermalComicErrorData,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options?.path !== undefined) this.path = options.path;
    if (options?.field !== undefined) this.field = options.field;
    if (options?.panel !== undefined) this.panel = options.panel;
    if (options?.needed !== undefined) this.needed = options.needed;
    if (options?.available !== undefined) this.available = options.available;
    if (options?.bytesSent !== undefined) this.bytesSent = options.bytesSent;
    if (options?.rowsPrinted !== undefined) this.rowsPrinted = options.rowsPrinted;
    if (options?.attempts !== undefined) this.attempts = options.attempts;
    if (options?.status !== undefined) this.status = options.status;
  }
}

/** Whether `value` is a {@link ThermalComicError} (also across copies of the package). */
export function isThermalComicError(value: unknown): value is ThermalComicError {
  return (
    value instanceof ThermalComicError ||
    (value instanceof Error &&
      value.name === "ThermalComicError" &&
      typeof (value as { code?: unknown }).code === "string")
  );
}

/** Throws ABORTED when the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new ThermalComicError("ABORTED", "composing was aborted", { cause: signal.reason });
}
