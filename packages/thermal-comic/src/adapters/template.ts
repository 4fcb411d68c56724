import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import { rgbaToGrey } from "../core/bitmap.js";
import type { Polygon } from "../core/geometry.js";
import type { TemplateLayout } from "../core/layout.js";
import { type DetectPanelsOptions, detectPanels } from "../core/template.js";
import { ThermalComicError } from "../errors.js";
import { decode, parseMetadataFile } from "./pool.js";

/** A page template: panel polygons in the template's pixels, and optionally the drawn grid itself. */
export interface ComicTemplate extends TemplateLayout {
  /** The encoded grid drawing (PNG/JPEG); when present it is laid over the pictures as the borders. */
  art?: Uint8Array;
  /** Where the template came from, for errors. */
  path?: string;
}

/**
 * Loads a template:
 * - a grid image (`grid.png`): panels from a sidecar `grid.json`/`grid.yaml` with `panels` when
 *   there is one, else detected in the image (enclosed paper regions, filtered by size);
 * - a metadata file (`grid.json`/`.yaml`) with `width`, `height`, `panels` (lists of `[x, y]`)
 *   and optionally `image` (the grid drawing, relative to the file).
 */
export async function loadTemplate(
  path: string,
  options: DetectPanelsOptions = {},
): Promise<ComicTemplate> {
  const read = async (file: string) => {
    try {
      return await readFile(file);
    } catch (cause) {
      throw new ThermalComicError("IO_ERROR", `cannot read ${file}: ${(cause as Error).message}`, {
        path: file,
        cause,
      });
    }
  };
  if (/\.(json|ya?ml)$/i.test(path)) {
    const raw = parseMetadataFile(await read(path), path) as Record<string, unknown> | null;
    const imageName = raw && typeof raw === "object" ? raw.image : undefined;
    if (imageName !== undefined && typeof imageName !== "string")
      throw new ThermalComicError("INVALID_LAYOUT", `${path}: image must be a file name`, { path });
    if (imageName) {
      const imagePath = join(dirname(path), imageName);
      const art = await read(imagePath);
      const image = await decode(art, imagePath);
      const panels = raw?.panels === undefined ? undefined : checkPanels(raw.panels, path);
      const template = panels
        ? { width: image.width, height: image.height, panels }
        : detectPanels(greyOf(image), options);
      return { ...template, art, path };
    }
    if (!raw || typeof raw.width !== "number" || typeof raw.height !== "number")
      throw new ThermalComicError(
        "INVALID_LAYOUT",
        `${path}: a template needs width, height and panels (or an image)`,
        {
          path,
        },
      );
    return { width: raw.width, height: raw.height, panels: checkPanels(raw.panels, path), path };
  }
  const art = await read(path);
  const image = await decode(art, path);
  const stem = join(dirname(path), basename(path, extname(path)));
  const sidecar = [`${stem}.json`, `${stem}.yaml`, `${stem}.yml`].find((f) => existsSync(f));
  if (sidecar) {
    const raw = parseMetadataFile(await read(sidecar), sidecar) as Record<string, unknown> | null;
    return {
      width: image.width,
      height: image.height,
      panels: checkPanels(raw?.panels, sidecar),
      art,
      path,
    };
  }
  try {
    return { ...detectPanels(greyOf(image), options), art, path };
  } catch (error) {
    if (error instanceof ThermalComicError && error.code === "INVALID_LAYOUT")
      throw new ThermalComicError("INVALID_LAYOUT", `${path}: ${error.message}`, {
        path,
        cause: error,
      });
    throw error;
  }
}

function greyOf(image: Awaited<ReturnType<typeof decode>>) {
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  return rgbaToGrey(
    ctx.getImageData(0, 0, image.width, image.height).data,
    image.width,
    image.height,
  );
}

function checkPanels(panels: unknown, path: string): Polygon[] {
  const ok =
    Array.isArray(panels) &&
    panels.length > 0 &&
    panels.every(
      (polygon) =>
        Array.isArray(polygon) &&
        polygon.length >= 3 &&
        polygon.every(
          (p) =>
            Array.isArray(p) &&
            p.length === 2 &&
            p.every((v) => typeof v === "number" && Number.isFinite(v)),
        ),
    );
  if (!ok)
    throw new ThermalComicError(
      "INVALID_LAYOUT",
      `${path}: panels must be a non-empty list of polygons, each a list of at least 3 [x, y] pairs`,
      { path },
    );
  return panels as Polygon[];
}
