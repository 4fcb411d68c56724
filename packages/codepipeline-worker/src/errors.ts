/** Every code a {@link CodepipelineWorkerError} can carry. */
export type CodepipelineWorkerErrorCode = "INVALID_ARGUMENT";

/** The one error class of @tinkerbox/codepipeline-worker; `code` says what went wrong. */
export class CodepipelineWorkerError extends Error {
  override readonly name = "CodepipelineWorkerError";
  readonly code: CodepipelineWorkerErrorCode;

  constructor(code: CodepipelineWorkerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
