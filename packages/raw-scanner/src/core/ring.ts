/**
 * A first-in first-out queue of numbers in one growable Float64Array: what the scan loop and the
 * raw transport keep per probe, without an object or an array slot of boxed numbers per entry.
 * Entries are addressed by their absolute position (`head` ≤ position < `tail`), which stays
 * valid while the entry is in the queue, also across growth.
 */
export class NumberRing {
  private data: Float64Array;
  private mask: number;
  /** Position of the oldest entry. */
  head = 0;
  /** Position the next `push` takes. */
  tail = 0;

  constructor(capacity = 1024) {
    let size = 16;
    while (size < capacity) size *= 2;
    this.data = new Float64Array(size);
    this.mask = size - 1;
  }

  get length(): number {
    return this.tail - this.head;
  }

  push(value: number): number {
    if (this.tail - this.head > this.mask) this.grow();
    const at = this.tail++;
    this.data[at & this.mask] = value;
    return at;
  }

  /** The oldest entry (NaN when empty). */
  peek(): number {
    return this.head < this.tail ? (this.data[this.head & this.mask] as number) : Number.NaN;
  }

  shift(): number {
    if (this.head >= this.tail) return Number.NaN;
    return this.data[this.head++ & this.mask] as number;
  }

  /** The entry at absolute `position` (head ≤ position < tail). */
  at(position: number): number {
    return this.data[position & this.mask] as number;
  }

  set(position: number, value: number): void {
    this.data[position & this.mask] = value;
  }

  clear(): void {
    this.head = this.tail;
  }

  private grow(): void {
    const old = this.data;
    const oldMask = this.mask;
    const data = new Float64Array(old.length * 2);
    const mask = data.length - 1;
    // Copy in runs that wrap in neither array (at most three), not entry by entry: growth is
    // rare, so this code runs unoptimised.
    for (let p = this.head; p < this.tail; ) {
      const from = p & oldMask;
      const to = p & mask;
      const run = Math.min(this.tail - p, old.length - from, data.length - to);
      data.set(old.subarray(from, from + run), to);
      p += run;
    }
    this.data = data;
    this.mask = mask;
  }
}

/** Empty key of {@link PairTable}. */
const EMPTY = -1;

/**
 * An open-addressing hash table from an (IPv4 address, port) pair to a number, in typed arrays:
 * the raw transport's "which probe does this reply answer" lookup, with no boxed key or map
 * entry allocated per probe. Linear probing with backward-shift deletion (no tombstones), grown
 * at half full.
 */
export class PairTable {
  private keys: Float64Array;
  private values: Float64Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    let slots = 16;
    while (slots < capacity * 2) slots *= 2;
    this.keys = new Float64Array(slots).fill(EMPTY);
    this.values = new Float64Array(slots);
    this.mask = slots - 1;
  }

  private static slot(key: number, mask: number): number {
    // address × 65536 + port: mix the low 32 bits with the high 16 (the address's top half).
    const lo = (key % 4294967296) | 0;
    const hi = (key / 4294967296) | 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h & mask;
  }

  /** The value stored for `address × 65536 + port`, or -1. */
  get(key: number): number {
    const { keys, mask } = this;
    for (let i = PairTable.slot(key, mask); ; i = (i + 1) & mask) {
      const k = keys[i] as number;
      if (k === key) return this.values[i] as number;
      if (k === EMPTY) return -1;
    }
  }

  /** Stores `value` (≥ 0) for `key`; returns the value it replaced, or -1. */
  set(key: number, value: number): number {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    const { keys, mask } = this;
    for (let i = PairTable.slot(key, mask); ; i = (i + 1) & mask) {
      const k = keys[i] as number;
      if (k === key) {
        const old = this.values[i] as number;
        this.values[i] = value;
        return old;
      }
      if (k === EMPTY) {
        keys[i] = key;
        this.values[i] = value;
        this.size++;
        return -1;
      }
    }
  }

  /** Removes `key`; returns its value, or -1 when it was not there. */
  delete(key: number): number {
    const { keys, values, mask } = this;
    let i = PairTable.slot(key, mask);
    for (; ; i = (i + 1) & mask) {
      const k = keys[i] as number;
      if (k === key) break;
      if (k === EMPTY) return -1;
    }
    const value = values[i] as number;
    // Backward shift: move later entries of the cluster into the hole when their home allows.
    let hole = i;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const k = keys[j] as number;
      if (k === EMPTY) break;
      const home = PairTable.slot(k, mask);
      // Entry j may move to the hole when its home is not cyclically within (hole, j].
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        keys[hole] = k;
        values[hole] = values[j] as number;
        hole = j;
      }
    }
    keys[hole] = EMPTY;
    this.size--;
    return value;
  }

  clear(): void {
    this.keys.fill(EMPTY);
    this.size = 0;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.keys = new Float64Array(oldKeys.length * 2).fill(EMPTY);
    this.values = new Float64Array(oldKeys.length * 2);
    this.mask = this.keys.length - 1;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i] as number;
      if (k !== EMPTY) this.set(k, oldValues[i] as number);
    }
  }
}
