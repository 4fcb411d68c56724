import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createCodec,
  type GitCryptKeyEntry,
  GitSecretsError,
  generateKey,
  loadSodium,
  nativeBlobKeyId,
  parseKey,
  type SealKey,
  type Sodium,
} from "../src/index.js";
import { FIXTURES } from "./helpers.js";

function seeded(seed: number) {
  let state = seed >>> 0;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      state = (state * 1664525 + 1013904223) >>> 0;
      out[i] = state >>> 24;
    }
    return out;
  };
}

function expectCode(fn: () => unknown, code: string): GitSecretsError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GitSecretsError);
    expect((error as GitSecretsError).code).toBe(code);
    return error as GitSecretsError;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

let sodium: Sodium;
beforeAll(async () => {
  sodium = await loadSodium();
});

describe("git-seal blob format", () => {
  const key = generateKey({ format: "git-seal", random: seeded(1) });
  const other = generateKey({ format: "git-seal", random: seeded(2) });

  it("is deterministic: the same plaintext under the same key gives the same blob", async () => {
    const codec = await createCodec(key);
    const a = codec.seal(new TextEncoder().encode("PASSWORD=hunter2\n"));
    const b = codec.seal(new TextEncoder().encode("PASSWORD=hunter2\n"));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const c = codec.seal(new TextEncoder().encode("PASSWORD=hunter3\n"));
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it("has the documented layout, readable by an independent decoder", async () => {
    const codec = await createCodec(key);
    const plaintext = new TextEncoder().encode("DB_URL=postgres://u:p@h/db\n");
    const blob = codec.seal(plaintext);
    expect(Buffer.from(blob.subarray(0, 8)).toString("latin1")).toBe("\0GITSEAL");
    expect(blob[8]).toBe(1);
    const entry = key.entries[0];
    if (!entry || key.format !== "git-seal") throw new Error("no entry");
    expect(Buffer.from(blob.subarray(9, 17)).toString("hex")).toBe(entry.keyId);
    expect(nativeBlobKeyId(blob)).toBe(entry.keyId);
    expect(blob.length).toBe(17 + 24 + plaintext.length + 16);
    // Decode by hand with the raw libsodium primitives.
    const nonce = blob.subarray(17, 41);
    const siv = sodium.crypto_generichash(24, plaintext, (entry as { sivKey: Uint8Array }).sivKey);
    expect(Buffer.from(nonce).equals(Buffer.from(siv))).toBe(true);
    const opened = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      blob.subarray(41),
      blob.subarray(0, 17),
      nonce,
      (entry as { encryptionKey: Uint8Array }).encryptionKey,
    );
    expect(Buffer.from(opened).toString()).toBe("DB_URL=postgres://u:p@h/db\n");
  });

  it("opens what it seals, for any content (property)", async () => {
    const codec = await createCodec(key);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (data) => {
        expect(Buffer.from(codec.open(codec.seal(data))).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("detects tampering anywhere in the blob", async () => {
    const codec = await createCodec(key);
    const blob = codec.seal(new TextEncoder().encode("secret value here"));
    // header bytes after the magic: version → UNSUPPORTED_VERSION, key id → WRONG_KEY; the rest → CORRUPT_BLOB
    for (let i = 17; i < blob.length; i++) {
      const bad = blob.slice();
      bad[i] = (bad[i] as number) ^ 0x01;
      expectCode(() => codec.open(bad, "x.env"), "CORRUPT_BLOB");
    }
    const version = blob.slice();
    version[8] = 2;
    expectCode(() => codec.open(version), "UNSUPPORTED_VERSION");
    const keyId = blob.slice();
    keyId[10] = (keyId[10] as number) ^ 1;
    expectCode(() => codec.open(keyId), "WRONG_KEY");
  });

  it("rejects truncated blobs", async () => {
    const codec = await createCodec(key);
    const blob = codec.seal(new TextEncoder().encode("abc"));
    for (const length of [8, 17, 40, 41 + 15]) {
      expectCode(() => codec.open(blob.subarray(0, length)), "CORRUPT_BLOB");
    }
    expectCode(() => codec.open(blob.subarray(0, blob.length - 1)), "CORRUPT_BLOB");
  });

  it("names both key ids when the key is wrong", async () => {
    const blob = (await createCodec(key)).seal(new Uint8Array([1, 2, 3]));
    const otherCodec = await createCodec(other);
    const error = expectCode(() => otherCodec.open(blob, "db.env"), "WRONG_KEY");
    expect(error.foundKeyId).toBe(key.entries[0]?.keyId);
    expect(error.expectedKeyIds).toEqual([other.entries[0]?.keyId]);
    expect(error.message).toContain(key.entries[0]?.keyId as string);
    expect(error.message).toContain(other.entries[0]?.keyId as string);
    expect(error.path).toBe("db.env");
  });

  it("passes content without the magic through on open (files committed before encryption)", async () => {
    const codec = await createCodec(key);
    const plain = new TextEncoder().encode("not encrypted");
    expect(codec.open(plain)).toBe(plain);
  });

  it("refuses a git-crypt blob under a git-seal key and the other way round", async () => {
    const gitCrypt = parseKey(readFileSync(join(FIXTURES, "git-crypt", "default.key")));
    const gcBlob = readFileSync(join(FIXTURES, "git-crypt", "short.properties.gitcrypt"));
    const nativeCodec = await createCodec(key);
    expectCode(() => nativeCodec.open(gcBlob), "WRONG_KEY");
    const nativeBlob = (await createCodec(key)).seal(new Uint8Array([1]));
    const gc = await createCodec(gitCrypt);
    expectCode(() => gc.open(nativeBlob), "WRONG_KEY");
  });
});

describe("git-crypt blob format (golden files from git-crypt 0.7.0)", () => {
  const dir = join(FIXTURES, "git-crypt");
  const key = parseKey(readFileSync(join(dir, "default.key")));
  const names = ["empty.txt", "exactly-one-block.txt", "short.properties", "binary-70000.bin"];

  it.each(names)("seals %s byte-identically to git-crypt clean", async (name) => {
    const codec = await createCodec(key);
    const plaintext = new Uint8Array(readFileSync(join(dir, name)));
    const golden = readFileSync(join(dir, `${name}.gitcrypt`));
    expect(Buffer.from(codec.seal(plaintext)).equals(golden)).toBe(true);
  });

  it.each(names)("opens git-crypt's blob of %s", async (name) => {
    const codec = await createCodec(key);
    const golden = new Uint8Array(readFileSync(join(dir, `${name}.gitcrypt`)));
    expect(Buffer.from(codec.open(golden)).equals(readFileSync(join(dir, name)))).toBe(true);
  });

  it("an empty file becomes the 22-byte header-and-nonce blob", async () => {
    const codec = await createCodec(key);
    expect(codec.seal(new Uint8Array()).length).toBe(22);
  });

  it("detects a flipped bit (HMAC check) and a truncated header", async () => {
    const codec = await createCodec(key);
    const golden = new Uint8Array(readFileSync(join(dir, "short.properties.gitcrypt")));
    for (const i of [10, 21, 22, golden.length - 1]) {
      const bad = golden.slice();
      bad[i] = (bad[i] as number) ^ 0x80;
      expectCode(() => codec.open(bad, "short.properties"), "CORRUPT_BLOB");
    }
    expectCode(() => codec.open(golden.subarray(0, 15)), "CORRUPT_BLOB");
  });

  it("opens with every key version and seals with the newest", async () => {
    const old = key.entries[0];
    if (!old || key.format !== "git-crypt") throw new Error("fixture");
    const fresh = generateKey({ format: "git-crypt", random: seeded(9) });
    const newest = fresh.entries[0];
    if (!newest || fresh.format !== "git-crypt") throw new Error("fresh");
    const rotated: SealKey = {
      format: "git-crypt",
      name: undefined,
      entries: [{ ...(newest as GitCryptKeyEntry), version: 1 }, old as GitCryptKeyEntry],
    };
    const codec = await createCodec(rotated);
    const golden = new Uint8Array(readFileSync(join(dir, "short.properties.gitcrypt")));
    expect(
      Buffer.from(codec.open(golden)).equals(readFileSync(join(dir, "short.properties"))),
    ).toBe(true);
    const sealed = codec.seal(new TextEncoder().encode("x"));
    expect(
      Buffer.from(sealed).equals(
        Buffer.from((await createCodec(fresh)).seal(new TextEncoder().encode("x"))),
      ),
    ).toBe(true);
  });
});
