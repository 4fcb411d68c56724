import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  exampleMachine,
  lengthToSteps,
  parseMachine,
  spoolRadiusAt,
  stepsToLength,
  stepsToXY,
  toCords,
  toXY,
} from "../src/index.js";

const plain = parseMachine({
  motorDistance: 1000,
  stepsPerRevolution: 200,
  microstepping: 8,
  spoolDiameter: 12.7,
  home: { x: 500, y: 300 },
  page: { x: 350, y: 250, width: 300, height: 400 },
  motors: {
    left: { maxSpeed: 100, maxAcceleration: 500 },
    right: { maxSpeed: 100, maxAcceleration: 500 },
  },
});

describe("toCords / toXY", () => {
  it("gives Pythagoras lengths and L·1600/(π·12.7) steps without corrections", () => {
    const c = toCords(plain, { x: 500, y: 500 });
    expect(c.left).toBeCloseTo(707.1067811865476, 10);
    expect(c.right).toBeCloseTo(707.1067811865476, 10);
    // 707.1067811865476 × 1600 / (π × 12.7) = 28356.4194…
    expect(c.leftStepsExact).toBeCloseTo(28356.4194, 3);
    expect(c.leftSteps).toBe(28356);
    const d = toCords(plain, { x: 300, y: 400 });
    expect(d.left).toBeCloseTo(500, 10); // 3-4-5
    expect(d.right).toBeCloseTo(Math.hypot(700, 400), 10);
  });

  it("applies the pen offset: cords end 15 mm to each side and 10 mm above the pen", () => {
    const c = toCords(exampleMachine, { x: 500, y: 510 });
    expect(c.left).toBeCloseTo(Math.hypot(485, 500), 10);
    expect(c.right).toBeCloseTo(Math.hypot(485, 500), 10);
    const p = toXY(exampleMachine, { left: Math.hypot(185, 400), right: Math.hypot(785, 400) });
    expect(p.x).toBeCloseTo(200, 9);
    expect(p.y).toBeCloseTo(410, 9);
  });

  it("models spool build-up: one wound turn takes up π·(d + t) of cord", () => {
    const home = toCords(exampleMachine, exampleMachine.home);
    const oneTurn = stepsToLength(exampleMachine, "left", home.leftStepsExact - 1600);
    expect(home.left - oneTurn).toBeCloseTo(Math.PI * (12.7 + 0.1), 9);
    // unwinding one turn pays out π·(d − t)
    const back = stepsToLength(exampleMachine, "left", home.leftStepsExact + 1600);
    expect(back - home.left).toBeCloseTo(Math.PI * (12.7 - 0.1), 9);
    expect(spoolRadiusAt(exampleMachine, "left", oneTurn)).toBeCloseTo(6.35 + 0.1, 9);
  });

  it("round-trips steps ↔ length", () => {
    fc.assert(
      fc.property(fc.double({ min: 200, max: 1400, noNaN: true }), (len) => {
        const s = lengthToSteps(exampleMachine, "right", len);
        expect(Math.abs(stepsToLength(exampleMachine, "right", s) - len)).toBeLessThan(1e-9);
      }),
    );
  });

  it("forward(inverse(p)) = p within 1e-9 mm over the machine (property)", () => {
    for (const m of [plain, exampleMachine]) {
      fc.assert(
        fc.property(
          fc.double({ min: 60, max: 940, noNaN: true }),
          fc.double({ min: 40, max: 1200, noNaN: true }),
          (x, y) => {
            const c = toCords(m, { x, y });
            const p = toXY(m, c);
            expect(Math.hypot(p.x - x, p.y - y)).toBeLessThan(1e-9);
          },
        ),
        { numRuns: 2000 },
      );
    }
  });

  it("reports the step quantisation error, bounded by the step size", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 360, max: 640, noNaN: true }),
        fc.double({ min: 260, max: 660, noNaN: true }),
        (x, y) => {
          const c = toCords(exampleMachine, { x, y });
          const q = stepsToXY(exampleMachine, { left: c.leftSteps, right: c.rightSteps });
          expect(c.quantisationError).toBeCloseTo(Math.hypot(q.x - x, q.y - y), 12);
          // half a step on each motor (≈0.0125 mm) moves the pen well under 0.1 mm on the page
          expect(c.quantisationError).toBeLessThan(0.1);
        },
      ),
    );
    const samples = [1, 2, 3, 4, 5, 6, 7].map((i) =>
      toCords(plain, { x: 300 + i * 37.3, y: 400 + i * 11.1 }),
    );
    expect(samples.some((s) => s.quantisationError > 0)).toBe(true);
  });

  it("flags unreachable points with their coordinates", () => {
    expect(() => toCords(plain, { x: 100, y: -5 })).toThrow(
      expect.objectContaining({ code: "UNREACHABLE", points: [{ x: 100, y: -5 }] }),
    );
    expect(() => toCords(plain, { x: Number.NaN, y: 5 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => toXY(plain, { left: 100, right: 100 })).toThrow(
      expect.objectContaining({ code: "UNREACHABLE" }),
    );
    expect(() => toXY(plain, { left: 100, right: 1200 })).toThrow(
      expect.objectContaining({ code: "UNREACHABLE" }),
    );
    // a thick cord on a small spool runs out of cord to pay out
    const thick = parseMachine({
      ...plain,
      name: "thick",
      cordThickness: 3,
      spoolDiameter: 6,
      workspace: undefined,
    });
    expect(() => toCords(thick, { x: 500, y: 5000 })).toThrow(
      expect.objectContaining({ code: "UNREACHABLE" }),
    );
  });
});
