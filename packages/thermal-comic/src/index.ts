export { examplePoolDir } from "./adapters/assets.js";
export { FALLBACK_FAMILIES, type FontOption, SHIPPED_FONT_FAMILY } from "./adapters/font.js";
export { type RenderPaperOptions, renderPaper } from "./adapters/paper.js";
export {
  type LoadPoolOptions,
  loadPool,
  POOL_IMAGE_EXTENSIONS,
  type Pool,
  type PoolImage,
  type PoolSource,
  type ReadGreyImageOptions,
  readGreyImage,
} from "./adapters/pool.js";
export { type ComicTemplate, loadTemplate } from "./adapters/template.js";
export {
  type PrintProgressEvent,
  queryPrinterStatus,
  type ReconnectOptions,
  type SendOptions,
  type SendResult,
  type SerialOptions,
  type StatusOptions,
  sendToPrinter,
} from "./adapters/transport.js";
export {
  type BalloonScript,
  type ComicLayout,
  type ComicPanel,
  type ComposeOptions,
  type ComposePhase,
  type ComposeProgressEvent,
  type ComposeResult,
  composeComic,
  type PanelScript,
} from "./compose.js";
export type { GreyBitmap } from "./core/bitmap.js";
export {
  bayerMatrix,
  DITHER_METHODS,
  type DitherMethod,
  type DitherOptions,
  dither,
  isBlack,
  type MonoBitmap,
} from "./core/dither.js";
export {
  bandHeights,
  type EscPosBlock,
  type EscPosJob,
  type EscPosOptions,
  encodeEscPos,
  encodeEscPosJob,
  encodeText,
  escPosJobBytes,
  resolveProfile,
} from "./core/escpos.js";
export {
  type DecodedPaper,
  type DecodeOptions,
  decodeEscPos,
  type UnknownCommand,
} from "./core/escpos-decode.js";
export {
  describeStatus,
  isStatusByte,
  type PrinterStatus,
  parseStatus,
  type StatusKind,
  statusQuery,
} from "./core/escpos-status.js";
export { type Placement, placeImage } from "./core/fit.js";
export type { Point, Polygon, Rect } from "./core/geometry.js";
export {
  type Layout,
  layoutFromTemplate,
  type Panel,
  type RandomLayoutOptions,
  randomLayout,
  type TemplateLayout,
} from "./core/layout.js";
export {
  ASPECT_RANGES,
  type AspectRule,
  type ImageMetadata,
  type ResolvedMetadata,
  resolveMetadata,
} from "./core/metadata.js";
export { downsample, encodeGreyPng, type GreyPngOptions } from "./core/png.js";
export { PRINTER_PROFILES, type PrinterProfile } from "./core/profiles.js";
export { createRandom, type Random, type Seed } from "./core/random.js";
export { type DetectPanelsOptions, detectPanels } from "./core/template.js";
export {
  isThermalComicError,
  ThermalComicError,
  type ThermalComicErrorCode,
  type ThermalComicErrorData,
} from "./errors.js";
export type { Logger } from "./logger.js";
