export { ThermalComicError, type ThermalComicErrorCode } from "./errors.js";
