export { CodepipelineWorkerError, type CodepipelineWorkerErrorCode } from "./errors.js";
