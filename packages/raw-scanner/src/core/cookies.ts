import { RawScannerError } from "../errors.js";
import { type SipKey, sipHash24, sipHash24Tuple4, sipKey, sipOut } from "./siphash.js";
import { type Hash2, wasmHash2 } from "./siphash-wasm.js";

/** An inclusive source-port range whose size is a power of two, as masscan requires. */
export interface SourcePortRange {
  readonly first: number;
  readonly last: number;
}

/** Parses `40000-41023` or `40000` and checks it is a power-of-two sized, aligned-free range. */
export function parseSourcePortRange(text: string): SourcePortRange {
  const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(text);
  if (!m) {
    throw new RawScannerError(
      "INVALID_SOURCE_PORT",
      `source-port "${text}" is not a port or a range like 40000-41023`,
      { input: text },
    );
  }
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  return checkSourcePortRange({ first, last }, text);
}

/** Validates a range object: ports 1–65535, first ≤ last, size a power of two. */
export function checkSourcePortRange(range: SourcePortRange, input?: string): SourcePortRange {
  const { first, last } = range;
  const label = input ?? `${first}-${last}`;
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1 || last > 65535) {
    throw new RawScannerError("INVALID_SOURCE_PORT", `source-port ${label} is outside 1–65535`, {
      input: label,
    });
  }
  if (last < first) {
    throw new RawScannerError("INVALID_SOURCE_PORT", `source-port ${label} ends before it starts`, {
      input: label,
    });
  }
  const count = last - first + 1;
  if ((count & (count - 1)) !== 0) {
    const lower = 2 ** Math.floor(Math.log2(count));
    throw new RawScannerError(
      "INVALID_SOURCE_PORT",
      `source-port ${label} holds ${count} ports; the count must be a power of two ` +
        `(e.g. ${first}-${first + lower - 1})`,
      { input: label },
    );
  }
  return { first, last };
}

/** Output of {@link SynCookies.probe}: the source port and initial sequence number to send. */
export interface CookieProbe {
  srcPort: number;
  seq: number;
}

/**
 * SYN cookies: SipHash-2-4 under a per-scan secret over (source address, source port,
 * destination address, destination port). The high 32 bits of the hash pick the source port
 * inside the power-of-two range and the low 32 bits are the initial sequence number, so a
 * reply is recognised without keeping any per-probe state: its ACK must be ISN + 1 and its
 * destination port must be the one the hash chose. The source-port field of the hash input is
 * the range's first port (the chosen port cannot feed the hash that chooses it).
 */
export class SynCookies {
  readonly sourcePorts: SourcePortRange;
  /** Whether cookies are computed by the WebAssembly SipHash (else pure JS). */
  get usesWasm(): boolean {
    return this.hash2 !== undefined;
  }
  private readonly key: SipKey;
  private readonly hash2: Hash2 | undefined;
  private readonly mask: number;
  private readonly buf = new Uint8Array(36);
  private readonly out: CookieProbe = { srcPort: 0, seq: 0 };

  constructor(options: {
    secret: Uint8Array;
    sourcePorts: SourcePortRange;
    /**
     * Use the WebAssembly SipHash; false forces pure JS.
     *
     * @defaultValue true (when WebAssembly is available)
     */
    wasm?: boolean;
  }) {
    if (options.secret.length !== 16) {
      throw new RawScannerError("INVALID_ARGUMENT", "cookie secret must be 16 bytes");
    }
    this.key = sipKey(options.secret);
    this.hash2 = options.wasm === false ? undefined : wasmHash2(this.key);
    this.sourcePorts = checkSourcePortRange(options.sourcePorts);
    this.mask = this.sourcePorts.last - this.sourcePorts.first;
  }

  /**
   * Source port and ISN for an IPv4 probe. Returns a shared object (overwritten by the next
   * call) so the hot loop allocates nothing.
   */
  probe(srcAddr: number, dstAddr: number, dstPort: number): CookieProbe {
    const first = this.sourcePorts.first;
    const hash2 = this.hash2;
    if (hash2) {
      // The 12 message bytes as SipHash's two little-endian words (the last one carries the
      // length, 12, in its top byte); see sipHash24Tuple4 for the same layout in JS.
      const v = hash2(
        ((first >>> 8) & 0xff) |
          ((first & 0xff) << 8) |
          ((dstAddr >>> 24) << 16) |
          (((dstAddr >>> 16) & 0xff) << 24),
        ((srcAddr >>> 24) & 0xff) |
          (((srcAddr >>> 16) & 0xff) << 8) |
          (((srcAddr >>> 8) & 0xff) << 16) |
          (srcAddr << 24),
        12 << 24,
        ((dstAddr >>> 8) & 0xff) |
          ((dstAddr & 0xff) << 8) |
          (((dstPort >>> 8) & 0xff) << 16) |
          ((dstPort & 0xff) << 24),
      );
      this.out.seq = v >>> 0;
      this.out.srcPort = first + (Math.floor(v / 4294967296) & this.mask);
      return this.out;
    }
    sipHash24Tuple4(this.key, srcAddr, first, dstAddr, dstPort);
    this.out.srcPort = first + (sipOut.hi & this.mask);
    this.out.seq = sipOut.lo;
    return this.out;
  }

  /** Source port and ISN for an IPv6 probe (addresses as 128-bit bigints). */
  probe6(srcAddr: bigint, dstAddr: bigint, dstPort: number): CookieProbe {
    const b = this.buf;
    const first = this.sourcePorts.first;
    for (let i = 0; i < 16; i++) b[i] = Number((srcAddr >> BigInt(8 * (15 - i))) & 0xffn);
    b[16] = first >>> 8;
    b[17] = first;
    for (let i = 0; i < 16; i++) b[18 + i] = Number((dstAddr >> BigInt(8 * (15 - i))) & 0xffn);
    b[34] = dstPort >>> 8;
    b[35] = dstPort;
    sipHash24(this.key, b, 36);
    this.out.srcPort = first + (sipOut.hi & this.mask);
    this.out.seq = sipOut.lo;
    return this.out;
  }

  /**
   * Whether a SYN-ACK/RST is the answer to one of our probes: `ourAddr:ourPort` is the reply's
   * destination, `theirAddr:theirPort` its source, `ack` its acknowledgement number.
   */
  verify(ourAddr: number, ourPort: number, theirAddr: number, theirPort: number, ack: number) {
    const { srcPort, seq } = this.probe(ourAddr, theirAddr, theirPort);
    return srcPort === ourPort && (seq + 1) >>> 0 === ack >>> 0;
  }
}
