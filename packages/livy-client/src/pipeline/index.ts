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
  type PipelineJobReport,
  type PipelineJobState,
  type PipelineProgressEvent,
  type PipelineReport,
  type RunPipelineOptions,
  runPipeline,
} from "./runner.js";
