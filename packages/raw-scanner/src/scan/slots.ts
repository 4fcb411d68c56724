import { NumberRing } from "../core/ring.js";

/**
 * Per-probe state of the scan loop as parallel typed arrays indexed by a slot number (the tag a
 * tagged transport reports outcomes with): no object, closure or map entry per probe. A slot
 * lives from a target's first probe until it is finished and no earlier target is unfinished,
 * so `window` (slots in index order) also gives the resume point.
 */
export class Slots {
  /** Target index (spaces below 2^53); `bigIndex` holds it otherwise. */
  index = new Float64Array(0);
  bigIndex: (bigint | undefined)[] = [];
  /** IPv4 address as a uint32 when `text` has none for the slot. */
  address = new Float64Array(0);
  /** The address as text (IPv6, or a transport without the uint32 paths). */
  text: (string | undefined)[] = [];
  port = new Uint16Array(0);
  family = new Uint8Array(0);
  /** Probes after the first (retries of unanswered probes). */
  attempt = new Uint32Array(0);
  /** Attempts that failed on our side (no ports or descriptors left, self-connect…). */
  failures = new Uint8Array(0);
  finished = new Uint8Array(0);
  /** 1 while a probe of the slot is with the transport: an outcome is expected exactly then. */
  waiting = new Uint8Array(0);
  /** Bumped when a slot is reused: a late callback of its earlier probe is then ignored. */
  generation = new Uint32Array(0);
  /** Slots in the order their targets were first probed (index order). */
  readonly window = new NumberRing(1024);
  private free = new Int32Array(0);
  private freeCount = 0;

  /** A slot for a target's first probe, appended to the window. */
  take(): number {
    if (this.freeCount === 0) this.grow();
    const slot = this.free[--this.freeCount] as number;
    this.finished[slot] = 0;
    this.waiting[slot] = 0;
    this.attempt[slot] = 0;
    this.failures[slot] = 0;
    this.window.push(slot);
    return slot;
  }

  /**
   * Frees the finished slots at the front of the window; returns the oldest unfinished slot,
   * or -1 when every launched target is finished.
   */
  reclaim(): number {
    const { window } = this;
    while (window.length > 0) {
      const slot = window.peek();
      if (!this.finished[slot]) return slot;
      window.shift();
      this.text[slot] = undefined;
      this.bigIndex[slot] = undefined;
      this.generation[slot] = ((this.generation[slot] as number) + 1) >>> 0;
      this.free[this.freeCount++] = slot;
    }
    return -1;
  }

  private grow(): void {
    const old = this.index.length;
    const size = Math.max(1024, old * 2);
    const grown = <T extends Float64Array | Uint32Array | Uint16Array | Uint8Array | Int32Array>(
      a: T,
      make: new (n: number) => T,
    ): T => {
      const b = new make(size);
      b.set(a);
      return b;
    };
    this.index = grown(this.index, Float64Array);
    this.address = grown(this.address, Float64Array);
    this.port = grown(this.port, Uint16Array);
    this.family = grown(this.family, Uint8Array);
    this.attempt = grown(this.attempt, Uint32Array);
    this.failures = grown(this.failures, Uint8Array);
    this.finished = grown(this.finished, Uint8Array);
    this.waiting = grown(this.waiting, Uint8Array);
    this.generation = grown(this.generation, Uint32Array);
    this.free = grown(this.free, Int32Array);
    // Hand out low slot numbers first.
    for (let s = size - 1; s >= old; s--) this.free[this.freeCount++] = s;
  }
}
