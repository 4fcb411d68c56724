export { RawScannerError, type RawScannerErrorCode } from "./errors.js";
