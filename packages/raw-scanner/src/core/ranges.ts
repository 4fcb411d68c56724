/** A sorted, merged list of inclusive ranges over bigint values (IPv6 addresses). */
export class BigRangeList {
  readonly ranges: ReadonlyArray<readonly [bigint, bigint]>;
  private readonly starts: bigint[] = [];
  readonly count: bigint;

  constructor(input: Iterable<readonly [bigint, bigint]>) {
    this.ranges = merge([...input], 1n);
    let total = 0n;
    for (const [b, e] of this.ranges) {
      this.starts.push(total);
      total += e - b + 1n;
    }
    this.count = total;
  }

  /** Removes every value in `other`. */
  subtract(other: BigRangeList): BigRangeList {
    return new BigRangeList(subtract(this.ranges, other.ranges, 1n));
  }

  contains(value: bigint): boolean {
    return this.ranges.some(([b, e]) => value >= b && value <= e);
  }

  /** The `index`-th value in ascending order (0 ≤ index < count). */
  pick(index: bigint): bigint {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as bigint) <= index) lo = mid;
      else hi = mid - 1;
    }
    const range = this.ranges[lo] as readonly [bigint, bigint];
    return range[0] + (index - (this.starts[lo] as bigint));
  }
}

/** A sorted, merged list of inclusive ranges over safe integers (IPv4 addresses, ports). */
export class RangeList {
  readonly ranges: ReadonlyArray<readonly [number, number]>;
  private readonly begins: Float64Array;
  private readonly starts: Float64Array;
  readonly count: number;

  constructor(input: Iterable<readonly [number, number]>) {
    this.ranges = merge([...input], 1);
    this.begins = new Float64Array(this.ranges.length);
    this.starts = new Float64Array(this.ranges.length);
    let total = 0;
    this.ranges.forEach(([b, e], i) => {
      this.begins[i] = b;
      this.starts[i] = total;
      total += e - b + 1;
    });
    this.count = total;
  }

  subtract(other: RangeList): RangeList {
    return new RangeList(subtract(this.ranges, other.ranges, 1));
  }

  contains(value: number): boolean {
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [b, e] = this.ranges[mid] as readonly [number, number];
      if (value < b) hi = mid - 1;
      else if (value > e) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** The `index`-th value in ascending order (0 ≤ index < count). Hot path: no allocation. */
  pick(index: number): number {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= index) lo = mid;
      else hi = mid - 1;
    }
    return (this.begins[lo] as number) + (index - (starts[lo] as number));
  }
}

function merge<T extends number | bigint>(input: Array<readonly [T, T]>, one: T): Array<[T, T]> {
  const sorted = input
    .filter(([b, e]) => b <= e)
    .map(([b, e]) => [b, e] as [T, T])
    .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const out: Array<[T, T]> = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    // Adjacent ranges merge too: 1-2 and 3-4 are 1-4. (`+` works on both number and bigint.)
    if (last && r[0] <= add(last[1], one)) {
      if (r[1] > last[1]) last[1] = r[1];
    } else out.push(r);
  }
  return out;
}

function add<T extends number | bigint>(a: T, b: T): T {
  return ((a as number) + (b as number)) as T;
}

function sub<T extends number | bigint>(a: T, b: T): T {
  return ((a as number) - (b as number)) as T;
}

function subtract<T extends number | bigint>(
  from: ReadonlyArray<readonly [T, T]>,
  remove: ReadonlyArray<readonly [T, T]>,
  one: T,
): Array<[T, T]> {
  let current: Array<[T, T]> = from.map(([b, e]) => [b, e]);
  for (const [rb, re] of remove) {
    const next: Array<[T, T]> = [];
    for (const [b, e] of current) {
      if (re < b || rb > e) {
        next.push([b, e]);
        continue;
      }
      if (rb > b) next.push([b, sub(rb, one)]);
      if (re < e) next.push([add(re, one), e]);
    }
    current = next;
  }
  return current;
}
