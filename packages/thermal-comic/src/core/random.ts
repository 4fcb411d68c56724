/**
 * A small seeded PRNG (xoshiro128**, seeded through splitmix32), so every random choice of a
 * comic can be reproduced byte for byte from its seed. Named sub-streams (`fork("layout")`)
 * keep one choice from shifting another: a bigger pool does not change the layout.
 */
export interface Random {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform float in [min, max). */
  range(min: number, max: number): number;
  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A new array with the items in a random order (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[];
  /** An independent stream derived from this seed and `label`. */
  fork(label: string): Random;
}

/** A seed: any integer or string. Strings hash with FNV-1a, so "42" and 42 differ. */
export type Seed = number | string;

function hashSeed(seed: Seed): number {
  if (typeof seed === "number") {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be finite, got ${seed}`);
    // Fold both halves of a 53-bit integer in, so 1 and 2**32 + 1 differ.
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    return (Math.trunc(seed) >>> 0) ^ Math.imul(hi, 0x9e3779b1);
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Creates the seeded generator. */
export function createRandom(seed: Seed): Random {
  const base = hashSeed(seed);
  const mix = splitmix32(base);
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix();
  if ((a | b | c | d) === 0) a = 1;
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const random: Random = {
    next: () => nextU32() / 2 ** 32,
    range: (min, max) => min + (max - min) * random.next(),
    int: (min, max) => min + Math.floor(random.next() * (max - min + 1)),
    chance: (p) => random.next() < p,
    pick: (items) => {
      if (items.length === 0) throw new RangeError("pick from an empty array");
      return items[Math.floor(random.next() * items.length)] as (typeof items)[number];
    },
    shuffle: (items) => {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(random.next() * (i + 1));
        [out[i], out[j]] = [out[j] as (typeof out)[number], out[i] as (typeof out)[number]];
      }
      return out;
    },
    fork: (label) => createRandom(`${base}:${label}`),
  };
  return random;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
