/** Every code a {@link PolargraphError} can carry. */
export type PolargraphErrorCode = "INVALID_ARGUMENT";

/** The one error class of @tinkerbox/polargraph; `code` says what went wrong. */
export class PolargraphError extends Error {
  override readonly name = "PolargraphError";
  readonly code: PolargraphErrorCode;

  constructor(code: PolargraphErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
