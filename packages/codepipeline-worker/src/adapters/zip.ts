import { createWriteStream } from "node:fs";
import { mkdir, readdir, stat, statfs } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import yauzl from "yauzl";
import yazl from "yazl";
import { CodepipelineWorkerError } from "../errors.js";

/**
 * Limits applied while unzipping an input artifact, against zip bombs. Declared sizes are
 * checked before an entry is written, actual bytes while it is written.
 */
export interface ZipLimits {
  /** Most entries (files and folders). @defaultValue 100 000 */
  maxEntries?: number;
  /**
   * Most uncompressed bytes in total.
   * @defaultValue 8 GiB, or less when the target file system has less free space (all of it minus 256 MiB, so unzipping never fills the disk)
   */
  maxBytes?: number;
  /**
   * Largest compression ratio (uncompressed ÷ compressed) of one entry, for entries that unpack
   * to more than `ratioThresholdBytes`. DEFLATE reaches at most about 1032:1; text and JSON
   * usually compress 5–20:1, so a ratio above this is what a bomb looks like.
   * @defaultValue 200
   */
  maxEntryRatio?: number;
  /**
   * Largest compression ratio of the whole archive (total uncompressed ÷ zip file size), once
   * it unpacks to more than `ratioThresholdBytes`.
   * @defaultValue 100
   */
  maxArchiveRatio?: number;
  /** Ratios are checked only above this many uncompressed bytes (small files compress freely). @defaultValue 1 MiB */
  ratioThresholdBytes?: number;
}

/** What {@link extractZip} wrote. */
export interface ExtractResult {
  files: string[];
  bytes: number;
}

const DEFAULT_MAX_ENTRIES = 100_000;
const DEFAULT_MAX_BYTES = 8 * 1024 ** 3;
const DISK_RESERVE = 256 * 1024 ** 2;
const DEFAULT_MAX_ENTRY_RATIO = 200;
const DEFAULT_MAX_ARCHIVE_RATIO = 100;
const DEFAULT_RATIO_THRESHOLD = 1024 ** 2;

/** The default `maxBytes` for unzipping into `dir`: 8 GiB, or the free space there less 256 MiB. */
export async function defaultMaxBytes(dir: string): Promise<number> {
  try {
    const fs = await statfs(dir);
    return Math.max(0, Math.min(DEFAULT_MAX_BYTES, fs.bavail * fs.bsize - DISK_RESERVE));
  } catch {
    return DEFAULT_MAX_BYTES;
  }
}
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolvePromise, reject) => {
    yauzl.open(
      path,
      { lazyEntries: true, autoClose: true, validateEntrySizes: true, decodeStrings: true },
      (err, zip) => {
        if (err || !zip) reject(err ?? new Error("no zip"));
        else resolvePromise(zip);
      },
    );
  });
}

/** Whether a zip entry name would land outside the target folder. */
export function isUnsafeEntryName(name: string): boolean {
  const n = name.replace(/\\/g, "/");
  if (n.startsWith("/") || /^[A-Za-z]:/.test(n) || isAbsolute(n)) return true;
  return n.split("/").some((part) => part === "..");
}

const UNSAFE_YAUZL = /invalid relative path|absolute path|invalid characters in fileName/;

/**
 * Unzips `zipPath` into `dest`, refusing entries that would escape it (`../`, absolute paths,
 * symlinks) and stopping as soon as the entry count or the uncompressed size passes `limits`.
 * Declared sizes are checked before anything is written and actual bytes while writing.
 */
export async function extractZip(
  zipPath: string,
  dest: string,
  options: { limits?: ZipLimits; artifact: string; signal?: AbortSignal },
): Promise<ExtractResult> {
  const maxEntries = options.limits?.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const maxEntryRatio = options.limits?.maxEntryRatio ?? DEFAULT_MAX_ENTRY_RATIO;
  const maxArchiveRatio = options.limits?.maxArchiveRatio ?? DEFAULT_MAX_ARCHIVE_RATIO;
  const ratioThreshold = options.limits?.ratioThresholdBytes ?? DEFAULT_RATIO_THRESHOLD;
  const artifact = options.artifact;
  const root = resolve(dest);
  await mkdir(root, { recursive: true });
  const maxBytes = options.limits?.maxBytes ?? (await defaultMaxBytes(root));
  const zipSize = (await stat(zipPath).catch(() => undefined))?.size ?? 0;
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(zipPath);
  } catch (cause) {
    throw new CodepipelineWorkerError(
      "INVALID_ZIP",
      `Input artifact ${artifact} is not a readable zip file (${(cause as Error).message}).`,
      { cause, artifact },
    );
  }
  if (zip.entryCount > maxEntries) {
    zip.close();
    throw new CodepipelineWorkerError(
      "ZIP_LIMIT_EXCEEDED",
      `Input artifact ${artifact} has ${zip.entryCount} entries; the limit is ${maxEntries}.`,
      { artifact },
    );
  }
  const files: string[] = [];
  let declared = 0;
  let written = 0;
  return await new Promise<ExtractResult>((resolvePromise, reject) => {
    let settled = false;
    const fail = (error: unknown, entry?: string) => {
      if (settled) return;
      settled = true;
      zip.close();
      if (error instanceof CodepipelineWorkerError) reject(error);
      else if (error instanceof Error && UNSAFE_YAUZL.test(error.message)) {
        // yauzl refuses these names before it hands out the entry: take the name from its message.
        const named = entry ?? /^[^:]*: (.*)$/s.exec(error.message)?.[1];
        reject(
          new CodepipelineWorkerError(
            "UNSAFE_ZIP_ENTRY",
            `Input artifact ${artifact} contains an entry that would escape its folder (${error.message}); nothing outside the job folder was written.`,
            { cause: error, artifact, ...(named !== undefined ? { entry: named } : {}) },
          ),
        );
      } else {
        reject(
          new CodepipelineWorkerError(
            "INVALID_ZIP",
            `Input artifact ${artifact} is not a valid zip file${entry ? ` (entry ${entry})` : ""}: ${(error as Error)?.message ?? String(error)}`,
            { cause: error, artifact, ...(entry ? { entry } : {}) },
          ),
        );
      }
    };
    options.signal?.addEventListener("abort", () => fail(options.signal?.reason), { once: true });
    zip.on("error", (e) => fail(e));
    zip.on("end", () => {
      if (settled) return;
      settled = true;
      resolvePromise({ files, bytes: written });
    });
    zip.on("entry", (entry: yauzl.Entry) => {
      const name = entry.fileName;
      const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
      const target = resolve(root, name);
      if (isUnsafeEntryName(name) || (target !== root && !target.startsWith(root + sep))) {
        fail(
          new CodepipelineWorkerError(
            "UNSAFE_ZIP_ENTRY",
            `Input artifact ${artifact} contains entry ${JSON.stringify(name)}, which would be written outside its folder; refusing to unzip it.`,
            { artifact, entry: name },
          ),
        );
        return;
      }
      if ((mode & S_IFMT) === S_IFLNK) {
        fail(
          new CodepipelineWorkerError(
            "UNSAFE_ZIP_ENTRY",
            `Input artifact ${artifact} contains symbolic link ${JSON.stringify(name)}; links are refused because they can point outside the job folder.`,
            { artifact, entry: name },
          ),
        );
        return;
      }
      if (name.endsWith("/")) {
        mkdir(target, { recursive: true }).then(
          () => zip.readEntry(),
          (e) => fail(e, name),
        );
        return;
      }
      declared += entry.uncompressedSize;
      if (declared > maxBytes) {
        fail(
          new CodepipelineWorkerError(
            "ZIP_LIMIT_EXCEEDED",
            `Input artifact ${artifact} unpacks to more than ${maxBytes} bytes (at entry ${name}); raise zipLimits.maxBytes if this is expected.`,
            { artifact, entry: name },
          ),
          name,
        );
        return;
      }
      const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
      if (entry.uncompressedSize > ratioThreshold && ratio > maxEntryRatio) {
        fail(
          new CodepipelineWorkerError(
            "ZIP_LIMIT_EXCEEDED",
            `Input artifact ${artifact}: entry ${name} unpacks ${Math.round(ratio)}:1 (${entry.compressedSize} → ${entry.uncompressedSize} bytes), over the limit of ${maxEntryRatio}:1 (zip bomb?); raise zipLimits.maxEntryRatio if this is expected.`,
            { artifact, entry: name },
          ),
          name,
        );
        return;
      }
      if (declared > ratioThreshold && declared / Math.max(1, zipSize) > maxArchiveRatio) {
        fail(
          new CodepipelineWorkerError(
            "ZIP_LIMIT_EXCEEDED",
            `Input artifact ${artifact} unpacks more than ${maxArchiveRatio}× its size of ${zipSize} bytes (at entry ${name}, zip bomb?); raise zipLimits.maxArchiveRatio if this is expected.`,
            { artifact, entry: name },
          ),
          name,
        );
        return;
      }
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) {
          fail(err, name);
          return;
        }
        const counter = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            written += chunk.length;
            if (written > maxBytes) {
              cb(
                new CodepipelineWorkerError(
                  "ZIP_LIMIT_EXCEEDED",
                  `Input artifact ${artifact} unpacks to more than ${maxBytes} bytes (at entry ${name}).`,
                  { artifact, entry: name },
                ),
              );
            } else cb(null, chunk);
          },
        });
        const fileMode = mode & 0o777 ? (mode & 0o755) | 0o600 : 0o644;
        mkdir(dirname(target), { recursive: true })
          .then(() => pipeline(stream, counter, createWriteStream(target, { mode: fileMode })))
          .then(
            () => {
              files.push(relative(root, target).split(sep).join("/"));
              zip.readEntry();
            },
            (e) => fail(e, name),
          );
      });
    });
    zip.readEntry();
  });
}

async function walk(
  dir: string,
  base: string,
  out: Array<{ real: string; name: string; mode: number; mtime: Date }>,
) {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const real = join(dir, entry.name);
    if (entry.isDirectory()) await walk(real, base, out);
    else if (entry.isFile()) {
      const s = await stat(real);
      out.push({
        real,
        name: relative(base, real).split(sep).join("/"),
        mode: s.mode,
        mtime: s.mtime,
      });
    }
  }
}

/** Zips every regular file under `dir` (sorted, relative names) as a stream; nothing is buffered whole. */
export async function zipDirectory(dir: string): Promise<{ stream: Readable; files: number }> {
  const list: Array<{ real: string; name: string; mode: number; mtime: Date }> = [];
  await walk(dir, dir, list);
  const zip = new yazl.ZipFile();
  for (const f of list) zip.addFile(f.real, f.name, { mode: f.mode, mtime: f.mtime });
  zip.end();
  return { stream: zip.outputStream as unknown as Readable, files: list.length };
}
