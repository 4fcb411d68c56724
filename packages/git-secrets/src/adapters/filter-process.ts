import { readSync, writeSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { concatBytes } from "../core/bytes.js";
import { type Codec, isEncryptedBlob } from "../core/codec.js";
import {
  encodeData,
  encodeText,
  FLUSH,
  type Packet,
  PktParser,
  packetText,
} from "../core/pkt-line.js";
import { GitSecretsError } from "../errors.js";
import { type Logger, stderrLogger } from "../logger.js";

/**
 * A file descriptor read and written with blocking system calls. git talks to its filter one
 * file at a time, so every file is a round trip; a plain blocking loop answers it without the
 * event-loop wake-ups and stream machinery of process.stdin/stdout, about halving git-seal's
 * share of a `git add` of many small files.
 */
const CHUNK = 65536;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function fdChunks(fd: number): AsyncIterator<Buffer> {
  const buffer = Buffer.allocUnsafe(CHUNK);
  return {
    async next() {
      for (;;) {
        try {
          const n = readSync(fd, buffer, 0, CHUNK, null);
          if (n === 0) return { done: true, value: undefined };
          return { done: false, value: Buffer.from(buffer.subarray(0, n)) };
        } catch (error) {
          // A non-blocking descriptor with nothing to read yet: wait briefly and retry.
          if ((error as NodeJS.ErrnoException).code === "EAGAIN") sleep(1);
          else if ((error as NodeJS.ErrnoException).code === "EOF")
            return { done: true, value: undefined };
          else throw error;
        }
      }
    },
  };
}

function writeFd(fd: number, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += writeSync(fd, data, offset, data.length - offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EAGAIN") sleep(1);
      else throw error;
    }
  }
}

/** Reads pkt-lines from a stream. `undefined` means the stream ended between packets. */
class PacketReader {
  private readonly parser = new PktParser();
  private readonly chunks: AsyncIterator<Buffer>;
  private ended = false;

  constructor(input: Readable | number) {
    this.chunks =
      typeof input === "number"
        ? fdChunks(input)
        : (input[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  }

  async read(): Promise<Packet | undefined> {
    for (;;) {
      const packet = this.parser.next();
      if (packet !== undefined) return packet;
      if (this.ended) {
        if (this.parser.pending > 0)
          throw new GitSecretsError("PROTOCOL_ERROR", "git closed the pipe mid-packet");
        return undefined;
      }
      const result = await this.chunks.next();
      if (result.done) this.ended = true;
      else this.parser.push(result.value);
    }
  }

  /** Text packets up to the next flush; `undefined` on a clean end of input. */
  async readList(): Promise<string[] | undefined> {
    const lines: string[] = [];
    for (;;) {
      const packet = await this.read();
      if (packet === undefined) {
        if (lines.length === 0) return undefined;
        throw new GitSecretsError("PROTOCOL_ERROR", "git closed the pipe inside a list of keys");
      }
      if (packet === null) return lines;
      lines.push(packetText(packet));
    }
  }

  /** Binary packets up to the next flush, joined. */
  async readContent(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for (;;) {
      const packet = await this.read();
      if (packet === undefined)
        throw new GitSecretsError("PROTOCOL_ERROR", "git closed the pipe inside file content");
      if (packet === null)
        return parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(parts);
      parts.push(packet);
    }
  }
}

function write(output: Writable | number, data: Uint8Array): Promise<void> {
  if (typeof output === "number") {
    writeFd(output, data);
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    output.write(data, (error) => (error ? reject(error) : resolve()));
  });
}

/** The warning git-crypt prints for the same case, worded for git-seal. */
export function plaintextWarning(path: string): string {
  return `Warning: ${path || "a file"} is marked encrypted in .gitattributes but its blob is plaintext (checked out as stored; anyone who can push could have planted it). Run git-seal status to see such files.`;
}

export function plaintextInEncryptedPath(path: string): GitSecretsError {
  return new GitSecretsError(
    "PLAINTEXT_IN_ENCRYPTED_PATH",
    `${path || "a file"} is marked encrypted in .gitattributes but its blob is plaintext; strict mode refuses it (anyone who can push could have planted it). Check who committed it; git-seal status -f re-encrypts it, git config git-seal.strict false only warns`,
    path ? { path } : {},
  );
}

/** Options of {@link runFilterProcess}. */
export interface FilterProcessOptions {
  /**
   * What git writes: a stream, or a file descriptor (`0` in the CLI) read with blocking calls,
   * which is faster for git's one-file-at-a-time exchange.
   */
  input: Readable | number;
  /** Where git reads answers: a stream, or a file descriptor (`1` in the CLI). */
  output: Writable | number;
  /**
   * Gives the codec on first use. A rejection (no key stored, say) answers every file with
   * `status=error` and the reason on `logger`, so git stops with a clear message.
   */
  codec: () => Promise<Codec>;
  /**
   * Receives one `error` line per failed file and one `warn` line per plaintext blob in an
   * encrypted path.
   * @defaultValue `git-seal: …` lines on stderr (git shows them to the user)
   */
  logger?: Logger | undefined;
  /**
   * What to do when git asks to smudge content without a git-seal/git-crypt header in a path
   * the attributes mark encrypted (someone committed plaintext there): `true` answers
   * `status=error` (git stops the checkout), `false` passes it through with a warning on
   * `logger`, as git-crypt does. A function is asked once, on the first such file.
   * @defaultValue `false`
   */
  strict?: boolean | (() => Promise<boolean>) | undefined;
  /**
   * Called after each file; used by tests and progress displays.
   * @defaultValue none
   */
  onFile?: (event: {
    command: "clean" | "smudge";
    path: string;
    /** Size of what git sent. */
    bytes: number;
    /** What the process answered: the blob (clean) or the plaintext (smudge). */
    result: Uint8Array;
  }) => void;
}

/**
 * Serves git's long-running filter protocol, version 2 (gitattributes(5), "Long Running
 * Filter Process"), until git closes stdin: one process cleans and smudges every file of a
 * git command, which is what makes git-seal fast on many files.
 */
export async function runFilterProcess(options: FilterProcessOptions): Promise<{ files: number }> {
  const { input, output } = options;
  const logger = options.logger ?? stderrLogger();
  const reader = new PacketReader(input);

  const welcome = (await reader.readList()) ?? [];
  if (welcome[0] !== "git-filter-client") {
    throw new GitSecretsError(
      "PROTOCOL_ERROR",
      `expected git-filter-client, got ${JSON.stringify(welcome[0] ?? null)}`,
    );
  }
  if (!welcome.includes("version=2")) {
    throw new GitSecretsError(
      "PROTOCOL_ERROR",
      `git offers ${welcome.slice(1).join(", ")}; git-seal speaks version=2`,
    );
  }
  await write(
    output,
    concatBytes([encodeText("git-filter-server"), encodeText("version=2"), FLUSH]),
  );
  const offered = (await reader.readList()) ?? [];
  const capabilities = ["clean", "smudge"].filter((c) => offered.includes(`capability=${c}`));
  await write(
    output,
    concatBytes([...capabilities.map((c) => encodeText(`capability=${c}`)), FLUSH]),
  );

  let codec: Promise<Codec> | undefined;
  let strict: Promise<boolean> | undefined;
  let files = 0;
  for (;;) {
    const request = await reader.readList();
    if (request === undefined) return { files };
    const fields = new Map<string, string>();
    for (const line of request) {
      const eq = line.indexOf("=");
      if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
    }
    const command = fields.get("command");
    const path = fields.get("pathname") ?? "";
    const content = await reader.readContent();
    if (command !== "clean" && command !== "smudge") {
      logger.error(`${path}: unsupported filter command ${JSON.stringify(command ?? null)}`);
      await write(output, concatBytes([encodeText("status=error"), FLUSH]));
      continue;
    }
    let result: Uint8Array;
    try {
      if (command === "smudge" && !isEncryptedBlob(content)) {
        strict ??= Promise.resolve(
          typeof options.strict === "function" ? options.strict() : (options.strict ?? false),
        );
        if (await strict) throw plaintextInEncryptedPath(path);
        logger.warn(plaintextWarning(path));
        result = content;
      } else {
        codec ??= options.codec();
        const c = await codec;
        result = command === "clean" ? c.seal(content, path) : c.open(content, path);
      }
    } catch (error) {
      logger.error(
        error instanceof Error ? `${path}: ${error.message}` : `${path}: ${String(error)}`,
      );
      await write(output, concatBytes([encodeText("status=error"), FLUSH]));
      continue;
    }
    files++;
    await write(
      output,
      concatBytes([encodeText("status=success"), FLUSH, encodeData(result), FLUSH, FLUSH]),
    );
    options.onFile?.({ command, path, bytes: content.length, result });
  }
}
