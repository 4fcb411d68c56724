import { describe, expect, it } from "vitest";
import {
  drawableRect,
  exampleMachine,
  mmPerStep,
  PolargraphError,
  parseMachine,
} from "../src/index.js";

const minimal = {
  motorDistance: 800,
  stepsPerRevolution: 200,
  spoolDiameter: 10,
  home: { x: 400, y: 200 },
  page: { x: 250, y: 200, width: 300, height: 400 },
  motors: {
    left: { maxSpeed: 100, maxAcceleration: 500 },
    right: { maxSpeed: 90, maxAcceleration: 400 },
  },
};

function codeAndPath(fn: () => unknown): [string, string | undefined] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PolargraphError);
    return [(error as PolargraphError).code, (error as PolargraphError).path];
  }
  throw new Error("expected a throw");
}

describe("parseMachine", () => {
  it("fills documented defaults for optional fields", () => {
    const m = parseMachine(minimal);
    expect(m.microstepping).toBe(1);
    expect(m.cordThickness).toBe(0);
    expect(m.penOffset).toEqual({ x: 0, y: 0 });
    expect(m.margins).toEqual({ top: 0, right: 0, bottom: 0, left: 0 });
    expect(m.pen).toEqual({ upAngle: 90, downAngle: 40, upDelayMs: 150, downDelayMs: 250 });
    expect(m.drawSpeed).toBe(50);
    expect(m.travelSpeed).toBe(150);
    expect(m.junctionDeviation).toBe(0.05);
    // 4 × π·10/200 mm
    expect(m.workspace.maxMmPerStep).toBeCloseTo(0.6283185307, 9);
    expect(m.workspace.minTension).toBe(0.25);
    expect(m.motors.right).toEqual({ maxSpeed: 90, maxAcceleration: 400 });
  });

  it("accepts a JSON string", () => {
    expect(parseMachine(JSON.stringify(minimal)).motorDistance).toBe(800);
  });

  it("computes nominal mm per step and the drawable rectangle", () => {
    expect(mmPerStep(exampleMachine)).toBeCloseTo((Math.PI * 12.7) / 1600, 12);
    expect(drawableRect(exampleMachine)).toEqual({ x: 361.5, y: 260, width: 277, height: 400 });
  });

  it.each([
    ["not JSON", "{", ""],
    ["a missing field", { ...minimal, motorDistance: undefined }, "motorDistance"],
    ["a negative spool", { ...minimal, spoolDiameter: -1 }, "spoolDiameter"],
    ["fractional steps", { ...minimal, stepsPerRevolution: 200.5 }, "stepsPerRevolution"],
    ["a string number", { ...minimal, microstepping: "16" }, "microstepping"],
    ["a missing motor", { ...minimal, motors: { left: minimal.motors.left } }, "motors.right"],
    [
      "zero acceleration",
      { ...minimal, motors: { ...minimal.motors, left: { maxSpeed: 1, maxAcceleration: 0 } } },
      "motors.left.maxAcceleration",
    ],
    ["an unknown field", { ...minimal, spoolDiamter: 10 }, "spoolDiamter"],
    ["a servo angle over 180", { ...minimal, pen: { upAngle: 200 } }, "pen.upAngle"],
    ["home outside the motors", { ...minimal, home: { x: 900, y: 100 } }, "home.x"],
    ["home above the motors", { ...minimal, home: { x: 400, y: -5 } }, "home.y"],
    ["margins wider than the page", { ...minimal, margins: { left: 200, right: 100 } }, "margins"],
    [
      "tension bounds crossed",
      { ...minimal, workspace: { minTension: 2, maxTension: 1 } },
      "workspace.maxTension",
    ],
    ["a pen offset as wide as the machine", { ...minimal, penOffset: { x: 400 } }, "penOffset.x"],
    ["an array", [], ""],
  ])("rejects %s with INVALID_MACHINE and the field path", (_label, input, path) => {
    expect(codeAndPath(() => parseMachine(input))).toEqual(["INVALID_MACHINE", path]);
  });
});
