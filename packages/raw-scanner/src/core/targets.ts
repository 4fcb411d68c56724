import { RawScannerError } from "../errors.js";
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from "./ip.js";
import { BigRangeList, RangeList } from "./ranges.js";

/** IPv4 and IPv6 address ranges, kept apart as masscan does. */
export interface AddressRanges {
  v4: Array<[number, number]>;
  v6: Array<[bigint, bigint]>;
}

const MAX128 = (1n << 128n) - 1n;

/**
 * Parses one target: an address, a CIDR block (`10.0.0.0/24`, `fd00::/64`) or a range
 * (`10.0.0.1-10.0.0.9`, `::1-::5`). Throws `INVALID_TARGET`.
 */
export function parseTarget(spec: string, into: AddressRanges = { v4: [], v6: [] }): AddressRanges {
  const text = spec.trim();
  const bad = (why: string) =>
    new RawScannerError("INVALID_TARGET", `target "${spec}" ${why}`, { input: spec });
  if (text === "") throw bad("is empty");
  const slash = text.indexOf("/");
  if (slash >= 0) {
    const base = text.slice(0, slash);
    const bitsText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bitsText)) throw bad("has a bad prefix length");
    const bits = Number(bitsText);
    const v4 = parseIpv4(base);
    if (v4 !== undefined) {
      if (bits > 32) throw bad("has a prefix length above 32");
      const size = 2 ** (32 - bits);
      const start = Math.floor(v4 / size) * size;
      into.v4.push([start, start + size - 1]);
      return into;
    }
    const v6 = parseIpv6(base);
    if (v6 !== undefined) {
      if (bits > 128) throw bad("has a prefix length above 128");
      const host = (1n << BigInt(128 - bits)) - 1n;
      const start = v6 & (MAX128 ^ host);
      into.v6.push([start, start | host]);
      return into;
    }
    throw bad("is not an address, CIDR block or range");
  }
  const dash = text.indexOf("-");
  if (dash >= 0) {
    const left = text.slice(0, dash).trim();
    const right = text.slice(dash + 1).trim();
    const a4 = parseIpv4(left);
    const b4 = parseIpv4(right);
    if (a4 !== undefined && b4 !== undefined) {
      if (b4 < a4) throw bad("ends before it starts");
      into.v4.push([a4, b4]);
      return into;
    }
    const a6 = parseIpv6(left);
    const b6 = parseIpv6(right);
    if (a6 !== undefined && b6 !== undefined) {
      if (b6 < a6) throw bad("ends before it starts");
      into.v6.push([a6, b6]);
      return into;
    }
    throw bad("is not an address, CIDR block or range");
  }
  const v4 = parseIpv4(text);
  if (v4 !== undefined) {
    into.v4.push([v4, v4]);
    return into;
  }
  const v6 = parseIpv6(text);
  if (v6 !== undefined) {
    into.v6.push([v6, v6]);
    return into;
  }
  throw bad("is not an address, CIDR block or range");
}

/** Splits a list as masscan reads them: commas, whitespace, and `#` comments to end of line. */
export function splitList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*/, ""))
    .flatMap((line) => line.split(/[\s,]+/))
    .filter((s) => s !== "");
}

/** Parses many targets (strings may themselves hold comma-separated lists). */
export function parseTargets(specs: Iterable<string>): AddressRanges {
  const out: AddressRanges = { v4: [], v6: [] };
  for (const spec of specs) for (const one of splitList(spec)) parseTarget(one, out);
  return out;
}

/**
 * Parses a port list: `80`, `1-1024`, `22,80,443`, `T:80` (TCP). UDP (`U:`), SCTP (`S:`) and
 * IP-protocol (`O:`) ports are refused: the connect backend speaks TCP only.
 */
export function parsePorts(spec: string | Iterable<string | number>): RangeList {
  const parts =
    typeof spec === "string" ? splitList(spec) : [...spec].map(String).flatMap(splitList);
  const ranges: Array<[number, number]> = [];
  for (const raw of parts) {
    let part = raw;
    const bad = (why: string) =>
      new RawScannerError("INVALID_PORT", `port "${raw}" ${why}`, { input: raw });
    const proto = /^([a-zA-Z]):/.exec(part);
    if (proto) {
      if ((proto[1] as string).toUpperCase() !== "T") {
        throw bad("is not TCP; only TCP ports (plain or T:) can be scanned by this backend");
      }
      part = part.slice(2);
    }
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    if (!m) throw bad("is not a port or a range like 1-1024");
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (first < 1 || last > 65535) throw bad("is outside 1–65535");
    if (last < first) throw bad("ends before it starts");
    ranges.push([first, last]);
  }
  if (ranges.length === 0) {
    throw new RawScannerError("INVALID_PORT", "no ports given (e.g. -p 80 or -p 1-1024)", {
      input: typeof spec === "string" ? spec : "",
    });
  }
  return new RangeList(ranges);
}

/** A reserved block skipped unless `allowReserved` is set. */
export interface ReservedBlock {
  readonly cidr: string;
  readonly why: string;
}

/**
 * IANA special-purpose blocks (RFC 6890 and successors) that a scan never needs: scanning
 * them reaches nobody, or reaches shared infrastructure. Loopback (127.0.0.0/8, ::1) is not
 * listed: it is where tests and first experiments run. Private ranges (10/8, 172.16/12,
 * 192.168/16, fc00::/7) are not listed either: they are your own networks.
 */
export const RESERVED_BLOCKS: readonly ReservedBlock[] = [
  { cidr: "0.0.0.0/8", why: '"this network"' },
  { cidr: "100.64.0.0/10", why: "carrier-grade NAT shared space" },
  { cidr: "169.254.0.0/16", why: "link-local" },
  { cidr: "192.0.0.0/24", why: "IETF protocol assignments" },
  { cidr: "192.0.2.0/24", why: "documentation (TEST-NET-1)" },
  { cidr: "198.18.0.0/15", why: "benchmarking" },
  { cidr: "198.51.100.0/24", why: "documentation (TEST-NET-2)" },
  { cidr: "203.0.113.0/24", why: "documentation (TEST-NET-3)" },
  { cidr: "224.0.0.0/4", why: "multicast" },
  { cidr: "240.0.0.0/4", why: "reserved and broadcast" },
  { cidr: "::/128", why: "unspecified" },
  { cidr: "::ffff:0:0/96", why: "IPv4-mapped" },
  { cidr: "64:ff9b::/96", why: "NAT64" },
  { cidr: "100::/64", why: "discard-only" },
  { cidr: "2001:db8::/32", why: "documentation" },
  { cidr: "fe80::/10", why: "link-local" },
  { cidr: "ff00::/8", why: "multicast" },
];

const reservedRanges = parseTargets(RESERVED_BLOCKS.map((b) => b.cidr));

/** Options for {@link TargetSpace.create}. */
export interface TargetSpaceOptions {
  /** Targets: addresses, CIDR blocks, ranges (strings may hold comma-separated lists). */
  targets: Iterable<string>;
  /** Ports: `"1-1024,8080"` or a list of numbers/strings. */
  ports: string | Iterable<string | number>;
  /**
   * Excluded addresses, CIDR blocks, ranges.
   *
   * @defaultValue `[]`
   */
  exclude?: Iterable<string>;
  /**
   * Scan IANA reserved blocks too.
   *
   * @defaultValue false (they are excluded)
   */
  allowReserved?: boolean;
}

/**
 * The set of (address, port) pairs to probe. Index i maps to address i mod A and port
 * ⌊i / A⌋ (A = address count), so consecutive indices hit different hosts, as in masscan.
 */
export class TargetSpace {
  readonly v4: RangeList;
  readonly v6: BigRangeList;
  readonly ports: RangeList;
  /** Number of addresses (IPv4 + IPv6). */
  readonly addressCount: bigint;
  /** Number of (address, port) pairs: exact, bigint-safe. */
  readonly size: bigint;
  /** Blocks that were dropped because they are reserved, with the reason. */
  readonly skippedReserved: readonly ReservedBlock[];
  private readonly v4Count: number;
  private readonly addrCountN: number;

  private constructor(v4: RangeList, v6: BigRangeList, ports: RangeList, skipped: ReservedBlock[]) {
    this.v4 = v4;
    this.v6 = v6;
    this.ports = ports;
    this.addressCount = BigInt(v4.count) + v6.count;
    this.size = this.addressCount * BigInt(ports.count);
    this.skippedReserved = skipped;
    this.v4Count = v4.count;
    this.addrCountN = Number(this.addressCount);
  }

  /** Builds the space; throws `NO_TARGETS`, `UNSAFE_TARGET`, `INVALID_TARGET`, `INVALID_PORT`. */
  static create(options: TargetSpaceOptions): TargetSpace {
    const wanted = parseTargets(options.targets);
    if (wanted.v4.length === 0 && wanted.v6.length === 0) {
      throw new RawScannerError(
        "NO_TARGETS",
        "no targets given: name the addresses to scan explicitly (e.g. 127.0.0.1 or 10.0.0.0/24)",
      );
    }
    const ports = parsePorts(options.ports);
    const excluded = parseTargets(options.exclude ?? []);
    let v4 = new RangeList(wanted.v4);
    let v6 = new BigRangeList(wanted.v6);
    const skipped: ReservedBlock[] = [];
    if (!options.allowReserved) {
      const before4 = v4;
      const before6 = v6;
      RESERVED_BLOCKS.forEach((block, i) => {
        const r = parseTargets([block.cidr]);
        const overlaps =
          r.v4.some(([b, e]) => before4.ranges.some(([x, y]) => x <= e && y >= b)) ||
          r.v6.some(([b, e]) => before6.ranges.some(([x, y]) => x <= e && y >= b));
        if (overlaps) skipped.push(RESERVED_BLOCKS[i] as ReservedBlock);
      });
      v4 = v4.subtract(new RangeList(reservedRanges.v4));
      v6 = v6.subtract(new BigRangeList(reservedRanges.v6));
      if (v4.count === 0 && v6.count === 0n) {
        const count = BigInt(before4.count) + before6.count;
        throw new RawScannerError(
          "UNSAFE_TARGET",
          `every target lies in a reserved block (${skipped.map((b) => `${b.cidr} ${b.why}`).join(", ")}): ` +
            `the request covers ${count.toLocaleString("en-US")} address${count === 1n ? "" : "es"}, all reserved; ` +
            "these are excluded by default: pass allowReserved (--allow-reserved) if you really mean it",
          { input: [...options.targets].join(","), addressCount: count },
        );
      }
    }
    v4 = v4.subtract(new RangeList(excluded.v4));
    v6 = v6.subtract(new BigRangeList(excluded.v6));
    if (v4.count === 0 && v6.count === 0n) {
      throw new RawScannerError("NO_TARGETS", "every target is excluded: nothing left to scan");
    }
    return new TargetSpace(v4, v6, ports, skipped);
  }

  /** Whether the space is small enough for the number fast path (size ≤ 2^53). */
  get isSmall(): boolean {
    return this.size <= BigInt(Number.MAX_SAFE_INTEGER);
  }

  /** Address index → IPv4 number, or undefined when the index is an IPv6 one. */
  v4At(addressIndex: number): number {
    return this.v4.pick(addressIndex);
  }

  /** Splits a (small) index into address index and port. */
  portAt(index: number): number {
    return this.ports.pick(Math.floor(index / this.addrCountN));
  }

  /** Address index of a (small) index. */
  addressIndexAt(index: number): number {
    return index % this.addrCountN;
  }

  /** Whether an address index is IPv4. */
  isV4Index(addressIndex: number): boolean {
    return addressIndex < this.v4Count;
  }

  /** The (address, port) pair for any index, as text and port. */
  at(index: bigint): { address: string; version: 4 | 6; port: number } {
    const a = index % this.addressCount;
    const port = this.ports.pick(Number(index / this.addressCount));
    if (a < BigInt(this.v4Count)) {
      return { address: formatIpv4(this.v4.pick(Number(a))), version: 4, port };
    }
    return { address: formatIpv6(this.v6.pick(a - BigInt(this.v4Count))), version: 6, port };
  }

  /** The address at an address index as an IPv6 bigint (for indices ≥ the IPv4 count). */
  v6At(addressIndex: bigint): bigint {
    return this.v6.pick(addressIndex - BigInt(this.v4Count));
  }

  /** masscan's list notation of the ports: `22-22,80-80`. */
  portRangesText(): string {
    return this.ports.ranges.map(([b, e]) => `${b}-${e}`).join(",");
  }

  /** The targets as `range = ` text (CIDR where exact, else a-b). */
  rangesText(): string[] {
    return [
      ...this.v4.ranges.map(([b, e]) => cidrOrRange4(b, e)),
      ...this.v6.ranges.map(([b, e]) =>
        b === e ? formatIpv6(b) : `${formatIpv6(b)}-${formatIpv6(e)}`,
      ),
    ];
  }
}

function cidrOrRange4(b: number, e: number): string {
  if (b === e) return formatIpv4(b);
  const size = e - b + 1;
  if (Number.isInteger(Math.log2(size)) && b % size === 0) {
    return `${formatIpv4(b)}/${32 - Math.log2(size)}`;
  }
  return `${formatIpv4(b)}-${formatIpv4(e)}`;
}
