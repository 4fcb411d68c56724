/**
 * SipHash-2-4 of a two-block message in WebAssembly, for the SYN-cookie hot loop: JS has no
 * 64-bit integers outside bigint, and bigint allocates; wasm's i64 does the same rounds in
 * native instructions (about 4× the int32-pair JS version). The module is assembled here, from
 * the same round description as the JS code, so there is no opaque binary in the package.
 */

const C = [0x736f6d6570736575n, 0x646f72616e646f6dn, 0x6c7967656e657261n, 0x7465646279746573n];

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb64(value: bigint): number[] {
  let v = BigInt.asIntN(64, value);
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const OP = {
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  globalGet: 0x23,
  globalSet: 0x24,
  i64Const: 0x42,
  i64And: 0x83,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64Add: 0x7c,
  i64Shl: 0x86,
  i64RotL: 0x89,
  i64ExtendI32U: 0xad,
  f64ConvertI64U: 0xba,
} as const;

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

const name = (s: string) => [...uleb(s.length), ...Buffer.from(s, "latin1")];

function assemble(): Uint8Array {
  // hash2 locals: params 0–3 (i32: m0h, m0l, m1h, m1l), then v0..v3 = 4..7, m = 8 (i64).
  const [V0, V1, V2, V3, M] = [4, 5, 6, 7, 8];
  const code: number[] = [];
  const get = (i: number) => code.push(OP.localGet, i);
  const set = (i: number) => code.push(OP.localSet, i);
  const addInto = (a: number, b: number) => {
    get(a);
    get(b);
    code.push(OP.i64Add);
    set(a);
  };
  const rotl = (a: number, n: number) => {
    get(a);
    code.push(OP.i64Const, ...sleb64(BigInt(n)), OP.i64RotL);
  };
  const rotlXorInto = (a: number, n: number, b: number) => {
    rotl(a, n);
    get(b);
    code.push(OP.i64Xor);
    set(a);
  };
  const rotlInto = (a: number, n: number) => {
    rotl(a, n);
    set(a);
  };
  const xorInto = (a: number, b: number) => {
    get(a);
    get(b);
    code.push(OP.i64Xor);
    set(a);
  };
  const sipRound = () => {
    addInto(V0, V1);
    rotlXorInto(V1, 13, V0);
    rotlInto(V0, 32);
    addInto(V2, V3);
    rotlXorInto(V3, 16, V2);
    addInto(V0, V3);
    rotlXorInto(V3, 21, V0);
    addInto(V2, V1);
    rotlXorInto(V1, 17, V2);
    rotlInto(V2, 32);
  };
  const word = (hi: number, lo: number) => {
    get(hi);
    code.push(OP.i64ExtendI32U, OP.i64Const, ...sleb64(32n), OP.i64Shl);
    get(lo);
    code.push(OP.i64ExtendI32U, OP.i64Or);
    set(M);
  };
  const absorb = () => {
    xorInto(V3, M);
    sipRound();
    sipRound();
    xorInto(V0, M);
  };
  // v_i = k ^ constant
  [0, 1, 0, 1].forEach((k, i) => {
    code.push(OP.globalGet, k, OP.i64Const, ...sleb64(C[i] as bigint), OP.i64Xor);
    set(V0 + i);
  });
  word(0, 1);
  absorb();
  word(2, 3);
  absorb();
  get(V2);
  code.push(OP.i64Const, ...sleb64(0xffn), OP.i64Xor);
  set(V2);
  for (let i = 0; i < 4; i++) sipRound();
  // Return the low 48 bits as an exact f64: the ISN (32) and 16 bits for the source port.
  get(V0);
  get(V1);
  code.push(OP.i64Xor);
  get(V2);
  code.push(OP.i64Xor);
  get(V3);
  code.push(
    OP.i64Xor,
    OP.i64Const,
    ...sleb64(0xffffffffffffn),
    OP.i64And,
    OP.f64ConvertI64U,
    OP.end,
  );
  const hash2 = [0x01, 0x05, 0x7e, ...code];

  const setKey: number[] = [0x00];
  for (const [g, hi, lo] of [
    [0, 0, 1],
    [1, 2, 3],
  ] as const) {
    setKey.push(OP.localGet, hi, OP.i64ExtendI32U, OP.i64Const, ...sleb64(32n), OP.i64Shl);
    setKey.push(OP.localGet, lo, OP.i64ExtendI32U, OP.i64Or, OP.globalSet, g);
  }
  setKey.push(OP.end);

  const i32x4 = [0x04, 0x7f, 0x7f, 0x7f, 0x7f];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(
      1,
      vec([
        [0x60, ...i32x4, 0x00],
        [0x60, ...i32x4, 0x01, 0x7c],
      ]),
    ),
    ...section(3, vec([[0x00], [0x01]])),
    ...section(
      6,
      vec([
        [0x7e, 0x01, OP.i64Const, 0x00, OP.end],
        [0x7e, 0x01, OP.i64Const, 0x00, OP.end],
      ]),
    ),
    ...section(
      7,
      vec([
        [...name("setKey"), 0x00, 0x00],
        [...name("hash2"), 0x00, 0x01],
      ]),
    ),
    ...section(
      10,
      vec([
        [...uleb(setKey.length), ...setKey],
        [...uleb(hash2.length), ...hash2],
      ]),
    ),
  ];
  return Uint8Array.from(bytes);
}

/** `hash2(m0h, m0l, m1h, m1l)`: low 48 bits of SipHash-2-4 over two 64-bit words, as a number. */
export type Hash2 = (m0h: number, m0l: number, m1h: number, m1l: number) => number;

/** The slice of the WebAssembly JS API used here (the Node types do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

/** A keyed two-block SipHash in wasm, or undefined where WebAssembly is unavailable. */
export function wasmHash2(key: {
  k0h: number;
  k0l: number;
  k1h: number;
  k1l: number;
}): Hash2 | undefined {
  if (compiled === undefined) {
    try {
      compiled = wasm ? new wasm.Module(assemble()) : null;
    } catch {
      compiled = null;
    }
  }
  if (!compiled || !wasm) return undefined;
  const exports = new wasm.Instance(compiled).exports as {
    setKey: (a: number, b: number, c: number, d: number) => void;
    hash2: Hash2;
  };
  exports.setKey(key.k0h, key.k0l, key.k1h, key.k1l);
  return exports.hash2;
}
