/**
 * SipHash-2-4 (Aumasson & Bernstein) on 32-bit halves, so it runs on plain numbers without
 * bigint allocation. A 64-bit lane is a pair (hi, lo) of int32 values; every operation stays in
 * int32 (carries via unsigned compares) so V8 keeps the state in registers. The round code is
 * written out in full on purpose: this is the cookies' pure-JS path (about 7 M hashes/s here),
 * used when the WebAssembly one (siphash-wasm.ts) is turned off or unavailable.
 */

/** A SipHash key prepared as the four initial state words. */
export interface SipKey {
  readonly k0h: number;
  readonly k0l: number;
  readonly k1h: number;
  readonly k1l: number;
}

/** Prepares a 16-byte key (k0 = bytes 0–7 little-endian, k1 = bytes 8–15). */
export function sipKey(key: Uint8Array): SipKey {
  if (key.length !== 16) throw new RangeError("SipHash key must be 16 bytes");
  const le = (o: number) =>
    (key[o] as number) |
    ((key[o + 1] as number) << 8) |
    ((key[o + 2] as number) << 16) |
    ((key[o + 3] as number) << 24);
  return { k0l: le(0), k0h: le(4), k1l: le(8), k1h: le(12) };
}

/** Result lanes (unsigned 32-bit) of the last hash (avoids allocating a result per call). */
export const sipOut = { hi: 0, lo: 0 };

/** SipHash-2-4 of `data[0..length)`; the 64-bit result is left in {@link sipOut}. */
export function sipHash24(key: SipKey, data: Uint8Array, length = data.length): void {
  let v0h = key.k0h ^ 0x736f6d65;
  let v0l = key.k0l ^ 0x70736575;
  let v1h = key.k1h ^ 0x646f7261;
  let v1l = key.k1l ^ 0x6e646f6d;
  let v2h = key.k0h ^ 0x6c796765;
  let v2l = key.k0l ^ 0x6e657261;
  let v3h = key.k1h ^ 0x74656462;
  let v3l = key.k1l ^ 0x79746573;
  let t = 0;
  const full = length - (length % 8);
  for (let off = 0; off <= full; off += 8) {
    let mh = 0;
    let ml = 0;
    if (off < full) {
      ml =
        (data[off] as number) |
        ((data[off + 1] as number) << 8) |
        ((data[off + 2] as number) << 16) |
        ((data[off + 3] as number) << 24);
      mh =
        (data[off + 4] as number) |
        ((data[off + 5] as number) << 8) |
        ((data[off + 6] as number) << 16) |
        ((data[off + 7] as number) << 24);
    } else {
      // Last block: the remaining bytes plus the length in the top byte.
      mh = (length & 0xff) << 24;
      const rest = length - full;
      for (let i = 0; i < rest; i++) {
        const b = data[off + i] as number;
        if (i < 4) ml |= b << (8 * i);
        else mh |= b << (8 * (i - 4));
      }
    }
    v3h ^= mh;
    v3l ^= ml;
    t = (v0l + v1l) | 0;
    v0h = (v0h + v1h + (t >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
    v0l = t;
    t = v1h;
    v1h = (v1h << 13) | (v1l >>> 19);
    v1l = (v1l << 13) | (t >>> 19);
    v1h ^= v0h;
    v1l ^= v0l;
    t = v0h;
    v0h = v0l;
    v0l = t;
    t = (v2l + v3l) | 0;
    v2h = (v2h + v3h + (t >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
    v2l = t;
    t = v3h;
    v3h = (v3h << 16) | (v3l >>> 16);
    v3l = (v3l << 16) | (t >>> 16);
    v3h ^= v2h;
    v3l ^= v2l;
    t = (v0l + v3l) | 0;
    v0h = (v0h + v3h + (t >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
    v0l = t;
    t = v3h;
    v3h = (v3h << 21) | (v3l >>> 11);
    v3l = (v3l << 21) | (t >>> 11);
    v3h ^= v0h;
    v3l ^= v0l;
    t = (v2l + v1l) | 0;
    v2h = (v2h + v1h + (t >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
    v2l = t;
    t = v1h;
    v1h = (v1h << 17) | (v1l >>> 15);
    v1l = (v1l << 17) | (t >>> 15);
    v1h ^= v2h;
    v1l ^= v2l;
    t = v2h;
    v2h = v2l;
    v2l = t;
    t = (v0l + v1l) | 0;
    v0h = (v0h + v1h + (t >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
    v0l = t;
    t = v1h;
    v1h = (v1h << 13) | (v1l >>> 19);
    v1l = (v1l << 13) | (t >>> 19);
    v1h ^= v0h;
    v1l ^= v0l;
    t = v0h;
    v0h = v0l;
    v0l = t;
    t = (v2l + v3l) | 0;
    v2h = (v2h + v3h + (t >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
    v2l = t;
    t = v3h;
    v3h = (v3h << 16) | (v3l >>> 16);
    v3l = (v3l << 16) | (t >>> 16);
    v3h ^= v2h;
    v3l ^= v2l;
    t = (v0l + v3l) | 0;
    v0h = (v0h + v3h + (t >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
    v0l = t;
    t = v3h;
    v3h = (v3h << 21) | (v3l >>> 11);
    v3l = (v3l << 21) | (t >>> 11);
    v3h ^= v0h;
    v3l ^= v0l;
    t = (v2l + v1l) | 0;
    v2h = (v2h + v1h + (t >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
    v2l = t;
    t = v1h;
    v1h = (v1h << 17) | (v1l >>> 15);
    v1l = (v1l << 17) | (t >>> 15);
    v1h ^= v2h;
    v1l ^= v2l;
    t = v2h;
    v2h = v2l;
    v2l = t;
    v0h ^= mh;
    v0l ^= ml;
  }
  v2l ^= 0xff;
  t = (v0l + v1l) | 0;
  v0h = (v0h + v1h + (t >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
  v0l = t;
  t = v1h;
  v1h = (v1h << 13) | (v1l >>> 19);
  v1l = (v1l << 13) | (t >>> 19);
  v1h ^= v0h;
  v1l ^= v0l;
  t = v0h;
  v0h = v0l;
  v0l = t;
  t = (v2l + v3l) | 0;
  v2h = (v2h + v3h + (t >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
  v2l = t;
  t = v3h;
  v3h = (v3h << 16) | (v3l >>> 16);
  v3l = (v3l << 16) | (t >>> 16);
  v3h ^= v2h;
  v3l ^= v2l;
  t = (v0l + v3l) | 0;
  v0h = (v0h + v3h + (t >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
  v0l = t;
  t = v3h;
  v3h = (v3h << 21) | (v3l >>> 11);
  v3l = (v3l << 21) | (t >>> 11);
  v3h ^= v0h;
  v3l ^= v0l;
  t = (v2l + v1l) | 0;
  v2h = (v2h + v1h + (t >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
  v2l = t;
  t = v1h;
  v1h = (v1h << 17) | (v1l >>> 15);
  v1l = (v1l << 17) | (t >>> 15);
  v1h ^= v2h;
  v1l ^= v2l;
  t = v2h;
  v2h = v2l;
  v2l = t;
  t = (v0l + v1l) | 0;
  v0h = (v0h + v1h + (t >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
  v0l = t;
  t = v1h;
  v1h = (v1h << 13) | (v1l >>> 19);
  v1l = (v1l << 13) | (t >>> 19);
  v1h ^= v0h;
  v1l ^= v0l;
  t = v0h;
  v0h = v0l;
  v0l = t;
  t = (v2l + v3l) | 0;
  v2h = (v2h + v3h + (t >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
  v2l = t;
  t = v3h;
  v3h = (v3h << 16) | (v3l >>> 16);
  v3l = (v3l << 16) | (t >>> 16);
  v3h ^= v2h;
  v3l ^= v2l;
  t = (v0l + v3l) | 0;
  v0h = (v0h + v3h + (t >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
  v0l = t;
  t = v3h;
  v3h = (v3h << 21) | (v3l >>> 11);
  v3l = (v3l << 21) | (t >>> 11);
  v3h ^= v0h;
  v3l ^= v0l;
  t = (v2l + v1l) | 0;
  v2h = (v2h + v1h + (t >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
  v2l = t;
  t = v1h;
  v1h = (v1h << 17) | (v1l >>> 15);
  v1l = (v1l << 17) | (t >>> 15);
  v1h ^= v2h;
  v1l ^= v2l;
  t = v2h;
  v2h = v2l;
  v2l = t;
  t = (v0l + v1l) | 0;
  v0h = (v0h + v1h + (t >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
  v0l = t;
  t = v1h;
  v1h = (v1h << 13) | (v1l >>> 19);
  v1l = (v1l << 13) | (t >>> 19);
  v1h ^= v0h;
  v1l ^= v0l;
  t = v0h;
  v0h = v0l;
  v0l = t;
  t = (v2l + v3l) | 0;
  v2h = (v2h + v3h + (t >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
  v2l = t;
  t = v3h;
  v3h = (v3h << 16) | (v3l >>> 16);
  v3l = (v3l << 16) | (t >>> 16);
  v3h ^= v2h;
  v3l ^= v2l;
  t = (v0l + v3l) | 0;
  v0h = (v0h + v3h + (t >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
  v0l = t;
  t = v3h;
  v3h = (v3h << 21) | (v3l >>> 11);
  v3l = (v3l << 21) | (t >>> 11);
  v3h ^= v0h;
  v3l ^= v0l;
  t = (v2l + v1l) | 0;
  v2h = (v2h + v1h + (t >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
  v2l = t;
  t = v1h;
  v1h = (v1h << 17) | (v1l >>> 15);
  v1l = (v1l << 17) | (t >>> 15);
  v1h ^= v2h;
  v1l ^= v2l;
  t = v2h;
  v2h = v2l;
  v2l = t;
  t = (v0l + v1l) | 0;
  v0h = (v0h + v1h + (t >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
  v0l = t;
  t = v1h;
  v1h = (v1h << 13) | (v1l >>> 19);
  v1l = (v1l << 13) | (t >>> 19);
  v1h ^= v0h;
  v1l ^= v0l;
  t = v0h;
  v0h = v0l;
  v0l = t;
  t = (v2l + v3l) | 0;
  v2h = (v2h + v3h + (t >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
  v2l = t;
  t = v3h;
  v3h = (v3h << 16) | (v3l >>> 16);
  v3l = (v3l << 16) | (t >>> 16);
  v3h ^= v2h;
  v3l ^= v2l;
  t = (v0l + v3l) | 0;
  v0h = (v0h + v3h + (t >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
  v0l = t;
  t = v3h;
  v3h = (v3h << 21) | (v3l >>> 11);
  v3l = (v3l << 21) | (t >>> 11);
  v3h ^= v0h;
  v3l ^= v0l;
  t = (v2l + v1l) | 0;
  v2h = (v2h + v1h + (t >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
  v2l = t;
  t = v1h;
  v1h = (v1h << 17) | (v1l >>> 15);
  v1l = (v1l << 17) | (t >>> 15);
  v1h ^= v2h;
  v1l ^= v2l;
  t = v2h;
  v2h = v2l;
  v2l = t;
  sipOut.hi = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  sipOut.lo = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
}

const tuple = new Uint8Array(12);

/**
 * SipHash-2-4 of the 12 bytes `a(4, big-endian) b(2) c(4) d(2)`: the SYN cookie's (source
 * address, source port, destination address, destination port) for IPv4, through one reused
 * buffer. Same result as {@link sipHash24} over those bytes.
 */
export function sipHash24Tuple4(key: SipKey, a: number, b: number, c: number, d: number): void {
  tuple[0] = a >>> 24;
  tuple[1] = a >>> 16;
  tuple[2] = a >>> 8;
  tuple[3] = a;
  tuple[4] = b >>> 8;
  tuple[5] = b;
  tuple[6] = c >>> 24;
  tuple[7] = c >>> 16;
  tuple[8] = c >>> 8;
  tuple[9] = c;
  tuple[10] = d >>> 8;
  tuple[11] = d;
  sipHash24(key, tuple, 12);
}

/** SipHash-2-4 as a bigint; convenient, not for hot loops. */
export function sipHash24Big(key: SipKey, data: Uint8Array): bigint {
  sipHash24(key, data);
  return (BigInt(sipOut.hi) << 32n) | BigInt(sipOut.lo);
}
