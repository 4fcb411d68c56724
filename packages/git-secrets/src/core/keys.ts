import { createHash } from "node:crypto";
import { GitSecretsError } from "../errors.js";
import { ascii, ByteReader, concatBytes, startsWith, toHex, u32be } from "./bytes.js";

/** Which blob format a key (and the repository using it) produces. */
export type SealFormat = "git-seal" | "git-crypt";

/** One generation of a native key: XChaCha20-Poly1305 key plus the BLAKE2b key for the synthetic IV. */
export interface NativeKeyEntry {
  /** Increases with each rotation; the newest entry seals, every entry opens. */
  readonly generation: number;
  /** 16 hex digits derived from the key material; stored in every blob header. */
  readonly keyId: string;
  readonly encryptionKey: Uint8Array;
  readonly sivKey: Uint8Array;
}

/** One version of a git-crypt key: AES-256 key plus HMAC-SHA1 key. */
export interface GitCryptKeyEntry {
  readonly version: number;
  /** 16 hex digits of SHA-256 over both keys (git-crypt has no key id; git-seal derives one for messages). */
  readonly keyId: string;
  readonly aesKey: Uint8Array;
  readonly hmacKey: Uint8Array;
}

/** A key as a key file holds it. `name` is undefined for the default key. */
export type SealKey =
  | {
      readonly format: "git-seal";
      readonly name: string | undefined;
      readonly entries: readonly NativeKeyEntry[];
    }
  | {
      readonly format: "git-crypt";
      readonly name: string | undefined;
      readonly entries: readonly GitCryptKeyEntry[];
    };

export const NATIVE_KEY_MAGIC = ascii("\0GITSEALKEY");
export const NATIVE_KEY_VERSION = 1;
export const GITCRYPT_KEY_MAGIC = ascii("\0GITCRYPTKEY");
const GITCRYPT_KEY_VERSION = 2;
const MAX_FIELD = 1 << 20;
const KEY_NAME_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** Throws unless `name` is a valid key name (letters, digits, `-`, `_`; `default` means the default key). */
export function checkKeyName(name: string): void {
  if (!KEY_NAME_PATTERN.test(name)) {
    throw new GitSecretsError(
      "INVALID_ARGUMENT",
      `invalid key name "${name}": use 1–128 letters, digits, "-" or "_"`,
    );
  }
}

function corrupt(what: string): GitSecretsError {
  return new GitSecretsError("CORRUPT_KEY_FILE", `${what}: the key file is truncated or malformed`);
}

export function nativeKeyId(encryptionKey: Uint8Array, sivKey: Uint8Array): string {
  const hash = createHash("blake2b512")
    .update("git-seal key id v1\0")
    .update(encryptionKey)
    .update(sivKey)
    .digest();
  return toHex(hash.subarray(0, 8));
}

export function gitCryptKeyId(aesKey: Uint8Array, hmacKey: Uint8Array): string {
  return toHex(createHash("sha256").update(aesKey).update(hmacKey).digest().subarray(0, 8));
}

/** The newest entry: the one that seals. */
export function latestEntry<K extends SealKey>(key: K): K["entries"][number] {
  const entry = key.entries[0];
  if (!entry) throw new GitSecretsError("CORRUPT_KEY_FILE", "the key holds no key entry");
  return entry;
}

/** Key ids of every entry, newest first. */
export function keyIds(key: SealKey): string[] {
  return key.entries.map((e) => e.keyId);
}

/** Makes a fresh key from `random` (default: the platform CSPRNG via libsodium). */
export function generateKey(options: {
  format: SealFormat;
  name?: string | undefined;
  random: (length: number) => Uint8Array;
}): SealKey {
  const name = options.name === "default" ? undefined : options.name;
  if (name !== undefined) checkKeyName(name);
  if (options.format === "git-crypt") {
    const aesKey = options.random(32);
    const hmacKey = options.random(64);
    return {
      format: "git-crypt",
      name,
      entries: [{ version: 0, aesKey, hmacKey, keyId: gitCryptKeyId(aesKey, hmacKey) }],
    };
  }
  const encryptionKey = options.random(32);
  const sivKey = options.random(32);
  return {
    format: "git-seal",
    name,
    entries: [{ generation: 0, encryptionKey, sivKey, keyId: nativeKeyId(encryptionKey, sivKey) }],
  };
}

function field(type: number, data: Uint8Array, typeWidth: 1 | 4): Uint8Array {
  return concatBytes([
    typeWidth === 1 ? Uint8Array.of(type) : u32be(type),
    u32be(data.length),
    data,
  ]);
}

/** Serialises a key into its key file: git-seal's own format, or git-crypt 0.7's byte for byte. */
export function serializeKey(key: SealKey): Uint8Array {
  const name = key.name === undefined ? undefined : new TextEncoder().encode(key.name);
  if (key.format === "git-crypt") {
    // git-crypt key.cpp: magic, u32 version 2, header fields (1 = key name) ended by 0,
    // then per entry (newest first): 1 = version, 3 = AES key, 5 = HMAC key, ended by 0.
    const parts: Uint8Array[] = [GITCRYPT_KEY_MAGIC, u32be(GITCRYPT_KEY_VERSION)];
    if (name) parts.push(field(1, name, 4));
    parts.push(u32be(0));
    for (const entry of key.entries) {
      parts.push(field(1, u32be(entry.version), 4), field(3, entry.aesKey, 4));
      parts.push(field(5, entry.hmacKey, 4), u32be(0));
    }
    return concatBytes(parts);
  }
  // git-seal: magic, u8 version, fields (u8 type, u32 length): 1 = key name, 2 = entry
  // (u32 generation, 8-byte key id, 32-byte encryption key, 32-byte SIV key); 0 ends the file.
  // The key id is derived from the keys and checked on reading, so damaged key material is
  // reported as such instead of surfacing later as a wrong key.
  const parts: Uint8Array[] = [NATIVE_KEY_MAGIC, Uint8Array.of(NATIVE_KEY_VERSION)];
  if (name) parts.push(field(1, name, 1));
  for (const entry of key.entries) {
    parts.push(
      field(
        2,
        concatBytes([
          u32be(entry.generation),
          Buffer.from(entry.keyId, "hex"),
          entry.encryptionKey,
          entry.sivKey,
        ]),
        1,
      ),
    );
  }
  parts.push(Uint8Array.of(0), u32be(0));
  return concatBytes(parts);
}

/** True when `data` starts like a key file of either format (plain, not passphrase-protected). */
export function looksLikeKeyFile(data: Uint8Array): boolean {
  return startsWith(data, NATIVE_KEY_MAGIC) || startsWith(data, GITCRYPT_KEY_MAGIC);
}

/** Parses a git-seal or git-crypt key file. */
export function parseKey(data: Uint8Array): SealKey {
  if (startsWith(data, GITCRYPT_KEY_MAGIC)) return parseGitCryptKey(data);
  if (startsWith(data, NATIVE_KEY_MAGIC)) return parseNativeKey(data);
  throw new GitSecretsError(
    "CORRUPT_KEY_FILE",
    "not a key file: it starts with neither \\0GITSEALKEY nor \\0GITCRYPTKEY",
  );
}

function parseNativeKey(data: Uint8Array): SealKey {
  const r = new ByteReader(data, () => corrupt("git-seal key"));
  r.bytes(NATIVE_KEY_MAGIC.length);
  const version = r.u8();
  if (version !== NATIVE_KEY_VERSION) {
    throw new GitSecretsError(
      "UNSUPPORTED_VERSION",
      `git-seal key file version ${version} is newer than this git-seal understands (${NATIVE_KEY_VERSION})`,
    );
  }
  let name: string | undefined;
  const entries: NativeKeyEntry[] = [];
  for (;;) {
    const type = r.u8();
    const length = r.u32();
    if (type === 0) break;
    if (length > MAX_FIELD) throw corrupt("git-seal key field too long");
    const value = r.bytes(length);
    if (type === 1) name = decodeName(value);
    else if (type === 2) {
      if (length !== 76) throw corrupt("git-seal key entry has the wrong length");
      const generation = new DataView(value.buffer, value.byteOffset, 4).getUint32(0);
      const storedId = toHex(value.subarray(4, 12));
      const encryptionKey = value.slice(12, 44);
      const sivKey = value.slice(44, 76);
      const keyId = nativeKeyId(encryptionKey, sivKey);
      if (keyId !== storedId) {
        throw new GitSecretsError(
          "CORRUPT_KEY_FILE",
          `the key file is damaged: it names key ${storedId}, but its key material is key ${keyId}`,
        );
      }
      entries.push({ generation, encryptionKey, sivKey, keyId });
    } else if (type < 128) {
      throw new GitSecretsError(
        "UNSUPPORTED_VERSION",
        `git-seal key file has a field (type ${type}) this version does not understand`,
      );
    }
  }
  if (r.remaining !== 0) throw corrupt("trailing bytes after the git-seal key");
  if (entries.length === 0) throw corrupt("git-seal key file holds no key entry");
  entries.sort((a, b) => b.generation - a.generation);
  return { format: "git-seal", name, entries };
}

function parseGitCryptKey(data: Uint8Array): SealKey {
  const r = new ByteReader(data, () => corrupt("git-crypt key"));
  r.bytes(GITCRYPT_KEY_MAGIC.length);
  const version = r.u32();
  if (version !== GITCRYPT_KEY_VERSION) {
    throw new GitSecretsError(
      "UNSUPPORTED_VERSION",
      `git-crypt key file format version ${version} is not supported (only version 2, git-crypt ≥ 0.4)`,
    );
  }
  let name: string | undefined;
  for (;;) {
    const type = r.u32();
    if (type === 0) break;
    const length = r.u32();
    if (length > MAX_FIELD) throw corrupt("git-crypt key header field too long");
    const value = r.bytes(length);
    if (type === 1) name = decodeName(value);
    else if (type & 1)
      throw new GitSecretsError(
        "UNSUPPORTED_VERSION",
        `git-crypt key file has an unknown critical header field ${type}`,
      );
  }
  const entries: GitCryptKeyEntry[] = [];
  while (r.remaining > 0) {
    let entryVersion: number | undefined;
    let aesKey: Uint8Array | undefined;
    let hmacKey: Uint8Array | undefined;
    for (;;) {
      const type = r.u32();
      if (type === 0) break;
      const length = r.u32();
      if (length > MAX_FIELD) throw corrupt("git-crypt key field too long");
      const value = r.bytes(length);
      if (type === 1) {
        if (length !== 4) throw corrupt("git-crypt key version field");
        entryVersion = new DataView(value.buffer, value.byteOffset, 4).getUint32(0);
      } else if (type === 3) {
        if (length !== 32) throw corrupt("git-crypt AES key field");
        aesKey = value.slice();
      } else if (type === 5) {
        if (length !== 64) throw corrupt("git-crypt HMAC key field");
        hmacKey = value.slice();
      } else if (type & 1) {
        throw new GitSecretsError(
          "UNSUPPORTED_VERSION",
          `git-crypt key file has an unknown critical field ${type}`,
        );
      }
    }
    if (entryVersion === undefined || !aesKey || !hmacKey)
      throw corrupt("incomplete git-crypt key entry");
    entries.push({ version: entryVersion, aesKey, hmacKey, keyId: gitCryptKeyId(aesKey, hmacKey) });
  }
  if (entries.length === 0) throw corrupt("git-crypt key file holds no key entry");
  entries.sort((a, b) => b.version - a.version);
  return { format: "git-crypt", name, entries };
}

function decodeName(value: Uint8Array): string {
  const name = new TextDecoder("utf-8", { fatal: false }).decode(value);
  if (!KEY_NAME_PATTERN.test(name)) throw corrupt(`key name "${name}" is not valid`);
  return name;
}
