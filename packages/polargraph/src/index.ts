export {
  marlinChecksum,
  type PlotterJob,
  type PlotterProtocol,
  type StreamOptions,
  type StreamProgressEvent,
  type StreamResult,
  streamToPlotter,
} from "./adapters/stream.js";
export {
  openSerialTransport,
  openTcpTransport,
  type PlotterTransport,
  type SerialTransportOptions,
  type TcpTransportOptions,
} from "./adapters/transport.js";
export {
  type FlowFieldOptions,
  type FlowFieldProgressEvent,
  renderFlowField,
} from "./art/flowfield.js";
export {
  type CrosshatchOptions,
  type Placement,
  type PlacementOptions,
  placeGrid,
  renderCrosshatch,
  renderSineLines,
  renderSpiral,
  renderSquareWave,
  renderSquiggle,
  type SineLinesOptions,
  type SpiralOptions,
  type SquareWaveOptions,
  type SquiggleOptions,
  seededRandom,
} from "./art/renderers.js";
export { randomSpirographOptions, type SpirographOptions, spirograph } from "./art/spirograph.js";
export {
  renderStipples,
  type StippleDotsOptions,
  type StippleOptions,
  type StippleProgressEvent,
  type Stipples,
  stipplePoints,
} from "./art/stipple.js";
export {
  renderSingleLine,
  type SingleLineOptions,
  type TourOptions,
  type TourProgressEvent,
  type TourResult,
  tspTour,
} from "./art/tour.js";
export { boundsOf, fitToPage } from "./core/fit.js";
export { distanceToSegment, type Point, type Polyline, polylineLength } from "./core/geometry.js";
export { type GreyGrid, type GreyGridOptions, greyGridFromPixels } from "./core/grey.js";
export {
  type CordLengths,
  type CordPosition,
  lengthToSteps,
  spoolRadiusAt,
  stepsToLength,
  stepsToXY,
  toCords,
  toXY,
} from "./core/kinematics.js";
export {
  drawableRect,
  exampleMachine,
  type Machine,
  type MachineInput,
  type MotorLimits,
  machineToPage,
  mmPerStep,
  type PenSettings,
  pageToMachine,
  parseMachine,
  type Rect,
  type WorkspaceLimits,
} from "./core/machine.js";
export {
  mergeLines,
  type OptimizeOptions,
  type OptimizeResult,
  optimizePaths,
  type PathStats,
  pathStats,
  simplifyLine,
  sortLines,
} from "./core/optimize.js";
export {
  clipPolyline,
  type PenChange,
  type Plan,
  type PlannedMove,
  type PlanOptions,
  type PlanProgressEvent,
  type PlanStep,
  type PlanWarning,
  planDrawing,
} from "./core/planner.js";
export { cordLinearDeviation, DEFAULT_TOLERANCE, segmentLine } from "./core/segment.js";
export {
  analyseWorkspace,
  checkPoint,
  cordTensions,
  type PointReport,
  type Resolution,
  resolutionAt,
  type Tensions,
  type WorkspaceIssue,
  type WorkspaceMap,
  type WorkspaceOptions,
  workspaceSvg,
} from "./core/workspace.js";
export {
  isPolargraphError,
  PolargraphError,
  type PolargraphErrorCode,
  type PolargraphErrorData,
} from "./errors.js";
export { type LoadImageOptions, loadImageGrid } from "./input/image.js";
export { formatPolylines, parsePolylines } from "./input/polylines.js";
export { parseSvg, type SvgDrawing, type SvgInputOptions } from "./input/svg.js";
export { type Logger, silentLogger } from "./logger.js";
export {
  type GrblOutputOptions,
  type MarlinOutputOptions,
  toGrbl,
  toMarlin,
} from "./output/gcode.js";
export {
  POLARGRAPH_MAX_COMMAND_LENGTH,
  type PolargraphOutputOptions,
  toPolargraph,
} from "./output/polargraph.js";
export { planToSvg, type SvgPreviewOptions, strokesToSvg } from "./output/svg.js";
