import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import { describe, expect, it } from "vitest";
import { examplePoolDir, loadPool, resolveMetadata, type ThermalComicError } from "../src/index.js";
import { poolCopy } from "./helpers.js";

async function failure(promise: Promise<unknown>): Promise<ThermalComicError> {
  try {
    await promise;
  } catch (error) {
    return error as ThermalComicError;
  }
  throw new Error("expected a rejection");
}

describe("loadPool", () => {
  it("loads the shipped example pool: ten SVG pictures with JSON and YAML metadata, sorted by name", async () => {
    const pool = await loadPool(examplePoolDir());
    expect(pool.images.map((i) => i.name)).toEqual([
      "cat.svg",
      "city.svg",
      "coffee.svg",
      "ghost.svg",
      "lighthouse.svg",
      "mountains.svg",
      "robot.svg",
      "rocket.svg",
      "scientist.svg",
      "tree-house.svg",
    ]);
    const robot = pool.images.find((i) => i.name === "robot.svg")!;
    expect([robot.width, robot.height]).toEqual([400, 400]);
    expect(robot.meta.roi).toEqual({ x: 100, y: 20, width: 200, height: 200 });
    expect(robot.meta.anchor).toEqual([0.5, 0]);
    expect(robot.meta.speaker).toEqual([200, 188]);
    const rocket = pool.images.find((i) => i.name === "rocket.svg")!;
    expect(rocket.meta.rotations).toEqual([0, 90]);
    expect(rocket.meta.aspects).toEqual(["tall", "square"]);
    const coffee = pool.images.find((i) => i.name === "coffee.svg")!;
    expect(coffee.meta.fit).toBe("contain");
    expect(coffee.meta.minScale).toBe(0.3);
  });

  it("loads in-memory sources", async () => {
    const png = await createCanvas(30, 20).encode("png");
    const pool = await loadPool([{ name: "a.png", data: png, metadata: { tags: ["x"] } }]);
    expect(pool.images[0]).toMatchObject({ name: "a.png", width: 30, height: 20 });
    expect(pool.images[0]!.meta.tags).toEqual(["x"]);
  });

  it("names the image that has no metadata file", async () => {
    const dir = poolCopy();
    rmSync(join(dir, "robot.yaml"));
    const error = await failure(loadPool(dir));
    expect(error.code).toBe("MISSING_METADATA");
    expect(error.path).toBe(join(dir, "robot.svg"));
    expect(error.message).toContain("robot.json or robot.yaml");
  });

  it("names the metadata file that does not parse", async () => {
    const dir = poolCopy();
    writeFileSync(join(dir, "cat.json"), '{ "fit": "cover", ');
    const json = await failure(loadPool(dir));
    expect(json.code).toBe("INVALID_METADATA");
    expect(json.path).toBe(join(dir, "cat.json"));
    const dir2 = poolCopy();
    writeFileSync(join(dir2, "ghost.yaml"), "tags: [a, b\nfit: : cover");
    const yaml = await failure(loadPool(dir2));
    expect(yaml.code).toBe("INVALID_METADATA");
    expect(yaml.path).toBe(join(dir2, "ghost.yaml"));
  });

  it("names the file and field of metadata that breaks the schema", async () => {
    const dir = poolCopy();
    writeFileSync(join(dir, "ghost.yaml"), "fit: stretch\n");
    const fit = await failure(loadPool(dir));
    expect(fit).toMatchObject({
      code: "INVALID_METADATA",
      field: "fit",
      path: join(dir, "ghost.yaml"),
    });
    writeFileSync(join(dir, "ghost.yaml"), "roy: { x: 1, y: 1, width: 2, height: 2 }\n");
    expect(await failure(loadPool(dir))).toMatchObject({ code: "INVALID_METADATA", field: "roy" });
    // A region of interest reaching outside the 360×380 picture.
    writeFileSync(join(dir, "ghost.yaml"), "roi: { x: 300, y: 0, width: 100, height: 100 }\n");
    const roi = await failure(loadPool(dir));
    expect(roi).toMatchObject({ code: "INVALID_METADATA", field: "roi" });
    expect(roi.message).toContain("360×380");
  });

  it("names the image that cannot be decoded: garbage bytes and a truncated PNG", async () => {
    const dir = poolCopy();
    writeFileSync(join(dir, "cat.svg"), "this is not an image");
    const garbage = await failure(loadPool(dir));
    expect(garbage).toMatchObject({ code: "CORRUPT_IMAGE", path: join(dir, "cat.svg") });
    expect(garbage.cause).toBeInstanceOf(Error);

    const dir2 = poolCopy();
    const png = await createCanvas(200, 200).encode("png");
    writeFileSync(join(dir2, "broken.png"), png.subarray(0, 40));
    writeFileSync(join(dir2, "broken.json"), "{}");
    expect(await failure(loadPool(dir2))).toMatchObject({
      code: "CORRUPT_IMAGE",
      path: join(dir2, "broken.png"),
    });
  });

  it("warns about metadata that belongs to no image and reads nothing else", async () => {
    const dir = poolCopy();
    writeFileSync(join(dir, "orphan.yaml"), "tags: [x]\n");
    const warnings: unknown[][] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (...args: unknown[]) => warnings.push(args),
      error() {},
    };
    const pool = await loadPool(dir, { logger });
    expect(pool.images).toHaveLength(10);
    expect(String(warnings[0]?.[0])).toContain("orphan.yaml");
  });

  it("reports a folder that cannot be read", async () => {
    expect(await failure(loadPool("/nonexistent/pool"))).toMatchObject({
      code: "IO_ERROR",
      path: "/nonexistent/pool",
    });
  });

  it("stops when aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await failure(loadPool(examplePoolDir(), { signal: controller.signal }))).toMatchObject({
      code: "ABORTED",
    });
  });
});

describe("resolveMetadata", () => {
  it("fills in defaults", () => {
    expect(resolveMetadata({}, "x.json")).toEqual({
      tags: [],
      fit: "cover",
      anchor: [0.5, 0.5],
      roi: null,
      minScale: 0,
      maxScale: Number.POSITIVE_INFINITY,
      aspects: [],
      rotations: [0],
      speaker: null,
      weight: 1,
    });
    expect(resolveMetadata({ rotate: true, anchor: "bottom-right" }, "x.json")).toMatchObject({
      rotations: [0, 90, 270],
      anchor: [1, 1],
    });
  });

  it("rejects each malformed field by name", () => {
    const cases: Array<[unknown, string]> = [
      [{ tags: "a" }, "tags"],
      [{ anchor: [2, 0] }, "anchor"],
      [{ anchor: "middle" }, "anchor"],
      [{ roi: { x: 0, y: 0, width: 0, height: 5 } }, "roi"],
      [{ minScale: -1 }, "minScale"],
      [{ minScale: 2, maxScale: 1 }, "maxScale"],
      [{ aspects: ["wide", [3, 1]] }, "aspects"],
      [{ rotate: [45] }, "rotate"],
      [{ speaker: [1] }, "speaker"],
      [{ weight: 0 }, "weight"],
    ];
    for (const [raw, field] of cases)
      expect(() => resolveMetadata(raw, "m.yaml"), field).toThrow(
        expect.objectContaining({ code: "INVALID_METADATA", field, path: "m.yaml" }),
      );
    expect(() => resolveMetadata([], "m.yaml")).toThrow(
      expect.objectContaining({ code: "INVALID_METADATA" }),
    );
  });

  it("checks the speaker point against the image size", () => {
    expect(() =>
      resolveMetadata({ speaker: [500, 10] }, "m.json", { width: 400, height: 300 }),
    ).toThrow(expect.objectContaining({ field: "speaker" }));
  });
});
