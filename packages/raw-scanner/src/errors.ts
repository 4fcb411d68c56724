/** Every code a {@link RawScannerError} can carry. */
export type RawScannerErrorCode = "INVALID_ARGUMENT";

/** The one error class of @tinkerbox/raw-scanner; `code` says what went wrong. */
export class RawScannerError extends Error {
  override readonly name = "RawScannerError";
  readonly code: RawScannerErrorCode;

  constructor(code: RawScannerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
