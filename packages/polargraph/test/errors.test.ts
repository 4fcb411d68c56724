import { describe, expect, it } from "vitest";
import { PolargraphError } from "../src/index.js";

describe("PolargraphError", () => {
  it("carries its code and cause", () => {
    const cause = new Error("root");
    const error = new PolargraphError("INVALID_ARGUMENT", "bad", { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(error.cause).toBe(cause);
    expect(error.name).toBe("PolargraphError");
  });
});
