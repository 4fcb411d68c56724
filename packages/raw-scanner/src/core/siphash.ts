/**
 * SipHash-2-4 (Aumasson & Bernstein) on 32-bit halves, so it runs on plain numbers without
 * bigint allocation. A 64-bit lane is a pair (hi, lo) of unsigned 32-bit numbers.
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
    ((key[o] as number) |
      ((key[o + 1] as number) << 8) |
      ((key[o + 2] as number) << 16) |
      ((key[o + 3] as number) << 24)) >>>
    0;
  return { k0l: le(0), k0h: le(4), k1l: le(8), k1h: le(12) };
}

/** Result lanes of the last {@link sipHash24} call (avoids allocating a result per call). */
export const sipOut = { hi: 0, lo: 0 };

/**
 * SipHash-2-4 of `data[0..length)`. The 64-bit result is left in {@link sipOut}
 * (`hi`, `lo`) and also returned as a bigint by {@link sipHash24Big}.
 */
export function sipHash24(key: SipKey, data: Uint8Array, length = data.length): void {
  let v0h = (key.k0h ^ 0x736f6d65) >>> 0;
  let v0l = (key.k0l ^ 0x70736575) >>> 0;
  let v1h = (key.k1h ^ 0x646f7261) >>> 0;
  let v1l = (key.k1l ^ 0x6e646f6d) >>> 0;
  let v2h = (key.k0h ^ 0x6c796765) >>> 0;
  let v2l = (key.k0l ^ 0x6e657261) >>> 0;
  let v3h = (key.k1h ^ 0x74656462) >>> 0;
  let v3l = (key.k1l ^ 0x79746573) >>> 0;
  let t = 0;
  let x = 0;

  const full = length - (length % 8);
  for (let off = 0; off <= full; off += 8) {
    let mh: number;
    let ml: number;
    if (off < full) {
      ml =
        ((data[off] as number) |
          ((data[off + 1] as number) << 8) |
          ((data[off + 2] as number) << 16) |
          ((data[off + 3] as number) << 24)) >>>
        0;
      mh =
        ((data[off + 4] as number) |
          ((data[off + 5] as number) << 8) |
          ((data[off + 6] as number) << 16) |
          ((data[off + 7] as number) << 24)) >>>
        0;
    } else {
      // Last block: the remaining bytes plus the length in the top byte.
      ml = 0;
      mh = (length & 0xff) << 24;
      const rest = length - full;
      for (let i = 0; i < rest; i++) {
        const b = data[off + i] as number;
        if (i < 4) ml |= b << (8 * i);
        else mh |= b << (8 * (i - 4));
      }
      ml >>>= 0;
      mh >>>= 0;
    }
    v3h = (v3h ^ mh) >>> 0;
    v3l = (v3l ^ ml) >>> 0;
    for (let r = 0; r < 2; r++) {
      // SipRound, written out on (hi, lo) pairs.
      t = v0l + v1l;
      v0h = (v0h + v1h + (t > 0xffffffff ? 1 : 0)) >>> 0;
      v0l = t >>> 0;
      x = v1h;
      v1h = ((v1h << 13) | (v1l >>> 19)) >>> 0;
      v1l = ((v1l << 13) | (x >>> 19)) >>> 0;
      v1h = (v1h ^ v0h) >>> 0;
      v1l = (v1l ^ v0l) >>> 0;
      x = v0h;
      v0h = v0l;
      v0l = x;
      t = v2l + v3l;
      v2h = (v2h + v3h + (t > 0xffffffff ? 1 : 0)) >>> 0;
      v2l = t >>> 0;
      x = v3h;
      v3h = ((v3h << 16) | (v3l >>> 16)) >>> 0;
      v3l = ((v3l << 16) | (x >>> 16)) >>> 0;
      v3h = (v3h ^ v2h) >>> 0;
      v3l = (v3l ^ v2l) >>> 0;
      t = v0l + v3l;
      v0h = (v0h + v3h + (t > 0xffffffff ? 1 : 0)) >>> 0;
      v0l = t >>> 0;
      x = v3h;
      v3h = ((v3h << 21) | (v3l >>> 11)) >>> 0;
      v3l = ((v3l << 21) | (x >>> 11)) >>> 0;
      v3h = (v3h ^ v0h) >>> 0;
      v3l = (v3l ^ v0l) >>> 0;
      t = v2l + v1l;
      v2h = (v2h + v1h + (t > 0xffffffff ? 1 : 0)) >>> 0;
      v2l = t >>> 0;
      x = v1h;
      v1h = ((v1h << 17) | (v1l >>> 15)) >>> 0;
      v1l = ((v1l << 17) | (x >>> 15)) >>> 0;
      v1h = (v1h ^ v2h) >>> 0;
      v1l = (v1l ^ v2l) >>> 0;
      x = v2h;
      v2h = v2l;
      v2l = x;
    }
    v0h = (v0h ^ mh) >>> 0;
    v0l = (v0l ^ ml) >>> 0;
  }
  v2l = (v2l ^ 0xff) >>> 0;
  for (let r = 0; r < 4; r++) {
    t = v0l + v1l;
    v0h = (v0h + v1h + (t > 0xffffffff ? 1 : 0)) >>> 0;
    v0l = t >>> 0;
    x = v1h;
    v1h = ((v1h << 13) | (v1l >>> 19)) >>> 0;
    v1l = ((v1l << 13) | (x >>> 19)) >>> 0;
    v1h = (v1h ^ v0h) >>> 0;
    v1l = (v1l ^ v0l) >>> 0;
    x = v0h;
    v0h = v0l;
    v0l = x;
    t = v2l + v3l;
    v2h = (v2h + v3h + (t > 0xffffffff ? 1 : 0)) >>> 0;
    v2l = t >>> 0;
    x = v3h;
    v3h = ((v3h << 16) | (v3l >>> 16)) >>> 0;
    v3l = ((v3l << 16) | (x >>> 16)) >>> 0;
    v3h = (v3h ^ v2h) >>> 0;
    v3l = (v3l ^ v2l) >>> 0;
    t = v0l + v3l;
    v0h = (v0h + v3h + (t > 0xffffffff ? 1 : 0)) >>> 0;
    v0l = t >>> 0;
    x = v3h;
    v3h = ((v3h << 21) | (v3l >>> 11)) >>> 0;
    v3l = ((v3l << 21) | (x >>> 11)) >>> 0;
    v3h = (v3h ^ v0h) >>> 0;
    v3l = (v3l ^ v0l) >>> 0;
    t = v2l + v1l;
    v2h = (v2h + v1h + (t > 0xffffffff ? 1 : 0)) >>> 0;
    v2l = t >>> 0;
    x = v1h;
    v1h = ((v1h << 17) | (v1l >>> 15)) >>> 0;
    v1l = ((v1l << 17) | (x >>> 15)) >>> 0;
    v1h = (v1h ^ v2h) >>> 0;
    v1l = (v1l ^ v2l) >>> 0;
    x = v2h;
    v2h = v2l;
    v2l = x;
  }
  sipOut.hi = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  sipOut.lo = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
}

/** SipHash-2-4 as a bigint; convenient, not for hot loops. */
export function sipHash24Big(key: SipKey, data: Uint8Array): bigint {
  sipHash24(key, data);
  return (BigInt(sipOut.hi) << 32n) | BigInt(sipOut.lo);
}
