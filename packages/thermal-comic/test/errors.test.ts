import { describe, expect, it } from "vitest";
import { isThermalComicError, ThermalComicError } from "../src/index.js";

describe("ThermalComicError", () => {
  it("carries its code and cause", () => {
    const cause = new Error("root");
    const error = new ThermalComicError("INVALID_ARGUMENT", "bad", { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.cause).toBe(cause);
    expect(error.name).toBe("ThermalComicError");
  });
});

describe("isThermalComicError", () => {
  it("recognises the class and carries the data to act on", () => {
    const error = new ThermalComicError("ROI_TOO_LARGE", "too big", { path: "/pool/a.png" });
    expect(isThermalComicError(error)).toBe(true);
    expect(error.path).toBe("/pool/a.png");
    expect(isThermalComicError(new Error("plain"))).toBe(false);
    expect(isThermalComicError({ name: "ThermalComicError", code: "X" })).toBe(false);
  });
});
