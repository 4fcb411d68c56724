/** Every code a {@link LivyClientError} can carry. */
export type LivyClientErrorCode = "INVALID_ARGUMENT";

/** The one error class of @tinkerbox/livy-client; `code` says what went wrong. */
export class LivyClientError extends Error {
  override readonly name = "LivyClientError";
  readonly code: LivyClientErrorCode;

  constructor(code: LivyClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
