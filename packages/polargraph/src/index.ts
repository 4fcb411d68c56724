export { PolargraphError, type PolargraphErrorCode } from "./errors.js";
