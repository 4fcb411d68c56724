import { RawScannerError } from "../errors.js";

/**
 * A keyed permutation of [0, range): the "blackrock" idea of masscan, built from Black and
 * Rogaway's generalised Feistel cipher over ℤa × ℤb (a·b ≥ range) plus cycle walking, so
 * every index maps to exactly one other index and the sequence looks random.
 *
 * Ranges up to 2^53 use plain numbers and 32-bit round functions (fast path); larger ranges
 * (IPv6 target spaces) use bigint arithmetic.
 */
export class Blackrock {
  readonly range: bigint;
  readonly rounds: number;
  private readonly fast: boolean;
  private readonly a: number;
  private readonly b: number;
  private readonly keys: Int32Array;
  private readonly bigA: bigint;
  private readonly bigB: bigint;
  private readonly bigKeys: bigint[];
  private readonly rangeN: number;

  constructor(range: bigint | number, seed: bigint | number, rounds = 4) {
    const r = BigInt(range);
    if (r < 1n) throw new RawScannerError("INVALID_ARGUMENT", "permutation range must be ≥ 1");
    if (!Number.isInteger(rounds) || rounds < 1 || rounds > 64) {
      throw new RawScannerError("INVALID_ARGUMENT", `rounds must be 1–64, got ${rounds}`);
    }
    this.range = r;
    this.rounds = rounds;
    let a = sqrtBig(r);
    if (a < 1n) a = 1n;
    const b = (r + a - 1n) / a;
    // The number path is exact only while every Feistel output (below a·b, not just below the
    // range) fits in 2^53: just under 2^53, a·b overshoots and the cycle walk could never end.
    this.fast = a * b <= BigInt(Number.MAX_SAFE_INTEGER);
    this.bigA = a;
    this.bigB = b;
    this.a = Number(a);
    this.b = Number(b);
    this.rangeN = Number(r);
    // Round keys from the 64-bit seed through splitmix64, one 64-bit key per round.
    let state = BigInt.asUintN(64, BigInt(seed));
    this.keys = new Int32Array(rounds * 2);
    this.bigKeys = [];
    for (let i = 0; i < rounds; i++) {
      state = BigInt.asUintN(64, state + 0x9e3779b97f4a7c15n);
      let z = state;
      z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
      z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
      z ^= z >> 31n;
      this.bigKeys.push(z);
      this.keys[i * 2] = Number(BigInt.asIntN(32, z >> 32n));
      this.keys[i * 2 + 1] = Number(BigInt.asIntN(32, z));
    }
  }

  /** The position `index` maps to. */
  shuffle(index: number): number {
    if (!this.fast) return Number(this.shuffleBig(BigInt(index)));
    let c = this.encrypt(index);
    while (c >= this.rangeN) c = this.encrypt(c);
    return c;
  }

  /** Inverse of {@link shuffle}. */
  unshuffle(value: number): number {
    if (!this.fast) return Number(this.unshuffleBig(BigInt(value)));
    let c = this.decrypt(value);
    while (c >= this.rangeN) c = this.decrypt(c);
    return c;
  }

  shuffleBig(index: bigint): bigint {
    if (this.fast) return BigInt(this.shuffle(Number(index)));
    let c = this.encryptBig(index);
    while (c >= this.range) c = this.encryptBig(c);
    return c;
  }

  unshuffleBig(value: bigint): bigint {
    if (this.fast) return BigInt(this.unshuffle(Number(value)));
    let c = this.decryptBig(value);
    while (c >= this.range) c = this.decryptBig(c);
    return c;
  }

  private round(j: number, r: number): number {
    // A murmur3-style finaliser over the half-block and the round key, all in int32 so V8 keeps
    // it in registers; half-blocks are below 2^27 on this path (range ≤ 2^53). The result is
    // 31 bits so the caller's `%` stays an integer modulus.
    const k = this.keys;
    let h = r ^ (k[j * 2] as number);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ (k[j * 2 + 1] as number), 0xc2b2ae35);
    return (h ^ (h >>> 16)) & 0x7fffffff;
  }

  private encrypt(m: number): number {
    const a = this.a;
    const b = this.b;
    let left = m % a;
    let right = Math.floor(m / a);
    for (let j = 0; j < this.rounds; j++) {
      const mod = (j & 1) === 0 ? a : b;
      let tmp = left + (this.round(j, right) % mod);
      if (tmp >= mod) tmp -= mod;
      left = right;
      right = tmp;
    }
    return (this.rounds & 1) === 1 ? a * left + right : a * right + left;
  }

  private decrypt(c: number): number {
    const a = this.a;
    const b = this.b;
    let left: number;
    let right: number;
    if ((this.rounds & 1) === 1) {
      left = Math.floor(c / a);
      right = c % a;
    } else {
      right = Math.floor(c / a);
      left = c % a;
    }
    for (let j = this.rounds - 1; j >= 0; j--) {
      const mod = (j & 1) === 0 ? a : b;
      let tmp = right - (this.round(j, left) % mod);
      if (tmp < 0) tmp += mod;
      right = left;
      left = tmp;
    }
    return a * right + left;
  }

  private roundBig(j: number, r: bigint): bigint {
    let z = BigInt.asUintN(64, r ^ (this.bigKeys[j] as bigint) ^ (r >> 64n));
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    z ^= z >> 31n;
    // Widen so half-blocks above 2^64 are still covered uniformly enough.
    return (z << 64n) | BigInt.asUintN(64, z * 0x9e3779b97f4a7c15n);
  }

  private encryptBig(m: bigint): bigint {
    const a = this.bigA;
    const b = this.bigB;
    let left = m % a;
    let right = m / a;
    for (let j = 0; j < this.rounds; j++) {
      const mod = (j & 1) === 0 ? a : b;
      const tmp = (left + this.roundBig(j, right)) % mod;
      left = right;
      right = tmp;
    }
    return (this.rounds & 1) === 1 ? a * left + right : a * right + left;
  }

  private decryptBig(c: bigint): bigint {
    const a = this.bigA;
    const b = this.bigB;
    let left: bigint;
    let right: bigint;
    if ((this.rounds & 1) === 1) {
      left = c / a;
      right = c % a;
    } else {
      right = c / a;
      left = c % a;
    }
    for (let j = this.rounds - 1; j >= 0; j--) {
      const mod = (j & 1) === 0 ? a : b;
      let tmp = (right - (this.roundBig(j, left) % mod)) % mod;
      if (tmp < 0n) tmp += mod;
      right = left;
      left = tmp;
    }
    return a * right + left;
  }
}

function sqrtBig(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}
