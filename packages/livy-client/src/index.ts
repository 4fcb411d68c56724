export { LivyClientError, type LivyClientErrorCode } from "./errors.js";
