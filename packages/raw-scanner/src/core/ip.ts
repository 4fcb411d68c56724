import { RawScannerError } from "../errors.js";

/** An IPv4 address as an unsigned 32-bit number, or an IPv6 address as a 128-bit bigint. */
export type IpAddress = { version: 4; value: number } | { version: 6; value: bigint };

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses dotted-quad IPv4 into an unsigned 32-bit number; `undefined` when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i] as string;
    if (part.length > 1 && part.startsWith("0")) return undefined; // octal-looking: refuse rather than guess
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/** Formats an unsigned 32-bit number as dotted-quad. */
export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** Parses an IPv6 address (with `::` compression and an optional embedded IPv4 tail). */
export function parseIpv6(text: string): bigint | undefined {
  if (!text.includes(":") || text.includes("%")) return undefined;
  let head = text;
  let tailWords: number[] = [];
  const lastColon = text.lastIndexOf(":");
  const maybeV4 = text.slice(lastColon + 1);
  if (maybeV4.includes(".")) {
    const v4 = parseIpv4(maybeV4);
    if (v4 === undefined) return undefined;
    tailWords = [v4 >>> 16, v4 & 0xffff];
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const parseWords = (part: string): number[] | undefined => {
    if (part === "") return [];
    const words: number[] = [];
    for (const w of part.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return undefined;
      words.push(Number.parseInt(w, 16));
    }
    return words;
  };
  const left = parseWords(halves[0] as string);
  const right = halves.length === 2 ? parseWords(halves[1] as string) : [];
  if (!left || !right) return undefined;
  const given = left.length + right.length + tailWords.length;
  let words: number[];
  if (halves.length === 2) {
    if (given > 7) return undefined;
    words = [...left, ...new Array<number>(8 - given).fill(0), ...right, ...tailWords];
  } else {
    if (given !== 8) return undefined;
    words = [...left, ...tailWords];
  }
  let value = 0n;
  for (const w of words) value = (value << 16n) | BigInt(w);
  return value;
}

/** Formats a 128-bit bigint as RFC 5952 IPv6 text (longest zero run compressed). */
export function formatIpv6(value: bigint): string {
  const words: number[] = [];
  for (let i = 7; i >= 0; i--) words.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** Parses either family. Throws `INVALID_TARGET` when it is neither. */
export function parseIp(text: string): IpAddress {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = parseIpv6(text);
  if (v6 !== undefined) return { version: 6, value: v6 };
  throw new RawScannerError("INVALID_TARGET", `"${text}" is not an IPv4 or IPv6 address`, {
    input: text,
  });
}

/** Formats either family. */
export function formatIp(ip: IpAddress): string {
  return ip.version === 4 ? formatIpv4(ip.value) : formatIpv6(ip.value);
}
