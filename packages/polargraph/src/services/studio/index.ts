/**
 * `@tinkerbox/polargraph/studio`: the plotter studio, a loopback web app (`startStudio`) with
 * its style catalogue, previews, stroke optimisation, plot jobs and machine files.
 *
 * @module studio
 */
export { planCommands } from "./encode.js";
export {
  type PlotJobState,
  type PlotJobStatus,
  PlotJobs,
  type PlotJobsOptions,
  type PlotProgram,
  type PlotTarget,
} from "./jobs.js";
export { loadMachineFile, saveMachineFile } from "./machine-file.js";
export {
  type GreyPixels,
  optimizeStrokes,
  previewDrawing,
  previewPicture,
  previewStrokes,
  type StudioPreview,
} from "./preview.js";
export {
  STUDIO_TOKEN_HEADER,
  type Studio,
  type StudioOptions,
  start,
  startStudio,
} from "./server.js";
export {
  findStyle,
  PICTURE_PARAMS,
  type ResolvedStyle,
  resolveStyle,
  STUDIO_STYLES,
  type StudioStyle,
  type StyleParam,
  type StyleValues,
} from "./styles.js";
