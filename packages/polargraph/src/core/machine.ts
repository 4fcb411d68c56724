import { PolargraphError } from "../errors.js";
import type { Point } from "./geometry.js";

/** Speed and acceleration limits of one motor, in millimetres of cord. */
export interface MotorLimits {
  /** Top cord speed in mm/s. */
  maxSpeed: number;
  /** Top cord acceleration in mm/s². */
  maxAcceleration: number;
}

/** The pen lift: servo angles in degrees and the time each move takes. */
export interface PenSettings {
  /** Servo angle with the pen up. @defaultValue 90 */
  upAngle: number;
  /** Servo angle with the pen down. @defaultValue 40 */
  downAngle: number;
  /** Time to lift the pen, ms. @defaultValue 150 */
  upDelayMs: number;
  /** Time to lower the pen, ms. @defaultValue 250 */
  downDelayMs: number;
}

/** Bounds that make a point part of the good drawing area. */
export interface WorkspaceLimits {
  /** Mass of the gondola with its pen, grams (tensions in newtons are reported for it). @defaultValue 400 */
  gondolaMassG: number;
  /** Lowest cord tension as a fraction of the gondola's weight; below it the cord is nearly slack. @defaultValue 0.25 */
  minTension: number;
  /** Highest cord tension as a fraction of the weight; above it motors skip and cords stretch. @defaultValue 1.5 */
  maxTension: number;
  /**
   * Coarsest acceptable resolution: the largest move in x or y, in mm, that one step of each motor
   * can make. @defaultValue four times the nominal cord millimetres per step
   */
  maxMmPerStep: number;
}

/** A rectangle in machine millimetres. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * A hanging-pen (polargraph) machine. Coordinates are machine millimetres: the origin is the left
 * motor's cord pivot, x grows to the right, y grows downwards (as in SVG); the right pivot is at
 * (`motorDistance`, 0).
 */
export interface Machine {
  /** A label for reports. @defaultValue "polargraph" */
  name: string;
  /** Distance between the two cord pivots, mm. */
  motorDistance: number;
  /** Full steps per motor revolution (200 for a 1.8° stepper). */
  stepsPerRevolution: number;
  /** Microsteps per full step set on the driver. @defaultValue 1 */
  microstepping: number;
  /** Effective spool (or pulley) diameter at the home position, mm. */
  spoolDiameter: number;
  /**
   * Cord thickness, mm: the spool radius grows by this much for each turn wound on (spool build-up).
   * 0 for a toothed pulley and bead chain. @defaultValue 0
   */
  cordThickness: number;
  /**
   * Where the cords attach relative to the pen tip: each cord ends `x` mm to its side of the pen
   * and `y` mm above it (the gondola is assumed to hang level). @defaultValue \{ x: 0, y: 0 \}
   */
  penOffset: Point;
  /** Pen position (machine mm) where the cord lengths are known at power-on. */
  home: Point;
  /** The page: top-left corner (machine mm), width and height. */
  page: Rect;
  /** Margins inside the page that are not drawn on, mm. @defaultValue all 0 */
  margins: { top: number; right: number; bottom: number; left: number };
  /** Limits of the left and right motors. */
  motors: { left: MotorLimits; right: MotorLimits };
  /** Pen speed while drawing, mm/s along the paper. @defaultValue 50 */
  drawSpeed: number;
  /** Pen speed while travelling pen-up, mm/s along the paper. @defaultValue 150 */
  travelSpeed: number;
  /** Junction deviation for cornering (as in grbl), mm of cord. @defaultValue 0.05 */
  junctionDeviation: number;
  /** Pen servo angles and delays. */
  pen: PenSettings;
  /** Bounds of the good drawing area. */
  workspace: WorkspaceLimits;
}

/** The JSON form of a machine: the required fields, and any optional ones to override. */
export type MachineInput = Pick<
  Machine,
  "motorDistance" | "stepsPerRevolution" | "spoolDiameter" | "home" | "page" | "motors"
> &
  Partial<
    Omit<
      Machine,
      | "motorDistance"
      | "stepsPerRevolution"
      | "spoolDiameter"
      | "home"
      | "page"
      | "motors"
      | "pen"
      | "workspace"
      | "margins"
    >
  > & {
    pen?: Partial<PenSettings>;
    workspace?: Partial<WorkspaceLimits>;
    margins?: Partial<Machine["margins"]>;
  };

/** Nominal millimetres of cord per motor step at the home spool diameter. */
export function mmPerStep(machine: Machine): number {
  return (Math.PI * machine.spoolDiameter) / (machine.stepsPerRevolution * machine.microstepping);
}

/** The drawable rectangle: the page less its margins, in machine mm. */
export function drawableRect(machine: Machine): Rect {
  const { page, margins } = machine;
  return {
    x: page.x + margins.left,
    y: page.y + margins.top,
    width: page.width - margins.left - margins.right,
    height: page.height - margins.top - margins.bottom,
  };
}

/** Page mm (origin at the page's top-left corner) to machine mm. */
export function pageToMachine(machine: Machine, p: Point): Point {
  return { x: p.x + machine.page.x, y: p.y + machine.page.y };
}

/** Machine mm to page mm. */
export function machineToPage(machine: Machine, p: Point): Point {
  return { x: p.x - machine.page.x, y: p.y - machine.page.y };
}

function fail(path: string, message: string): never {
  throw new PolargraphError("INVALID_MACHINE", `machine${path ? `.${path}` : ""}: ${message}`, {
    path,
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

type NumberRule = { min?: number; minExclusive?: number; integer?: boolean; max?: number };

function num(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  rule: NumberRule,
  fallback?: number,
): number {
  const full = path ? `${path}.${key}` : key;
  const v = obj[key];
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    fail(full, "is required");
  }
  if (typeof v !== "number" || !Number.isFinite(v))
    fail(full, `must be a finite number, got ${JSON.stringify(v)}`);
  if (rule.integer && !Number.isInteger(v)) fail(full, `must be an integer, got ${v}`);
  if (rule.min !== undefined && v < rule.min) fail(full, `must be at least ${rule.min}, got ${v}`);
  if (rule.minExclusive !== undefined && v <= rule.minExclusive)
    fail(full, `must be greater than ${rule.minExclusive}, got ${v}`);
  if (rule.max !== undefined && v > rule.max) fail(full, `must be at most ${rule.max}, got ${v}`);
  return v;
}

function obj(
  parent: Record<string, unknown>,
  key: string,
  path: string,
  optional: boolean,
): Record<string, unknown> {
  const full = path ? `${path}.${key}` : key;
  const v = parent[key];
  if (v === undefined && optional) return {};
  if (!isObject(v)) fail(full, v === undefined ? "is required" : "must be an object");
  return v;
}

const KNOWN = new Set([
  "name",
  "motorDistance",
  "stepsPerRevolution",
  "microstepping",
  "spoolDiameter",
  "cordThickness",
  "penOffset",
  "home",
  "page",
  "margins",
  "motors",
  "drawSpeed",
  "travelSpeed",
  "junctionDeviation",
  "pen",
  "workspace",
  "$schema",
]);

/**
 * Validates a machine model (parsed JSON or an object) and fills the optional fields with their
 * defaults. Throws `INVALID_MACHINE` naming the first offending field in `path`; unknown fields
 * are rejected so a typo does not silently fall back to a default.
 */
export function parseMachine(input: unknown): Machine {
  if (typeof input === "string") {
    try {
      input = JSON.parse(input);
    } catch (cause) {
      throw new PolargraphError(
        "INVALID_MACHINE",
        `machine: not valid JSON (${(cause as Error).message})`,
        { cause, path: "" },
      );
    }
  }
  if (!isObject(input)) fail("", "must be a JSON object");
  for (const key of Object.keys(input)) if (!KNOWN.has(key)) fail(key, "is not a machine field");
  const name = input.name === undefined ? "polargraph" : input.name;
  if (typeof name !== "string") fail("name", "must be a string");
  const motorDistance = num(input, "motorDistance", "", { minExclusive: 0 });
  const stepsPerRevolution = num(input, "stepsPerRevolution", "", { min: 1, integer: true });
  const microstepping = num(input, "microstepping", "", { min: 1, integer: true }, 1);
  const spoolDiameter = num(input, "spoolDiameter", "", { minExclusive: 0 });
  const cordThickness = num(input, "cordThickness", "", { min: 0 }, 0);
  const po = obj(input, "penOffset", "", true);
  const penOffset = {
    x: num(po, "x", "penOffset", { min: 0 }, 0),
    y: num(po, "y", "penOffset", { min: 0 }, 0),
  };
  if (2 * penOffset.x >= motorDistance)
    fail("penOffset.x", "must be less than half of motorDistance");
  const h = obj(input, "home", "", false);
  const home = { x: num(h, "x", "home", {}), y: num(h, "y", "home", { minExclusive: 0 }) };
  const pg = obj(input, "page", "", false);
  const page = {
    x: num(pg, "x", "page", {}),
    y: num(pg, "y", "page", { minExclusive: 0 }),
    width: num(pg, "width", "page", { minExclusive: 0 }),
    height: num(pg, "height", "page", { minExclusive: 0 }),
  };
  const mg = obj(input, "margins", "", true);
  const margins = {
    top: num(mg, "top", "margins", { min: 0 }, 0),
    right: num(mg, "right", "margins", { min: 0 }, 0),
    bottom: num(mg, "bottom", "margins", { min: 0 }, 0),
    left: num(mg, "left", "margins", { min: 0 }, 0),
  };
  if (margins.left + margins.right >= page.width)
    fail("margins", "left + right must be less than page.width");
  if (margins.top + margins.bottom >= page.height)
    fail("margins", "top + bottom must be less than page.height");
  const mo = obj(input, "motors", "", false);
  const motor = (side: "left" | "right"): MotorLimits => {
    const m = obj(mo, side, "motors", false);
    return {
      maxSpeed: num(m, "maxSpeed", `motors.${side}`, { minExclusive: 0 }),
      maxAcceleration: num(m, "maxAcceleration", `motors.${side}`, { minExclusive: 0 }),
    };
  };
  const motors = { left: motor("left"), right: motor("right") };
  const drawSpeed = num(input, "drawSpeed", "", { minExclusive: 0 }, 50);
  const travelSpeed = num(input, "travelSpeed", "", { minExclusive: 0 }, 150);
  const junctionDeviation = num(input, "junctionDeviation", "", { min: 0 }, 0.05);
  const pn = obj(input, "pen", "", true);
  const pen = {
    upAngle: num(pn, "upAngle", "pen", { min: 0, max: 180 }, 90),
    downAngle: num(pn, "downAngle", "pen", { min: 0, max: 180 }, 40),
    upDelayMs: num(pn, "upDelayMs", "pen", { min: 0 }, 150),
    downDelayMs: num(pn, "downDelayMs", "pen", { min: 0 }, 250),
  };
  const nominal = (Math.PI * spoolDiameter) / (stepsPerRevolution * microstepping);
  const ws = obj(input, "workspace", "", true);
  const workspace = {
    gondolaMassG: num(ws, "gondolaMassG", "workspace", { minExclusive: 0 }, 400),
    minTension: num(ws, "minTension", "workspace", { min: 0 }, 0.25),
    maxTension: num(ws, "maxTension", "workspace", { minExclusive: 0 }, 1.5),
    maxMmPerStep: num(ws, "maxMmPerStep", "workspace", { minExclusive: 0 }, 4 * nominal),
  };
  if (workspace.maxTension <= workspace.minTension)
    fail("workspace.maxTension", "must be greater than workspace.minTension");
  if (home.x <= penOffset.x || home.x >= motorDistance - penOffset.x)
    fail("home.x", "must lie between the motors");
  if (home.y <= penOffset.y) fail("home.y", "must lie below the cord attachment line");
  return {
    name,
    motorDistance,
    stepsPerRevolution,
    microstepping,
    spoolDiameter,
    cordThickness,
    penOffset,
    home,
    page,
    margins,
    motors,
    drawSpeed,
    travelSpeed,
    junctionDeviation,
    pen,
    workspace,
  };
}

/**
 * An example machine: 1000 mm between pivots, 200-step motors at 8 microsteps with 12.7 mm
 * spools and 0.1 mm braided line, an A3 portrait page centred below them.
 */
export const exampleMachine: Machine = parseMachine({
  name: "A3 polargraph",
  motorDistance: 1000,
  stepsPerRevolution: 200,
  microstepping: 8,
  spoolDiameter: 12.7,
  cordThickness: 0.1,
  penOffset: { x: 15, y: 10 },
  home: { x: 500, y: 250 },
  page: { x: 351.5, y: 250, width: 297, height: 420 },
  margins: { top: 10, right: 10, bottom: 10, left: 10 },
  motors: {
    left: { maxSpeed: 120, maxAcceleration: 600 },
    right: { maxSpeed: 120, maxAcceleration: 600 },
  },
  drawSpeed: 60,
  travelSpeed: 120,
});
