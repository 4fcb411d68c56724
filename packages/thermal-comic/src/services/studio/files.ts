// What the studio reads and writes on disk: pool images with their metadata sidecars, and
// templates. Every write is validated by the composer's own checks first and lands atomically
// (a temporary file renamed over the old one), so an invalid edit or a crash loses nothing.
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { parseDocument } from "yaml";
import { decode, POOL_IMAGE_EXTENSIONS, parseMetadataFile } from "../../adapters/pool.js";
import { rgbaToGrey } from "../../core/bitmap.js";
import type { Polygon } from "../../core/geometry.js";
import { layoutFromTemplate, type TemplateLayout } from "../../core/layout.js";
import { type ImageMetadata, resolveMetadata } from "../../core/metadata.js";
import { type DetectPanelsOptions, detectPanels } from "../../core/template.js";
import { isThermalComicError, ThermalComicError } from "../../errors.js";

/** One image of a pool folder as the studio's editor shows it. */
export interface PoolEntry {
  /** Image file name, e.g. `robot.svg`. */
  name: string;
  /** Its metadata file name (`robot.yaml`); for an image without one, the `.json` a save creates. */
  metadataFile: string;
  /** Whether the metadata file exists yet. */
  hasMetadata: boolean;
  /** Image size in pixels (0 when the image does not decode). */
  width: number;
  height: number;
  /** The metadata as written in the file (`{}` when there is none or it does not parse). */
  metadata: ImageMetadata;
  /** What is wrong with the image or its metadata, as the composer would report it; null when valid. */
  error: { code: string; message: string; field?: string } | null;
}

const IMAGE_TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".gif": "image/gif",
  ".avif": "image/avif",
  ".svg": "image/svg+xml",
};

/** The MIME type of a pool image, by extension. */
export function imageType(name: string): string {
  return IMAGE_TYPES[extname(name).toLowerCase()] ?? "application/octet-stream";
}

async function files(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort();
  } catch (cause) {
    throw new ThermalComicError(
      "IO_ERROR",
      `cannot read the folder ${dir}: ${(cause as Error).message}`,
      {
        path: dir,
        cause,
      },
    );
  }
}

/**
 * Checks that `name` is an image file of the pool folder (no path tricks: the name must be one
 * of the folder's own entries) and returns its sidecar's name and whether it exists.
 */
async function locate(
  dir: string,
  name: string,
): Promise<{ metadataFile: string; hasMetadata: boolean }> {
  const names = await files(dir);
  if (
    typeof name !== "string" ||
    !names.includes(name) ||
    !POOL_IMAGE_EXTENSIONS.includes(extname(name).toLowerCase())
  )
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `the pool has no image named ${JSON.stringify(name)}`,
    );
  const stem = basename(name, extname(name));
  const existing = [`${stem}.json`, `${stem}.yaml`, `${stem}.yml`].find((m) => names.includes(m));
  return { metadataFile: existing ?? `${stem}.json`, hasMetadata: existing !== undefined };
}

/** Reads one pool image with its metadata; problems become the entry's `error`, never a throw. */
export async function readPoolEntry(dir: string, name: string): Promise<PoolEntry> {
  const { metadataFile, hasMetadata } = await locate(dir, name);
  const entry: PoolEntry = {
    name,
    metadataFile,
    hasMetadata,
    width: 0,
    height: 0,
    metadata: {},
    error: null,
  };
  try {
    const image = await decode(await readFile(join(dir, name)), join(dir, name));
    entry.width = image.width;
    entry.height = image.height;
    if (!hasMetadata)
      throw new ThermalComicError(
        "MISSING_METADATA",
        `${name} has no metadata file yet; saving creates ${metadataFile}`,
      );
    const metaPath = join(dir, metadataFile);
    const raw = parseMetadataFile(await readFile(metaPath), metaPath);
    entry.metadata = (raw ?? {}) as ImageMetadata;
    resolveMetadata(raw, metadataFile, image);
  } catch (error) {
    entry.error = describe(error);
  }
  return entry;
}

/** Every image of a pool folder with its metadata, sorted by name. */
export async function listPoolEntries(dir: string): Promise<PoolEntry[]> {
  const names = (await files(dir)).filter((f) =>
    POOL_IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()),
  );
  return Promise.all(names.map((name) => readPoolEntry(dir, name)));
}

/**
 * Saves an image's metadata to its sidecar after checking it exactly as the composer does
 * (INVALID_METADATA names the `field`); the file is replaced atomically. A YAML sidecar stays
 * YAML and keeps its comments on the fields that remain; an image without one gets `<stem>.json`.
 */
export async function savePoolMetadata(
  dir: string,
  name: string,
  metadata: unknown,
): Promise<PoolEntry> {
  const { metadataFile, hasMetadata } = await locate(dir, name);
  const image = await decode(await readFile(join(dir, name)), join(dir, name));
  resolveMetadata(metadata, metadataFile, image);
  const target = join(dir, metadataFile);
  const fields = metadata as Record<string, unknown>;
  let text: string;
  if (/\.ya?ml$/i.test(metadataFile) && hasMetadata) {
    const document = parseDocument(await readFile(target, "utf8"));
    const old = document.toJS();
    if (old && typeof old === "object")
      for (const key of Object.keys(old)) if (!(key in fields)) document.delete(key);
    for (const [key, value] of Object.entries(fields))
      document.set(key, document.createNode(value, { flow: Array.isArray(value) }));
    text = document.toString();
  } else text = `${JSON.stringify(fields, null, 2)}\n`;
  await writeAtomically(target, text);
  return readPoolEntry(dir, name);
}

/** Writes a file by renaming a finished temporary file over it. */
export async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (cause) {
    await rm(temporary, { force: true });
    throw new ThermalComicError("IO_ERROR", `cannot write ${path}: ${(cause as Error).message}`, {
      path,
      cause,
    });
  }
}

/** A template as the studio shows it: the grid image's name, size and panels. */
export interface TemplateEntry {
  /** Template name (the file stem). */
  name: string;
  /** The grid image's file name. */
  image: string;
  width: number;
  height: number;
  panels: Polygon[];
}

/** Decodes an uploaded grid image and finds its panels (the same detection as `loadTemplate`). */
export async function detectTemplate(
  bytes: Uint8Array,
  options: DetectPanelsOptions = {},
): Promise<TemplateLayout> {
  const image = await decode(bytes, "the uploaded grid");
  const { createCanvas } = await import("@napi-rs/canvas");
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, image.width, image.height);
  ctx.drawImage(image, 0, 0);
  return detectPanels(
    rgbaToGrey(ctx.getImageData(0, 0, image.width, image.height).data, image.width, image.height),
    options,
  );
}

const TEMPLATE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

function sniffImage(bytes: Uint8Array): string | null {
  const head = Buffer.from(bytes.subarray(0, 12));
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return ".png";
  if (head[0] === 0xff && head[1] === 0xd8) return ".jpg";
  if (
    head.subarray(0, 4).toString("latin1") === "RIFF" &&
    head.subarray(8, 12).toString("latin1") === "WEBP"
  )
    return ".webp";
  if (head.subarray(0, 3).toString("latin1") === "GIF") return ".gif";
  return null;
}

/**
 * Saves a template into a folder as `<name>.<png|jpg|…>` (the grid drawing) and `<name>.json`
 * (its panels), so `loadTemplate("<folder>/<name>.png")` and `thermal-comic compose --template`
 * use it. The panels are checked as the composer checks them (convex, inside, with area).
 */
export async function saveTemplate(
  dir: string,
  name: string,
  image: Uint8Array,
  panels: unknown,
): Promise<TemplateEntry> {
  if (typeof name !== "string" || !TEMPLATE_NAME.test(name))
    throw new ThermalComicError(
      "INVALID_ARGUMENT",
      `a template name is 1 to 64 letters, digits, - or _, starting with a letter or digit; got ${JSON.stringify(name)}`,
    );
  const extension = sniffImage(image);
  if (!extension)
    throw new ThermalComicError(
      "CORRUPT_IMAGE",
      "the grid image must be a PNG, JPEG, WebP or GIF file",
    );
  const decoded = await decode(image, `${name}${extension}`);
  const layout = { width: decoded.width, height: decoded.height, panels: panels as Polygon[] };
  if (!Array.isArray(panels))
    throw new ThermalComicError("INVALID_LAYOUT", "panels must be a list of polygons");
  layoutFromTemplate(layout, decoded.width);
  await mkdir(dir, { recursive: true });
  for (const old of await files(dir))
    if (
      basename(old, extname(old)) === name &&
      old !== `${name}${extension}` &&
      old !== `${name}.json`
    )
      await rm(join(dir, old), { force: true });
  await writeAtomically(join(dir, `${name}${extension}`), image);
  await writeAtomically(join(dir, `${name}.json`), `${JSON.stringify({ panels }, null, 2)}\n`);
  return {
    name,
    image: `${name}${extension}`,
    width: decoded.width,
    height: decoded.height,
    panels: panels as Polygon[],
  };
}

/** The templates saved in a folder (grid images with a `.json` sidecar of panels). */
export async function listTemplates(dir: string): Promise<TemplateEntry[]> {
  let names: string[];
  try {
    names = await files(dir);
  } catch (error) {
    if (isThermalComicError(error) && error.code === "IO_ERROR") return [];
    throw error;
  }
  const result: TemplateEntry[] = [];
  for (const file of names) {
    const extension = extname(file).toLowerCase();
    if (![".png", ".jpg", ".jpeg", ".webp", ".gif"].includes(extension)) continue;
    const stem = basename(file, extname(file));
    if (!names.includes(`${stem}.json`)) continue;
    try {
      const raw = parseMetadataFile(await readFile(join(dir, `${stem}.json`)), `${stem}.json`) as {
        panels?: Polygon[];
      };
      const image = await decode(await readFile(join(dir, file)), file);
      result.push({
        name: stem,
        image: file,
        width: image.width,
        height: image.height,
        panels: raw?.panels ?? [],
      });
    } catch {
      // A broken template is left out of the list; loading it by name reports why.
    }
  }
  return result;
}

function describe(error: unknown): PoolEntry["error"] {
  if (isThermalComicError(error))
    return {
      code: error.code,
      message: error.message,
      ...(error.field !== undefined && { field: error.field }),
    };
  return { code: "INTERNAL", message: (error as Error)?.message ?? String(error) };
}
