import { GitSecretsError } from "../errors.js";

/**
 * git's pkt-line framing (gitprotocol-common(5)): four hex digits giving the length of the
 * line including themselves, then the payload; `0000` is a flush packet. A payload holds at
 * most 65516 bytes.
 */
export const MAX_PKT_DATA = 65516;
export const FLUSH = new Uint8Array([0x30, 0x30, 0x30, 0x30]);

/** A parsed packet: `null` is a flush packet. */
export type Packet = Uint8Array | null;

function header(length: number): Uint8Array {
  const hex = (length + 4).toString(16).padStart(4, "0");
  return new Uint8Array(Buffer.from(hex, "latin1"));
}

/** One text packet (`text` gets the trailing LF git expects). */
export function encodeText(text: string): Uint8Array {
  const payload = Buffer.from(`${text}\n`, "utf8");
  if (payload.length > MAX_PKT_DATA)
    throw new GitSecretsError("PROTOCOL_ERROR", "pkt-line text too long");
  const out = new Uint8Array(payload.length + 4);
  out.set(header(payload.length));
  out.set(payload, 4);
  return out;
}

/** `data` split into as many packets as needed (none for empty data), without a flush. */
export function encodeData(data: Uint8Array): Uint8Array {
  const packets = Math.ceil(data.length / MAX_PKT_DATA);
  const out = new Uint8Array(data.length + packets * 4);
  let o = 0;
  for (let i = 0; i < data.length; i += MAX_PKT_DATA) {
    const chunk = data.subarray(i, Math.min(i + MAX_PKT_DATA, data.length));
    out.set(header(chunk.length), o);
    out.set(chunk, o + 4);
    o += chunk.length + 4;
  }
  return out;
}

/** The text of a text packet, without its trailing LF. */
export function packetText(packet: Uint8Array): string {
  const text = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength).toString("utf8");
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

/**
 * Incremental parser: feed it chunks as they arrive, take whole packets out. Pure, so the
 * same code parses a stream and a byte array in tests.
 */
export class PktParser {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Uint8Array): void {
    this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.buffered += chunk.length;
  }

  /** The next packet, or `undefined` when more bytes are needed. */
  next(): Packet | undefined {
    if (this.buffered < 4) return undefined;
    const buffer = this.flatten();
    const hex = buffer.toString("latin1", 0, 4);
    if (!/^[0-9a-f]{4}$/.test(hex)) {
      throw new GitSecretsError(
        "PROTOCOL_ERROR",
        `bad pkt-line length header ${JSON.stringify(hex)}`,
      );
    }
    const length = Number.parseInt(hex, 16);
    if (length === 0) {
      this.consume(4);
      return null;
    }
    if (length < 4 || length > MAX_PKT_DATA + 4) {
      throw new GitSecretsError("PROTOCOL_ERROR", `bad pkt-line length ${length}`);
    }
    if (this.buffered < length) return undefined;
    const payload = new Uint8Array(buffer.subarray(4, length));
    this.consume(length);
    return payload;
  }

  get pending(): number {
    return this.buffered;
  }

  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] as Buffer;
  }

  private consume(n: number): void {
    const buffer = this.flatten();
    this.chunks = n === buffer.length ? [] : [buffer.subarray(n)];
    this.buffered -= n;
  }
}
