import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { crc32 } from "node:zlib";

/** A problem in an `aws-chunked` body, answered as S3 would (`status`, `code`). */
export class AwsChunkedError extends Error {
  constructor(
    readonly code: "IncompleteBody" | "InvalidRequest" | "BadDigest",
    message: string,
  ) {
    super(message);
  }
}

/** Whether a request body uses the `aws-chunked` content encoding (SigV4 streaming uploads). */
export function isAwsChunked(headers: Record<string, string | string[] | undefined>): boolean {
  const encoding = String(headers["content-encoding"] ?? "");
  const sha = String(headers["x-amz-content-sha256"] ?? "");
  return /(^|,)\s*aws-chunked\s*(,|$)/i.test(encoding) || sha.startsWith("STREAMING-");
}

type Checksum = { update(data: Buffer): void; digest(): string };

function checksumFor(name: string): Checksum | undefined {
  switch (name) {
    case "x-amz-checksum-crc32": {
      let value = 0;
      return {
        update: (d) => {
          value = crc32(d, value);
        },
        digest: () => {
          const b = Buffer.alloc(4);
          b.writeUInt32BE(value >>> 0);
          return b.toString("base64");
        },
      };
    }
    case "x-amz-checksum-sha1":
    case "x-amz-checksum-sha256": {
      const hash = createHash(name.endsWith("sha1") ? "sha1" : "sha256");
      return { update: (d) => hash.update(d), digest: () => hash.digest("base64") };
    }
    default:
      return undefined; // crc32c / crc64nvme: Node has no implementation; passed through unverified
  }
}

/**
 * Decodes an `aws-chunked` body (`<hex-size>[;chunk-signature=…]\r\n<data>\r\n … 0\r\n<trailers>\r\n`)
 * into the object's bytes, checks that they add up to `x-amz-decoded-content-length`, and checks
 * a trailing `x-amz-checksum-crc32|sha1|sha256` against the data (`BadDigest` otherwise), as S3
 * does. Chunk signatures are not verified (the emulator does not verify SigV4).
 */
export class AwsChunkedDecoder extends Transform {
  #buffer: Buffer = Buffer.alloc(0);
  #remaining = -1; // bytes of chunk data still expected; -1 while reading a size line
  #done = false;
  #decoded = 0;
  readonly #expected: number | undefined;
  readonly #trailerName: string | undefined;
  readonly #checksum: Checksum | undefined;
  /** Trailer headers received after the last chunk. */
  readonly trailers: Record<string, string> = {};

  constructor(headers: Record<string, string | string[] | undefined>) {
    super();
    const declared = headers["x-amz-decoded-content-length"];
    this.#expected = declared === undefined ? undefined : Number(declared);
    const trailer = headers["x-amz-trailer"];
    this.#trailerName = typeof trailer === "string" ? trailer.trim().toLowerCase() : undefined;
    this.#checksum = this.#trailerName ? checksumFor(this.#trailerName) : undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    try {
      this.#drain();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  #drain(): void {
    while (!this.#done) {
      if (this.#remaining > 0) {
        if (this.#buffer.length === 0) return;
        const take = Math.min(this.#remaining, this.#buffer.length);
        const data = this.#buffer.subarray(0, take);
        this.#buffer = this.#buffer.subarray(take);
        this.#remaining -= take;
        this.#decoded += take;
        this.#checksum?.update(data);
        this.push(data);
        continue;
      }
      if (this.#remaining === 0) {
        if (this.#buffer.length < 2) return;
        if (this.#buffer[0] !== 0x0d || this.#buffer[1] !== 0x0a)
          throw new AwsChunkedError(
            "InvalidRequest",
            "aws-chunked: chunk data not followed by CRLF",
          );
        this.#buffer = this.#buffer.subarray(2);
        this.#remaining = -1;
        continue;
      }
      const eol = this.#buffer.indexOf("\r\n");
      if (eol < 0) {
        if (this.#buffer.length > 4096)
          throw new AwsChunkedError("InvalidRequest", "aws-chunked: chunk header too long");
        return;
      }
      const line = this.#buffer.subarray(0, eol).toString("latin1");
      this.#buffer = this.#buffer.subarray(eol + 2);
      const size = Number.parseInt(line.split(";")[0] ?? "", 16);
      if (!Number.isInteger(size) || size < 0 || !/^[0-9a-fA-F]+/.test(line))
        throw new AwsChunkedError(
          "InvalidRequest",
          `aws-chunked: bad chunk header ${JSON.stringify(line.slice(0, 40))}`,
        );
      if (size === 0) {
        this.#done = true;
        this.#readTrailers();
        return;
      }
      this.#remaining = size;
    }
    this.#readTrailers();
  }

  #readTrailers(): void {
    for (;;) {
      const eol = this.#buffer.indexOf("\r\n");
      if (eol < 0) return;
      const line = this.#buffer.subarray(0, eol).toString("latin1");
      this.#buffer = this.#buffer.subarray(eol + 2);
      if (line === "") continue;
      const colon = line.indexOf(":");
      if (colon > 0)
        this.trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (!this.#done)
        throw new AwsChunkedError(
          "IncompleteBody",
          "aws-chunked: body ended before the final chunk",
        );
      this.#readTrailers();
      if (this.#expected !== undefined && this.#decoded !== this.#expected) {
        throw new AwsChunkedError(
          "IncompleteBody",
          `aws-chunked: decoded ${this.#decoded} bytes, x-amz-decoded-content-length says ${this.#expected}`,
        );
      }
      if (this.#trailerName && this.#checksum) {
        const sent = this.trailers[this.#trailerName];
        if (sent === undefined)
          throw new AwsChunkedError(
            "InvalidRequest",
            `aws-chunked: trailer ${this.#trailerName} missing`,
          );
        if (sent !== this.#checksum.digest())
          throw new AwsChunkedError(
            "BadDigest",
            `The ${this.#trailerName} you specified did not match the calculated checksum.`,
          );
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}
