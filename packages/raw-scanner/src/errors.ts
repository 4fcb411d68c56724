/**
 * Every code a {@link RawScannerError} can carry.
 *
 * | code | when |
 * |---|---|
 * | `INVALID_ARGUMENT` | an option has the wrong type or is out of range |
 * | `INVALID_TARGET` | an address, CIDR block or range does not parse |
 * | `INVALID_PORT` | a port list or range does not parse or is outside 1–65535 |
 * | `NO_TARGETS` | no explicit target was given, or every target was excluded |
 * | `UNSAFE_TARGET` | every target lies in a reserved range (excluded by default), or the targets cover more than 1,000,000,000 addresses (the whole internet) and no exclude was given |
 * | `RATE_ABOVE_MAX` | `rate` is above `rateCap` |
 * | `INVALID_SOURCE_PORT` | the source-port range is not a power-of-two sized range |
 * | `CONFIG_UNKNOWN_OPTION` | a configuration name or CLI flag is not known (message suggests the closest) |
 * | `CONFIG_INVALID` | a configuration line or value does not parse |
 * | `CONFIG_NOT_FOUND` | a configuration file given with `-c` does not exist |
 * | `RESUME_MISMATCH` | a resume index does not fit the scan it is applied to |
 * | `OUTPUT_PARSE` | a scan file given to `readScan` is not in a known or valid format |
 * | `OUTPUT_WRITE` | an output file could not be written (nothing partial is left behind) |
 * | `NATIVE_UNAVAILABLE` | `backend: 'native'` was asked for (or forced by `RAW_SCANNER_BACKEND`) and cannot run: no addon for this platform, no CAP_NET_RAW, IPv6 targets |
 * | `OS_QUERY` | the OS ephemeral port range could not be read |
 * | `FIREWALL` | `raw-scan firewall --apply` could not install or remove the rule or the port reservation (tool missing, no permission, pf) |
 * | `ABORTED` | the scan was cancelled through its `signal` |
 */
export const RAW_SCANNER_ERROR_CODES = [
  "INVALID_ARGUMENT",
  "INVALID_TARGET",
  "INVALID_PORT",
  "NO_TARGETS",
  "UNSAFE_TARGET",
  "RATE_ABOVE_MAX",
  "INVALID_SOURCE_PORT",
  "CONFIG_UNKNOWN_OPTION",
  "CONFIG_INVALID",
  "CONFIG_NOT_FOUND",
  "RESUME_MISMATCH",
  "OUTPUT_PARSE",
  "OUTPUT_WRITE",
  "NATIVE_UNAVAILABLE",
  "OS_QUERY",
  "FIREWALL",
  "ABORTED",
] as const;

/** One of {@link RAW_SCANNER_ERROR_CODES}; the table above says when each is thrown. */
export type RawScannerErrorCode = (typeof RAW_SCANNER_ERROR_CODES)[number];

/** Extra data a caller can act on. */
export interface RawScannerErrorDetails {
  /** The underlying error. */
  cause?: unknown;
  /** The offending input (a target, port spec, option name…). */
  input?: string;
  /** For `CONFIG_UNKNOWN_OPTION`: the closest known name. */
  suggestion?: string;
  /** For configuration errors: file and line. */
  path?: string;
  line?: number;
  /** For `UNSAFE_TARGET`: how many addresses the request covers. */
  addressCount?: bigint;
}

/** The one error class of @tinkerbox/raw-scanner; `code` says what went wrong. */
export class RawScannerError extends Error {
  override readonly name = "RawScannerError";
  readonly code: RawScannerErrorCode;
  readonly input: string | undefined;
  readonly suggestion: string | undefined;
  readonly path: string | undefined;
  readonly line: number | undefined;
  readonly addressCount: bigint | undefined;

  constructor(code: RawScannerErrorCode, message: string, details: RawScannerErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.input = details.input;
    this.suggestion = details.suggestion;
    this.path = details.path;
    this.line = details.line;
    this.addressCount = details.addressCount;
  }
}

/**
 * Whether `value` is a {@link RawScannerError}, optionally with one of `codes`.
 *
 * @example
 * ```ts
 * if (isRawScannerError(error, "UNSAFE_TARGET")) console.error(error.message);
 * ```
 */
export function isRawScannerError(
  value: unknown,
  ...codes: RawScannerErrorCode[]
): value is RawScannerError {
  return value instanceof RawScannerError && (codes.length === 0 || codes.includes(value.code));
}
