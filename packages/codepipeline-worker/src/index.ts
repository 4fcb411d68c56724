export type { ArtifactCredentials, ArtifactS3Config, S3Location } from "./adapters/s3.js";
export {
  type ExtractResult,
  extractZip,
  type ZipLimits,
  zipDirectory,
} from "./adapters/zip.js";
export {
  ACTION_TYPE_LIMITS,
  type ActionCategory,
  type ActionDefinition,
  type ActionDefinitionInput,
  type ActionHandler,
  type ActionSettings,
  type ActionTypeId,
  type ArtifactCount,
  type ConfigurationOf,
  type ConfigurationProperty,
  type ConfigurationPropertyType,
  type ConfigurationValueOf,
  defineAction,
  type HandlerResult,
  isActionDefinition,
  validateActionDefinition,
} from "./core/action.js";
export {
  type CreateCustomActionTypeBody,
  diffActionType,
  type RegisteredActionType,
  toCreateCustomActionTypeBody,
} from "./core/action-type.js";
export { parseConfiguration } from "./core/config.js";
export type {
  InputArtifact,
  JobContext,
  Logger,
  OutputArtifact,
  PipelineInfo,
} from "./core/context.js";
export { REDACTED, redact, redactingLogger } from "./core/redact.js";
export {
  type FailureDetails,
  type FailureType,
  JOB_API_LIMITS,
  jobFailure,
  type SuccessResult,
  toFailureDetails,
  toSuccessResult,
} from "./core/results.js";
export {
  CodepipelineWorkerError,
  type CodepipelineWorkerErrorCode,
  type CodepipelineWorkerErrorDetails,
  isCodepipelineWorkerError,
} from "./errors.js";
export {
  type RegisterActionTypeOptions,
  type RegisterActionTypeResult,
  registerActionType,
} from "./register.js";
export type { JobProgressEvent } from "./worker/run-job.js";
export {
  createWorker,
  type JobEvent,
  type JobOutcome,
  type Worker,
  type WorkerOptions,
  type WorkerStats,
} from "./worker/worker.js";
