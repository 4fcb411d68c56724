export type { GreyBitmap } from "./core/bitmap.js";
export type { Point, Polygon, Rect } from "./core/geometry.js";
export {
  type Layout,
  layoutFromTemplate,
  type Panel,
  type RandomLayoutOptions,
  randomLayout,
  type TemplateLayout,
} from "./core/layout.js";
export { createRandom, type Random, type Seed } from "./core/random.js";
export { type DetectPanelsOptions, detectPanels } from "./core/template.js";
export {
  isThermalComicError,
  ThermalComicError,
  type ThermalComicErrorCode,
  type ThermalComicErrorData,
} from "./errors.js";
export type { Logger } from "./logger.js";
