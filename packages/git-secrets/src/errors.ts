/**
 * Every code a {@link GitSecretsError} can carry.
 *
 * | code | meaning | what to do |
 * |---|---|---|
 * | `INVALID_ARGUMENT` | an option or argument is malformed | fix the call |
 * | `NOT_A_REPOSITORY` | `dir` is not inside a git work tree | run in a repository |
 * | `GIT_FAILED` | a git command exited non-zero (see `cause`, `stderr`) | read git's message |
 * | `GIT_TOO_OLD` | git lacks the long-running filter protocol (needs ≥ 2.11) | upgrade git |
 * | `ALREADY_INITIALIZED` | a key of that name already exists in the repository | use another `keyName` or `unlock` |
 * | `KEY_NOT_FOUND` | no key of that name is stored (the repository is locked) | `unlock` with the key file |
 * | `WRONG_KEY` | the blob or file was sealed with another key (both key ids are named) | use the key the message names |
 * | `CORRUPT_BLOB` | an encrypted blob is truncated or was tampered with | restore the blob from a good copy |
 * | `CORRUPT_KEY_FILE` | a key file is truncated, malformed or not a key file | use a good key file |
 * | `UNSUPPORTED_VERSION` | a blob or key file from a newer format version | upgrade @tinkerbox/git-secrets |
 * | `PASSPHRASE_REQUIRED` | the key file is passphrase-protected and no passphrase was given | pass `passphrase` |
 * | `WRONG_PASSPHRASE` | the passphrase does not open the key file | retry with the right passphrase |
 * | `WEAK_PASSPHRASE` | a new passphrase is shorter than the minimum (12 characters) | choose a longer passphrase |
 * | `FILTER_NOT_CONFIGURED` | the repository has a key but no filter configuration in .git/config | run `git-seal unlock` |
 * | `FILTER_CONFIG_STALE` | the filter configuration differs from what this git-seal would write | run `git-seal unlock` to refresh it |
 * | `UNCOMMITTED_CHANGES` | `lock`/`unlock` would overwrite uncommitted changes | commit them, or pass `force` |
 * | `PLAINTEXT_IN_ENCRYPTED_PATH` | strict mode: a path marked encrypted holds a plaintext blob | find who committed it; `git-seal status -f` re-encrypts |
 * | `ALREADY_ENCRYPTED` | content to encrypt already carries a git-seal or git-crypt header | use `git-seal rotate` to re-encrypt under a new key |
 * | `MEMBER_NOT_FOUND` | no sealed repository key for that member (or that private key) | ask a member to `add-user` you |
 * | `PROTOCOL_ERROR` | git spoke the filter protocol in a way this process does not understand | report with git's version |
 * | `FILE_NOT_FOUND` | the path does not exist at that ref | check `ref` and `path` |
 * | `ABORTED` | the `signal` aborted the operation (git was stopped) | nothing; retry when wanted |
 */
export type GitSecretsErrorCode =
  | "INVALID_ARGUMENT"
  | "NOT_A_REPOSITORY"
  | "GIT_FAILED"
  | "GIT_TOO_OLD"
  | "ALREADY_INITIALIZED"
  | "KEY_NOT_FOUND"
  | "WRONG_KEY"
  | "CORRUPT_BLOB"
  | "CORRUPT_KEY_FILE"
  | "UNSUPPORTED_VERSION"
  | "PASSPHRASE_REQUIRED"
  | "WRONG_PASSPHRASE"
  | "WEAK_PASSPHRASE"
  | "FILTER_NOT_CONFIGURED"
  | "FILTER_CONFIG_STALE"
  | "UNCOMMITTED_CHANGES"
  | "PLAINTEXT_IN_ENCRYPTED_PATH"
  | "ALREADY_ENCRYPTED"
  | "MEMBER_NOT_FOUND"
  | "PROTOCOL_ERROR"
  | "FILE_NOT_FOUND"
  | "ABORTED";

const CODES: ReadonlySet<string> = new Set<GitSecretsErrorCode>([
  "INVALID_ARGUMENT",
  "NOT_A_REPOSITORY",
  "GIT_FAILED",
  "GIT_TOO_OLD",
  "ALREADY_INITIALIZED",
  "KEY_NOT_FOUND",
  "WRONG_KEY",
  "CORRUPT_BLOB",
  "CORRUPT_KEY_FILE",
  "UNSUPPORTED_VERSION",
  "PASSPHRASE_REQUIRED",
  "WRONG_PASSPHRASE",
  "WEAK_PASSPHRASE",
  "FILTER_NOT_CONFIGURED",
  "FILTER_CONFIG_STALE",
  "UNCOMMITTED_CHANGES",
  "PLAINTEXT_IN_ENCRYPTED_PATH",
  "ALREADY_ENCRYPTED",
  "MEMBER_NOT_FOUND",
  "PROTOCOL_ERROR",
  "FILE_NOT_FOUND",
  "ABORTED",
]);

/** Every {@link GitSecretsErrorCode}, in the order of the table. */
export const GIT_SECRETS_ERROR_CODES: readonly GitSecretsErrorCode[] = [
  ...CODES,
] as GitSecretsErrorCode[];

/** Extra data a {@link GitSecretsError} may carry so a caller can act on it. */
export interface GitSecretsErrorDetails {
  /** The underlying error. */
  cause?: unknown;
  /** The file or key path concerned. */
  path?: string;
  /** Paths concerned (for example the files with uncommitted changes). */
  paths?: readonly string[];
  /** Key id found in the blob or key file. */
  foundKeyId?: string;
  /** Key ids that were available. */
  expectedKeyIds?: readonly string[];
  /** git's stderr, for `GIT_FAILED`. */
  stderr?: string;
}

/** The one error class of @tinkerbox/git-secrets; `code` says what went wrong. */
export class GitSecretsError extends Error {
  override readonly name = "GitSecretsError";
  readonly code: GitSecretsErrorCode;
  readonly path: string | undefined;
  readonly paths: readonly string[] | undefined;
  readonly foundKeyId: string | undefined;
  readonly expectedKeyIds: readonly string[] | undefined;
  readonly stderr: string | undefined;

  constructor(code: GitSecretsErrorCode, message: string, details: GitSecretsErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.path = details.path;
    this.paths = details.paths;
    this.foundKeyId = details.foundKeyId;
    this.expectedKeyIds = details.expectedKeyIds;
    this.stderr = details.stderr;
  }
}

/**
 * Narrows an unknown error to a {@link GitSecretsError}, optionally with one of `codes`. It also
 * recognises an error from another copy of this package (the ESM and the CommonJS build loaded
 * side by side), where `instanceof` fails: same name, an Error, and a code from the table.
 */
export function isGitSecretsError(
  error: unknown,
  ...codes: GitSecretsErrorCode[]
): error is GitSecretsError {
  const ours =
    error instanceof GitSecretsError ||
    (error instanceof Error &&
      error.name === "GitSecretsError" &&
      typeof (error as { code?: unknown }).code === "string" &&
      CODES.has((error as unknown as { code: string }).code));
  return ours && (codes.length === 0 || codes.includes((error as GitSecretsError).code));
}
