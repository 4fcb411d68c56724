export type { Logger } from "../logger.js";
export {
  type AslState,
  type BatchTaskOutput,
  type StateMachineDefinition,
  type StatusTaskInput,
  type SubmitTaskInput,
  stagesOf,
  type ToStateMachineOptions,
  toStateMachine,
} from "./asl.js";
export {
  definePipeline,
  inputReferences,
  type Pipeline,
  type PipelineDefinition,
  type PipelineJob,
  type PipelineJobSpec,
  renderBatch,
  resolveInput,
} from "./define.js";
export {
  type PipelineExecutionJob,
  type PipelineExecutionJobState,
  type PipelineHistoryEvent,
  summarizePipelineHistory,
} from "./history.js";
export {
  type PipelineJobReport,
  type PipelineJobState,
  type PipelineProgressEvent,
  type PipelineReport,
  type RunPipelineOptions,
  runPipeline,
} from "./runner.js";
export { type RenderPipelineSvgOptions, renderPipelineSvg } from "./svg.js";
export {
  type AslValidationError,
  type AslValidationOptions,
  type AslValidationResult,
  validateStateMachine,
} from "./validate.js";
