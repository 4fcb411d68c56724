import { type FileHandle, open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { readScan } from "../core/output/readers.js";
import type { OutputFormat, OutputMeta, ScanRecord } from "../core/output/records.js";
import {
  createWriter,
  type OutputChunk,
  type OutputWriter,
  recordsOf,
} from "../core/output/writers.js";
import type { ScanResult } from "../core/result.js";
import { RawScannerError } from "../errors.js";

const toBytes = (c: OutputChunk) => (typeof c === "string" ? Buffer.from(c, "latin1") : c);

/**
 * Streams one masscan-format output file. Records go to a temporary file next to the target
 * (the header with the first record: an empty scan leaves an empty file, as masscan's does);
 * `close()` writes the footer and renames it into place, `abort()` removes it, so a reader
 * never sees a half-written file under the real name.
 */
export class OutputSink {
  readonly path: string;
  readonly format: OutputFormat;
  private readonly writer: OutputWriter;
  private readonly tmp: string;
  private handle: FileHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  private failed: unknown;
  /** The header waits for the first record: a scan that finds nothing leaves an empty file, as masscan's does. */
  private meta: OutputMeta | undefined;

  private constructor(path: string, format: OutputFormat) {
    this.path = path;
    this.format = format;
    this.writer = createWriter(format);
    this.tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  }

  /**
   * Opens the temporary file and writes the header. With `append`, the records of an existing
   * file at `path` come first (it must be in the same format), so `close()` leaves the old and the
   * new records under the name; the old file is only replaced by that complete file. Throws
   * `OUTPUT_WRITE`, or `OUTPUT_PARSE` when the existing file cannot be read as `format`.
   */
  static async open(
    path: string,
    format: OutputFormat,
    meta: OutputMeta,
    options: { append?: boolean } = {},
  ): Promise<OutputSink> {
    let previous: ScanRecord[] = [];
    if (options.append) {
      let data: Buffer | undefined;
      try {
        data = await readFile(path);
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code !== "ENOENT") {
          throw new RawScannerError(
            "OUTPUT_WRITE",
            `cannot read ${path} to append to it: ${(cause as Error).message}`,
            { cause, path },
          );
        }
      }
      if (data !== undefined && data.length > 0) {
        try {
          previous = readScan(data, format);
        } catch (cause) {
          throw new RawScannerError(
            "OUTPUT_PARSE",
            `cannot append to ${path}: it is not a complete ${format} scan file (${(cause as Error).message})`,
            { cause, path },
          );
        }
      }
    }
    const sink = new OutputSink(path, format);
    try {
      sink.handle = await open(sink.tmp, "wx");
    } catch (cause) {
      throw new RawScannerError(
        "OUTPUT_WRITE",
        `cannot create output ${path}: ${(cause as Error).message}`,
        {
          cause,
          path,
        },
      );
    }
    sink.meta = meta;
    for (const r of previous) sink.record(r);
    return sink;
  }

  private enqueue(chunk: OutputChunk): void {
    const bytes = toBytes(chunk);
    if (bytes.length === 0) return;
    this.chain = this.chain.then(async () => {
      if (this.failed || !this.handle) return;
      try {
        await this.handle.write(bytes);
      } catch (cause) {
        this.failed = cause;
      }
    });
  }

  /** Adds a result (its status record, then its banner record). */
  write(result: ScanResult): void {
    for (const r of recordsOf(result)) this.record(r);
  }

  /** Adds one record. */
  record(r: ScanRecord): void {
    if (this.meta) {
      this.enqueue(this.writer.begin(this.meta));
      this.meta = undefined;
    }
    this.enqueue(r.kind === "status" ? this.writer.status(r) : this.writer.banner(r));
  }

  /** Writes the footer, flushes, and moves the file into place. */
  async close(meta: OutputMeta): Promise<void> {
    // No record, no header and no footer: masscan leaves an empty file for an empty scan.
    if (this.meta === undefined) this.enqueue(this.writer.end(meta));
    await this.chain;
    const handle = this.handle;
    this.handle = undefined;
    try {
      if (this.failed) throw this.failed;
      await handle?.sync();
      await handle?.close();
      await rename(this.tmp, this.path);
    } catch (cause) {
      await handle?.close().catch(() => undefined);
      await unlink(this.tmp).catch(() => undefined);
      throw new RawScannerError(
        "OUTPUT_WRITE",
        `cannot write output ${this.path}: ${(cause as Error).message}`,
        {
          cause,
          path: this.path,
        },
      );
    }
  }

  /** Drops the temporary file; the target path is left untouched. */
  async abort(): Promise<void> {
    await this.chain;
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    await unlink(this.tmp).catch(() => undefined);
  }
}

/** Writes results to `path` in `format`, atomically. */
export async function writeOutputFile(
  path: string,
  format: OutputFormat,
  results: Iterable<ScanResult> | AsyncIterable<ScanResult>,
  meta: OutputMeta,
): Promise<void> {
  const sink = await OutputSink.open(path, format, meta);
  try {
    for await (const r of results) sink.write(r);
  } catch (error) {
    await sink.abort();
    throw error;
  }
  await sink.close({ ...meta, endTime: meta.endTime ?? new Date() });
}
