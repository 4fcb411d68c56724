import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  GitSecretsError,
  generateKey,
  isPassphraseProtected,
  loadSodium,
  parseKey,
  serializeKey,
  unwrapWithPassphrase,
  wrapWithPassphrase,
} from "../src/index.js";
import { FIXTURES } from "./helpers.js";

const FAST = { opsLimit: 1, memLimit: 8192 };
let counter = 0;
const random = (n: number) => new Uint8Array(n).map((_, i) => (i * 31 + counter++) & 0xff);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof GitSecretsError) return error.code;
    throw error;
  }
  return undefined;
}

describe("git-crypt key files", () => {
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, "git-crypt", "default.key")));

  it("parses git-crypt export-key output and serialises it back byte for byte", () => {
    const key = parseKey(bytes);
    expect(key.format).toBe("git-crypt");
    expect(key.name).toBeUndefined();
    expect(key.entries).toHaveLength(1);
    expect(key.entries[0]?.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(Buffer.from(serializeKey(key)).equals(Buffer.from(bytes))).toBe(true);
  });

  it("writes a named key's name as git-crypt's header field 1", () => {
    const key = generateKey({ format: "git-crypt", name: "prod", random });
    const data = serializeKey(key);
    expect(Buffer.from(data.subarray(16, 28)).toString("hex")).toBe("000000010000000470726f64");
    expect(parseKey(data).name).toBe("prod");
  });

  it("rejects every truncation as CORRUPT_KEY_FILE", () => {
    for (let length = 12; length < bytes.length; length++) {
      expect(codeOf(() => parseKey(bytes.subarray(0, length)))).toBe("CORRUPT_KEY_FILE");
    }
  });

  it("rejects an unknown format version and unknown critical fields", () => {
    const v3 = bytes.slice();
    v3[15] = 3;
    expect(codeOf(() => parseKey(v3))).toBe("UNSUPPORTED_VERSION");
    const critical = bytes.slice();
    critical[35] = 7; // the AES key field's id becomes an unknown odd (critical) id
    expect(codeOf(() => parseKey(critical))).toBe("UNSUPPORTED_VERSION");
  });

  it("rejects data that is no key file", () => {
    expect(codeOf(() => parseKey(new TextEncoder().encode("hello world, not a key")))).toBe(
      "CORRUPT_KEY_FILE",
    );
  });
});

describe("git-seal key files", () => {
  it("round-trips, with a name and a stable key id", () => {
    const key = generateKey({ format: "git-seal", name: "staging", random });
    const again = parseKey(serializeKey(key));
    expect(again).toEqual(key);
    expect(Buffer.from(serializeKey(key).subarray(0, 12)).toString("latin1")).toBe(
      "\0GITSEALKEY\u0001",
    );
  });

  it("derives the key id from the key material", () => {
    const a = generateKey({ format: "git-seal", random: () => new Uint8Array(32).fill(1) });
    const b = generateKey({ format: "git-seal", random: () => new Uint8Array(32).fill(1) });
    const c = generateKey({ format: "git-seal", random: () => new Uint8Array(32).fill(2) });
    expect(a.entries[0]?.keyId).toBe(b.entries[0]?.keyId);
    expect(a.entries[0]?.keyId).not.toBe(c.entries[0]?.keyId);
  });

  it("rejects truncations, a newer version, unknown required fields and trailing bytes", () => {
    const data = serializeKey(generateKey({ format: "git-seal", random }));
    for (let length = 11; length < data.length; length++) {
      expect(codeOf(() => parseKey(data.subarray(0, length)))).toBe("CORRUPT_KEY_FILE");
    }
    const v2 = data.slice();
    v2[11] = 2;
    expect(codeOf(() => parseKey(v2))).toBe("UNSUPPORTED_VERSION");
    const unknown = data.slice();
    unknown[12] = 9;
    expect(codeOf(() => parseKey(unknown))).toBe("UNSUPPORTED_VERSION");
    const optional = data.slice();
    optional[12] = 200; // fields ≥ 128 are optional and skipped… leaving no entry
    expect(codeOf(() => parseKey(optional))).toBe("CORRUPT_KEY_FILE");
    expect(codeOf(() => parseKey(new Uint8Array([...data, 0])))).toBe("CORRUPT_KEY_FILE");
  });

  it("stores the key id and detects damaged key material by it", () => {
    const key = generateKey({ format: "git-seal", random });
    const data = serializeKey(key);
    const entryStart = data.length - 5 - 76; // before the end field: u32 generation, id, keys
    expect(Buffer.from(data.subarray(entryStart + 4, entryStart + 12)).toString("hex")).toBe(
      key.entries[0]?.keyId,
    );
    const damaged = data.slice();
    damaged[entryStart + 30] = (damaged[entryStart + 30] as number) ^ 1;
    expect(codeOf(() => parseKey(damaged))).toBe("CORRUPT_KEY_FILE");
  });

  it("rejects invalid key names", () => {
    expect(codeOf(() => generateKey({ format: "git-seal", name: "../evil", random }))).toBe(
      "INVALID_ARGUMENT",
    );
  });
});

describe("passphrase-protected key files", () => {
  it("wraps and unwraps any key file", async () => {
    const sodium = await loadSodium();
    const plain = serializeKey(generateKey({ format: "git-seal", random }));
    const wrapped = wrapWithPassphrase(sodium, plain, "correct horse battery", FAST);
    expect(isPassphraseProtected(wrapped)).toBe(true);
    expect(Buffer.from(wrapped).includes(Buffer.from(plain.subarray(16, 40)))).toBe(false);
    expect(
      Buffer.from(unwrapWithPassphrase(sodium, wrapped, "correct horse battery")).equals(
        Buffer.from(plain),
      ),
    ).toBe(true);
  });

  it("uses Argon2id with libsodium's MODERATE limits by default, stored in the file", {
    tags: ["slow"],
    // 256 MiB and 3 passes in WebAssembly, twice: about 2 s idle, far more on a loaded machine.
    timeout: 180_000,
  }, async () => {
    const sodium = await loadSodium();
    const wrapped = wrapWithPassphrase(sodium, new Uint8Array([1, 2, 3]), "twelve chars");
    const view = new DataView(wrapped.buffer, wrapped.byteOffset);
    // libsodium: ALG_ARGON2ID13 = 2, OPSLIMIT_MODERATE = 3, MEMLIMIT_MODERATE = 256 MiB.
    expect(wrapped[13]).toBe(2);
    expect(view.getUint32(14)).toBe(3);
    expect(view.getUint32(18)).toBe(268_435_456);
    // Opening reads the limits from the file: no options needed.
    expect(Array.from(unwrapWithPassphrase(sodium, wrapped, "twelve chars"))).toEqual([1, 2, 3]);
  });

  it("names levels up to SENSITIVE, refuses limits beyond it and passphrases under 12 characters", async () => {
    const sodium = await loadSodium();
    const interactive = wrapWithPassphrase(sodium, new Uint8Array([7]), "twelve chars", {
      cost: "interactive",
    });
    const view = new DataView(interactive.buffer, interactive.byteOffset);
    expect([view.getUint32(14), view.getUint32(18)]).toEqual([2, 67_108_864]);
    expect(codeOf(() => wrapWithPassphrase(sodium, new Uint8Array(1), "eleven char"))).toBe(
      "WEAK_PASSPHRASE",
    );
    expect(
      codeOf(() =>
        wrapWithPassphrase(sodium, new Uint8Array(1), "twelve chars", { memLimit: 2 ** 30 + 1 }),
      ),
    ).toBe("INVALID_ARGUMENT");
    expect(
      codeOf(() => wrapWithPassphrase(sodium, new Uint8Array(1), "twelve chars", { opsLimit: 5 })),
    ).toBe("INVALID_ARGUMENT");
    expect(
      codeOf(() =>
        wrapWithPassphrase(sodium, new Uint8Array(1), "twelve chars", { cost: "extreme" as never }),
      ),
    ).toBe("INVALID_ARGUMENT");
  });

  it("reports a wrong passphrase, tampering, truncation and bad parameters", async () => {
    const sodium = await loadSodium();
    const wrapped = wrapWithPassphrase(sodium, new Uint8Array(64), "right passphrase", FAST);
    expect(codeOf(() => unwrapWithPassphrase(sodium, wrapped, "wrong"))).toBe("WRONG_PASSPHRASE");
    const flipped = wrapped.slice();
    flipped[wrapped.length - 1] = (flipped[wrapped.length - 1] as number) ^ 1;
    expect(codeOf(() => unwrapWithPassphrase(sodium, flipped, "right passphrase"))).toBe(
      "WRONG_PASSPHRASE",
    );
    const salt = wrapped.slice();
    salt[30] = (salt[30] as number) ^ 1;
    expect(codeOf(() => unwrapWithPassphrase(sodium, salt, "right passphrase"))).toBe(
      "WRONG_PASSPHRASE",
    );
    expect(
      codeOf(() => unwrapWithPassphrase(sodium, wrapped.subarray(0, 40), "right passphrase")),
    ).toBe("CORRUPT_KEY_FILE");
    expect(
      codeOf(() => unwrapWithPassphrase(sodium, wrapped.subarray(0, 70), "right passphrase")),
    ).toBe("CORRUPT_KEY_FILE");
    const huge = wrapped.slice();
    new DataView(huge.buffer).setUint32(14, 1000);
    expect(codeOf(() => unwrapWithPassphrase(sodium, huge, "right passphrase"))).toBe(
      "CORRUPT_KEY_FILE",
    );
    const version = wrapped.slice();
    version[12] = 9;
    expect(codeOf(() => unwrapWithPassphrase(sodium, version, "right passphrase"))).toBe(
      "UNSUPPORTED_VERSION",
    );
    expect(codeOf(() => wrapWithPassphrase(sodium, new Uint8Array(1), "", FAST))).toBe(
      "INVALID_ARGUMENT",
    );
  });
});
