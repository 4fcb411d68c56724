/** Every code a {@link ThermalComicError} can carry. */
export type ThermalComicErrorCode = "INVALID_ARGUMENT";

/** The one error class of @tinkerbox/thermal-comic; `code` says what went wrong. */
export class ThermalComicError extends Error {
  override readonly name = "ThermalComicError";
  readonly code: ThermalComicErrorCode;

  constructor(code: ThermalComicErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
