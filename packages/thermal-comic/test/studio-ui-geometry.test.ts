import { describe, expect, it } from "vitest";
import { pointsToRect, polygonContains } from "../src/studio-ui/geometry.js";

describe("studio page geometry", () => {
  it("turns a drag in canvas pixels into a clamped whole-pixel rectangle in image pixels", () => {
    // Canvas shows the image at 1.2 canvas pixels per image pixel; a drag from (396, 24) back to (120, 96).
    expect(pointsToRect([396, 24], [120, 96], 1.2, 400, 200)).toEqual({
      x: 100,
      y: 20,
      width: 230,
      height: 60,
    });
    // Dragging past the image's edge stops at the edge.
    expect(pointsToRect([-50, -50], [1000, 1000], 1.2, 400, 200)).toEqual({
      x: 0,
      y: 0,
      width: 400,
      height: 200,
    });
  });

  it("finds points inside a polygon", () => {
    const triangle: Array<[number, number]> = [
      [0, 0],
      [100, 0],
      [0, 100],
    ];
    expect(polygonContains(triangle, [10, 10])).toBe(true);
    expect(polygonContains(triangle, [80, 80])).toBe(false);
    expect(polygonContains(triangle, [-1, 5])).toBe(false);
  });
});
