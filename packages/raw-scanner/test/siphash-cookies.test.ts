import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkSourcePortRange,
  parseSourcePortRange,
  RawScannerError,
  SynCookies,
  sipHash24Big,
  sipKey,
} from "../src/index.js";

// Official SipHash-2-4 vectors (reference test.c, key 00..0f, message 00..n-1).
const VECTORS = [
  0x726fdb47dd0e0e31n,
  0x74f839c593dc67fdn,
  0x0d6c8009d9a94f5an,
  0x85676696d7fb7e2dn,
  0xcf2794e0277187b7n,
  0x18765564cd99a68dn,
  0xcbc9466e58fee3cen,
  0xab0200f58b01d137n,
  0x93f5f5799a932462n,
  0x9e0082df0ba9e4b0n,
  0x7a5dbbc594ddb9f3n,
  0xf4b32f46226bada7n,
  0x751e8fbc860ee5fbn,
  0x14ea5627c0843d90n,
  0xf723ca908e7af2een,
  0xa129ca6149be45e5n,
  0x3f2acc7f57c29bdbn,
];

/** An independent, slow SipHash-2-4 on bigints, written from the paper. */
function referenceSipHash(key: Uint8Array, msg: Uint8Array): bigint {
  const M = (1n << 64n) - 1n;
  const le = (b: Uint8Array, o: number, n = 8) => {
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[o + i] ?? 0);
    return v;
  };
  const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & M;
  const k0 = le(key, 0);
  const k1 = le(key, 8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & M;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & M;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & M;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const blocks = Math.floor(msg.length / 8);
  for (let i = 0; i <= blocks; i++) {
    let m: bigint;
    if (i < blocks) m = le(msg, i * 8);
    else m = le(msg, i * 8, msg.length - blocks * 8) | (BigInt(msg.length & 0xff) << 56n);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

describe("SipHash-2-4", () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  it("matches the official vectors", () => {
    VECTORS.forEach((want, n) => {
      expect(
        sipHash24Big(
          sipKey(key),
          Uint8Array.from({ length: n }, (_, i) => i),
        ),
        `n=${n}`,
      ).toBe(want);
    });
  });

  it("matches an independent bigint implementation on random keys and messages", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ maxLength: 64 }),
        (k, m) => {
          expect(sipHash24Big(sipKey(k), m)).toBe(referenceSipHash(k, m));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses keys that are not 16 bytes", () => {
    expect(() => sipKey(new Uint8Array(15))).toThrow(RangeError);
  });
});

describe("SYN cookies", () => {
  const secret = Uint8Array.from({ length: 16 }, (_, i) => 200 - i);
  const cookies = new SynCookies({ secret, sourcePorts: { first: 40000, last: 41023 } });

  it("picks a source port in the range and recognises exactly its own replies", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 65535 }),
        (src, dst, dport) => {
          const { srcPort, seq } = { ...cookies.probe(src, dst, dport) };
          expect(srcPort).toBeGreaterThanOrEqual(40000);
          expect(srcPort).toBeLessThanOrEqual(41023);
          expect(cookies.verify(src, srcPort, dst, dport, (seq + 1) >>> 0)).toBe(true);
          expect(cookies.verify(src, srcPort, dst, dport, seq)).toBe(false);
          expect(
            cookies.verify(src, srcPort === 40000 ? 40001 : 40000, dst, dport, (seq + 1) >>> 0),
          ).toBe(false);
          expect(cookies.verify(src, srcPort, (dst + 1) >>> 0, dport, (seq + 1) >>> 0)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("computes the same cookies in WebAssembly and in pure JS", () => {
    const js = new SynCookies({ secret, sourcePorts: { first: 32768, last: 65535 }, wasm: false });
    const wa = new SynCookies({ secret, sourcePorts: { first: 32768, last: 65535 } });
    expect(wa.usesWasm).toBe(true);
    expect(js.usesWasm).toBe(false);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 65535 }),
        (src, dst, dport) => {
          expect({ ...wa.probe(src, dst, dport) }).toEqual({ ...js.probe(src, dst, dport) });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("hashes the 4-tuple with SipHash under the secret (ISN = low 32 bits)", () => {
    const b = new Uint8Array([127, 0, 0, 1, 40000 >> 8, 40000 & 255, 127, 0, 0, 2, 0, 80]);
    const h = referenceSipHash(secret, b);
    const probe = cookies.probe(0x7f000001, 0x7f000002, 80);
    expect(probe.seq).toBe(Number(h & 0xffffffffn));
    expect(probe.srcPort).toBe(40000 + Number((h >> 32n) & 1023n));
  });

  it("spreads source ports over the whole range and depends on the secret", () => {
    const used = new Set<number>();
    for (let i = 0; i < 20000; i++) used.add(cookies.probe(0x7f000001, 0x0a000000 + i, 80).srcPort);
    expect(used.size).toBeGreaterThan(1000);
    const other = new SynCookies({
      secret: new Uint8Array(16),
      sourcePorts: { first: 40000, last: 41023 },
    });
    expect(other.probe(1, 2, 3).seq).not.toBe(cookies.probe(1, 2, 3).seq);
    const v6 = cookies.probe6(1n, (1n << 127n) + 5n, 443);
    expect(v6.srcPort).toBeGreaterThanOrEqual(40000);
  });

  it("validates source-port ranges (power of two, in range, ordered)", () => {
    expect(parseSourcePortRange("40000-41023")).toEqual({ first: 40000, last: 41023 });
    expect(parseSourcePortRange("61000")).toEqual({ first: 61000, last: 61000 });
    for (const bad of ["40000-41000", "41023-40000", "0-1023", "65000-66023", "abc", "1-2-3"]) {
      let err: unknown;
      try {
        parseSourcePortRange(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(RawScannerError);
      expect((err as RawScannerError).code).toBe("INVALID_SOURCE_PORT");
    }
    expect(() => checkSourcePortRange({ first: 40000, last: 41000 })).toThrow(
      /power of two \(e\.g\. 40000-40511\)/,
    );
    expect(
      () => new SynCookies({ secret: new Uint8Array(3), sourcePorts: { first: 1, last: 1 } }),
    ).toThrow(/16 bytes/);
  });
});
