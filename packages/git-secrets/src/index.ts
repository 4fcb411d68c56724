export { GitSecretsError, type GitSecretsErrorCode } from "./errors.js";
