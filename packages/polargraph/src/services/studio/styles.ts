// The studio's style registry: each picture style the package exports, with the parameters a
// person can set and their defaults. Pure (no Node APIs): the browser's preview worker and the
// server both read it. A new renderer in src/art/ becomes a studio style by adding one entry here.

import { renderFlowField } from "../../art/flowfield.js";
import {
  type PlacementOptions,
  renderCrosshatch,
  renderSineLines,
  renderSpiral,
  renderSquareWave,
  renderSquiggle,
} from "../../art/renderers.js";
import { renderStipples } from "../../art/stipple.js";
import { renderSingleLine } from "../../art/tour.js";
import type { Polyline } from "../../core/geometry.js";
import type { GreyGrid, GreyGridOptions } from "../../core/grey.js";
import type { Machine } from "../../core/machine.js";
import { PolargraphError } from "../../errors.js";

/** One parameter of a style, as the studio's form shows it. */
export interface StyleParam {
  /** Option name passed to the renderer (or to the grey grid for the picture options). */
  name: string;
  /** Short label for the form. */
  label: string;
  /** What it does, shown as the field's help. */
  description: string;
  /** `number` and `integer` are checked against `min`/`max`; `numbers` is a comma-separated list. */
  type: "number" | "integer" | "boolean" | "numbers";
  /** The renderer's default; `undefined` means the renderer works it out (`auto` says how). */
  default: number | boolean | number[] | undefined;
  /** How an unset parameter is worked out, when `default` is undefined. */
  auto?: string;
  /** Smallest accepted value. */
  min?: number;
  /** Largest accepted value. */
  max?: number;
  /** Step of the form's spinner. */
  step?: number;
}

/** A renderer as the studio offers it. */
export interface StudioStyle {
  /** Identifier (the CLI's `--style` name). */
  name: string;
  label: string;
  description: string;
  /** The style's own parameters (the picture parameters of {@link PICTURE_PARAMS} come on top). */
  params: StyleParam[];
  /** Renders a grid to polylines in page mm. */
  render(machine: Machine, grid: GreyGrid, options: Record<string, unknown>): Polyline[];
}

/** Parameter values by name; unset ones take the default. */
export type StyleValues = Record<string, number | boolean | number[] | undefined>;

/** Picture parameters every style shares: the grey grid's and the placement's. */
export const PICTURE_PARAMS: readonly StyleParam[] = [
  {
    name: "columns",
    label: "cells across",
    description: "Cells across the picture; each cell's darkness drives the line.",
    type: "integer",
    default: 60,
    min: 2,
    max: 400,
    step: 1,
  },
  {
    name: "gamma",
    label: "gamma",
    description: "Mid-tone gamma: above 1 lightens, below 1 darkens.",
    type: "number",
    default: 1,
    min: 0.1,
    max: 10,
    step: 0.1,
  },
  {
    name: "contrast",
    label: "contrast",
    description: "Contrast multiplier around mid-grey.",
    type: "number",
    default: 1,
    min: 0,
    max: 10,
    step: 0.1,
  },
  {
    name: "invert",
    label: "invert",
    description: "Swap dark and light (white ink on dark paper).",
    type: "boolean",
    default: false,
  },
  {
    name: "width",
    label: "width mm",
    description: "Width of the picture on the page, mm.",
    type: "number",
    default: undefined,
    auto: "as large as fits the page less its margins",
    min: 1,
    max: 10000,
    step: 1,
  },
  {
    name: "seed",
    label: "seed",
    description: "Seed of the style's random choices; the same seed draws the same lines.",
    type: "integer",
    default: 1,
    min: 0,
    max: 2 ** 32 - 1,
    step: 1,
  },
];

const step = (label: string, def: number): StyleParam => ({
  name: "step",
  label: "step mm",
  description: `Longest straight piece along ${label}, mm.`,
  type: "number",
  default: def,
  min: 0.01,
  max: 10,
  step: 0.05,
});

const stipplePoints: StyleParam = {
  name: "points",
  label: "stipples",
  description: "Number of stipples.",
  type: "integer",
  default: 2000,
  min: 1,
  max: 100000,
  step: 100,
};

const stippleIterations: StyleParam = {
  name: "iterations",
  label: "relaxation steps",
  description: "Lloyd relaxation iterations; more give evener dots.",
  type: "integer",
  default: 30,
  min: 0,
  max: 500,
  step: 1,
};

type Renderer<O> = (machine: Machine, grid: GreyGrid, options?: O) => Polyline[];
const as =
  <O>(render: Renderer<O>) =>
  (machine: Machine, grid: GreyGrid, options: Record<string, unknown>) =>
    render(machine, grid, options as O);

/** Every picture style, in the order the studio lists them. */
export const STUDIO_STYLES: readonly StudioStyle[] = [
  {
    name: "square-wave",
    label: "Square wave",
    description:
      "The Polargraph controller's pixel style: rows of square waves, more cycles where darker.",
    params: [
      {
        name: "penWidth",
        label: "pen width mm",
        description: "Pen line width; the densest cell packs cycles one pen width apart.",
        type: "number",
        default: 0.5,
        min: 0.05,
        max: 10,
        step: 0.05,
      },
      {
        name: "rowGap",
        label: "row gap",
        description: "Fraction of the cell height kept free between rows.",
        type: "number",
        default: 0.1,
        min: 0,
        max: 0.9,
        step: 0.05,
      },
    ],
    render: as(renderSquareWave),
  },
  {
    name: "squiggle",
    label: "Squiggle",
    description: "Polargraph scribble: each row visits random points, more where darker.",
    params: [
      {
        name: "maxPoints",
        label: "points per black cell",
        description: "Random points in a black cell; a cell of darkness d gets round(d × this).",
        type: "integer",
        default: 8,
        min: 1,
        max: 100,
        step: 1,
      },
    ],
    render: as(renderSquiggle),
  },
  {
    name: "spiral",
    label: "Spiral",
    description: "One Archimedean spiral that wiggles wider where the picture is darker.",
    params: [
      {
        name: "turnSpacing",
        label: "turn spacing mm",
        description: "Distance between turns of the spiral, mm.",
        type: "number",
        default: undefined,
        auto: "1.5 × the cell width",
        min: 0.1,
        max: 100,
        step: 0.1,
      },
      {
        name: "wavelength",
        label: "wavelength mm",
        description: "Length of one wiggle along the spiral, mm.",
        type: "number",
        default: 1,
        min: 0.05,
        max: 100,
        step: 0.1,
      },
      step("the spiral", 0.25),
    ],
    render: as(renderSpiral),
  },
  {
    name: "sine",
    label: "Sine lines",
    description: "SquiggleDraw: scan lines whose amplitude and frequency rise with darkness.",
    params: [
      {
        name: "lineSpacing",
        label: "line spacing mm",
        description: "Distance between scan lines, mm.",
        type: "number",
        default: undefined,
        auto: "the cell height",
        min: 0.1,
        max: 100,
        step: 0.1,
      },
      {
        name: "minFrequency",
        label: "wiggles/mm on white",
        description: "Wiggles per mm on white paper.",
        type: "number",
        default: 0.05,
        min: 0,
        max: 20,
        step: 0.05,
      },
      {
        name: "maxFrequency",
        label: "wiggles/mm on black",
        description: "Wiggles per mm on black.",
        type: "number",
        default: 1,
        min: 0,
        max: 20,
        step: 0.05,
      },
      step("a scan line", 0.2),
    ],
    render: as(renderSineLines),
  },
  {
    name: "crosshatch",
    label: "Crosshatch",
    description: "Layers of parallel lines; darker tones get more crossing layers.",
    params: [
      {
        name: "spacing",
        label: "spacing mm",
        description: "Distance between hatch lines, mm.",
        type: "number",
        default: 1.5,
        min: 0.1,
        max: 100,
        step: 0.1,
      },
      {
        name: "angles",
        label: "angles °",
        description: "Hatch directions in degrees, one layer each, comma-separated.",
        type: "numbers",
        default: [45, 135, 0, 90],
        min: -360,
        max: 360,
      },
      step("a hatch line", 0.25),
    ],
    render: as(renderCrosshatch),
  },
  {
    name: "stipple",
    label: "Stipples",
    description:
      "Weighted Voronoi stippling: dots relaxed towards the darkness-weighted centres of their cells.",
    params: [
      stipplePoints,
      stippleIterations,
      {
        name: "dotRadius",
        label: "dot radius mm",
        description: "Radius of a dot's circle over black, mm.",
        type: "number",
        default: 0.4,
        min: 0.01,
        max: 20,
        step: 0.05,
      },
      {
        name: "minDotRadius",
        label: "dot radius over white mm",
        description: "Radius over white paper, mm; radii grow linearly with darkness in between.",
        type: "number",
        default: undefined,
        auto: "the same as the dot radius",
        min: 0.01,
        max: 20,
        step: 0.05,
      },
    ],
    render: as(renderStipples),
  },
  {
    name: "single-line",
    label: "Single line (TSP art)",
    description:
      "One continuous line through the stipples: nearest neighbour, then 2-opt and Or-opt.",
    params: [stipplePoints, stippleIterations],
    render: as(renderSingleLine),
  },
  {
    name: "flow-field",
    label: "Flow field",
    description:
      "Evenly spaced lines following a seeded noise field, closer together where darker.",
    params: [
      {
        name: "minSpacing",
        label: "spacing over black mm",
        description: "Distance between neighbouring lines over black, mm.",
        type: "number",
        default: 1,
        min: 0.1,
        max: 50,
        step: 0.1,
      },
      {
        name: "maxSpacing",
        label: "widest spacing mm",
        description: "Widest distance between neighbouring lines, mm.",
        type: "number",
        default: undefined,
        auto: "5 × the spacing over black",
        min: 0.1,
        max: 200,
        step: 0.5,
      },
      {
        name: "minDarkness",
        label: "lightest darkness drawn",
        description: "Lines stop where the picture is lighter than this darkness (0–1).",
        type: "number",
        default: 0.08,
        min: 0,
        max: 1,
        step: 0.01,
      },
    ],
    render: as(renderFlowField),
  },
];

/** The style of that name; `INVALID_ARGUMENT` (listing the styles) when there is none. */
export function findStyle(name: string): StudioStyle {
  const style = STUDIO_STYLES.find((s) => s.name === name);
  if (!style)
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `unknown style "${name}"; the styles are ${STUDIO_STYLES.map((s) => s.name).join(", ")}`,
    );
  return style;
}

function check(param: StyleParam, value: unknown): number | boolean | number[] | undefined {
  const bad = (what: string) =>
    new PolargraphError("INVALID_ARGUMENT", `${param.label} (${param.name}) ${what}`, {
      path: param.name,
    });
  if (value === undefined || value === null || value === "") return param.default;
  if (param.type === "boolean") {
    if (typeof value !== "boolean") throw bad(`must be true or false, got ${String(value)}`);
    return value;
  }
  const inRange = (n: number) => {
    if (typeof n !== "number" || !Number.isFinite(n))
      throw bad(`must be a number, got ${JSON.stringify(n)}`);
    if (param.type === "integer" && !Number.isInteger(n))
      throw bad(`must be a whole number, got ${n}`);
    if (param.min !== undefined && n < param.min)
      throw bad(`must be at least ${param.min}, got ${n}`);
    if (param.max !== undefined && n > param.max)
      throw bad(`must be at most ${param.max}, got ${n}`);
    return n;
  };
  if (param.type === "numbers") {
    if (!Array.isArray(value) || value.length === 0)
      throw bad("must be a list of at least one number");
    return value.map(inRange);
  }
  return inRange(value as number);
}

/** Style and picture parameters, checked and with defaults filled in. */
export interface ResolvedStyle {
  style: StudioStyle;
  /** Options of the grey grid (columns, gamma, contrast, invert). */
  grid: GreyGridOptions;
  /** Options passed to the renderer (placement, seed and the style's own). */
  render: PlacementOptions & Record<string, unknown>;
}

/**
 * Checks parameter values against a style's schema and fills in defaults. Throws
 * `INVALID_ARGUMENT` with `path` = the parameter name for a value of the wrong type or out of
 * range, or for a parameter the style does not have.
 */
export function resolveStyle(name: string, values: StyleValues = {}): ResolvedStyle {
  const style = findStyle(name);
  const all = [...PICTURE_PARAMS, ...style.params];
  for (const key of Object.keys(values))
    if (!all.some((p) => p.name === key))
      throw new PolargraphError(
        "INVALID_ARGUMENT",
        `style ${name} has no parameter "${key}"; it takes ${all.map((p) => p.name).join(", ")}`,
        { path: key },
      );
  const v = (p: StyleParam) => check(p, values[p.name]);
  const picture = Object.fromEntries(PICTURE_PARAMS.map((p) => [p.name, v(p)]));
  const render: Record<string, unknown> = {
    width: picture.width,
    seed: picture.seed,
  };
  for (const p of style.params) {
    const value = v(p);
    if (value !== undefined) render[p.name] = value;
  }
  return {
    style,
    grid: {
      columns: picture.columns as number,
      gamma: picture.gamma as number,
      contrast: picture.contrast as number,
      invert: picture.invert as boolean,
    },
    render,
  };
}
