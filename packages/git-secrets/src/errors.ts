/** Every code a {@link GitSecretsError} can carry. */
export type GitSecretsErrorCode = "INVALID_ARGUMENT";

/** The one error class of @tinkerbox/git-secrets; `code` says what went wrong. */
export class GitSecretsError extends Error {
  override readonly name = "GitSecretsError";
  readonly code: GitSecretsErrorCode;

  constructor(code: GitSecretsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
