import { readdir, readFile } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { type Image, loadImage } from "@napi-rs/canvas";
import { parse as parseYaml } from "yaml";
import { type ImageMetadata, type ResolvedMetadata, resolveMetadata } from "../core/metadata.js";
import { ThermalComicError, throwIfAborted } from "../errors.js";
import type { Logger } from "../logger.js";

/** Image files a pool folder may hold. */
export const POOL_IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg", ".webp", ".gif", ".avif", ".svg"];

/** One decoded pool image with its checked metadata. */
export interface PoolImage {
  /** File name, e.g. `robot.svg`. */
  name: string;
  /** Where the image came from (a file path, or the name for in-memory images). */
  path: string;
  /** Width in image pixels. */
  width: number;
  /** Height in image pixels. */
  height: number;
  /** The metadata with defaults filled in. */
  meta: ResolvedMetadata;
  /** The decoded image, ready to draw. */
  image: Image;
}

/** A loaded image pool. */
export interface Pool {
  /** The pool's images, sorted by name (so selection does not depend on directory order). */
  images: PoolImage[];
}

/** An image given in memory instead of a folder. */
export interface PoolSource {
  /** Name used in the layout JSON and in errors. */
  name: string;
  /** The encoded image (PNG, JPEG, WebP, GIF, AVIF or SVG). */
  data: Uint8Array;
  /** Its metadata, as it would be in the sidecar file. */
  metadata: ImageMetadata;
}

/** Options of {@link loadPool}. */
export interface LoadPoolOptions {
  /**
   * Stops loading.
   * @defaultValue never aborted
   */
  signal?: AbortSignal;
  /**
   * Receives a warning for each metadata file without an image.
   * @defaultValue silent
   */
  logger?: Logger;
}

/**
 * Loads every image of a pool folder with its metadata sidecar (`robot.svg` + `robot.json`,
 * `robot.yaml` or `robot.yml`), or a list of in-memory sources. Errors name the file:
 * MISSING_METADATA, INVALID_METADATA (bad JSON/YAML or schema), CORRUPT_IMAGE.
 */
export async function loadPool(
  source: string | PoolSource[],
  options: LoadPoolOptions = {},
): Promise<Pool> {
  if (Array.isArray(source)) {
    const images: PoolImage[] = [];
    for (const entry of source) {
      throwIfAborted(options.signal);
      const image = await decode(entry.data, entry.name);
      images.push({
        name: entry.name,
        path: entry.name,
        width: image.width,
        height: image.height,
        meta: resolveMetadata(entry.metadata, entry.name, image),
        image,
      });
    }
    return { images: sortByName(images) };
  }
  let files: string[];
  try {
    files = (await readdir(source, { withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => e.name);
  } catch (cause) {
    throw new ThermalComicError(
      "IO_ERROR",
      `cannot read the pool folder ${source}: ${(cause as Error).message}`,
      {
        path: source,
        cause,
      },
    );
  }
  const names = new Set(files);
  const images: PoolImage[] = [];
  const used = new Set<string>();
  for (const file of files.sort()) {
    if (!POOL_IMAGE_EXTENSIONS.includes(extname(file).toLowerCase())) continue;
    throwIfAborted(options.signal);
    const stem = basename(file, extname(file));
    const metaFile = [`${stem}.json`, `${stem}.yaml`, `${stem}.yml`].find((m) => names.has(m));
    const path = join(source, file);
    if (!metaFile)
      throw new ThermalComicError(
        "MISSING_METADATA",
        `${path} has no metadata file: add ${stem}.json or ${stem}.yaml next to it (an empty object {} takes every default)`,
        { path },
      );
    used.add(metaFile);
    const metaPath = join(source, metaFile);
    const raw = parseMetadataFile(await readBytes(metaPath), metaPath);
    const image = await decode(await readBytes(path), path);
    images.push({
      name: file,
      path,
      width: image.width,
      height: image.height,
      meta: resolveMetadata(raw, metaPath, image),
      image,
    });
  }
  for (const file of files)
    if (/\.(json|ya?ml)$/i.test(file) && !used.has(file))
      options.logger?.warn(
        `thermal-comic: ${join(source, file)} belongs to no image in the pool; ignored`,
      );
  return { images: sortByName(images) };
}

function sortByName(images: PoolImage[]): PoolImage[] {
  return images.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function readBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new ThermalComicError("IO_ERROR", `cannot read ${path}: ${(cause as Error).message}`, {
      path,
      cause,
    });
  }
}

/** Parses a metadata file as JSON (`.json`) or YAML (`.yaml`, `.yml`). */
export function parseMetadataFile(bytes: Uint8Array, path: string): unknown {
  const text = Buffer.from(bytes).toString("utf8");
  try {
    return /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new ThermalComicError(
      "INVALID_METADATA",
      `${path} does not parse: ${(cause as Error).message}`,
      {
        path,
        cause,
      },
    );
  }
}

/** Decodes an image; CORRUPT_IMAGE names the file when it cannot. */
export async function decode(data: Uint8Array, path: string): Promise<Image> {
  let image: Image;
  try {
    image = await loadImage(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  } catch (cause) {
    throw new ThermalComicError(
      "CORRUPT_IMAGE",
      `${path} cannot be decoded as an image: ${(cause as Error).message}`,
      {
        path,
        cause,
      },
    );
  }
  if (!(image.width > 0 && image.height > 0))
    throw new ThermalComicError(
      "CORRUPT_IMAGE",
      `${path} decodes to an empty image (${image.width}×${image.height})`,
      {
        path,
      },
    );
  return image;
}

/** Options of {@link readGreyImage}. */
export interface ReadGreyImageOptions {
  /**
   * Widest result in dots; a wider picture is scaled down to it (keeping its aspect) or refused.
   * @defaultValue no limit
   */
  maxWidth?: number;
  /**
   * What to do with a picture wider than `maxWidth`.
   * @defaultValue "scale"
   */
  tooWide?: "scale" | "error";
}

/** Decodes a picture file or bytes (PNG, JPEG, WebP, GIF, AVIF, SVG) into a greyscale bitmap on white paper. */
export async function readGreyImage(
  source: string | Uint8Array,
  options: ReadGreyImageOptions = {},
) {
  const path = typeof source === "string" ? source : "picture";
  const image = await decode(typeof source === "string" ? await readBytes(source) : source, path);
  let width = image.width;
  let height = image.height;
  if (options.maxWidth !== undefined && width > options.maxWidth) {
    if ((options.tooWide ?? "scale") === "error")
      throw new ThermalComicError(
        "INVALID_ARGUMENT",
        `${path} is ${width} dots wide; the printer takes ${options.maxWidth}`,
        { path },
      );
    height = Math.max(1, Math.round((height * options.maxWidth) / width));
    width = options.maxWidth;
  }
  const { createCanvas } = await import("@napi-rs/canvas");
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(image, 0, 0, width, height);
  const { rgbaToGrey } = await import("../core/bitmap.js");
  return rgbaToGrey(canvas.data(), width, height);
}
