import { GitSecretsError } from "../errors.js";
import { ascii, concatBytes, equalBytes, startsWith, toHex } from "./bytes.js";
import type { NativeKeyEntry } from "./keys.js";
import type { Sodium } from "./sodium.js";

/**
 * git-seal blob, version 1:
 *
 * | bytes | field |
 * |---|---|
 * | 8 | magic `\0GITSEAL` |
 * | 1 | format version (1) |
 * | 8 | key id of the entry that sealed it |
 * | 24 | nonce = BLAKE2b-192 keyed with the SIV key, over the plaintext |
 * | n + 16 | XChaCha20-Poly1305 ciphertext and tag; associated data = the 17 header bytes |
 *
 * The nonce is a synthetic IV: equal plaintexts under one key give equal blobs, so git sees
 * no phantom changes, and opening recomputes it from the plaintext as a second check.
 */
export const NATIVE_BLOB_MAGIC = ascii("\0GITSEAL");
export const NATIVE_BLOB_VERSION = 1;
const HEADER = NATIVE_BLOB_MAGIC.length + 1 + 8;
const NONCE = 24;
const TAG = 16;

export function isNativeBlob(data: Uint8Array): boolean {
  return startsWith(data, NATIVE_BLOB_MAGIC);
}

/** The key id a native blob names in its header, or undefined when it is too short to have one. */
export function nativeBlobKeyId(data: Uint8Array): string | undefined {
  if (!isNativeBlob(data) || data.length < HEADER) return undefined;
  return toHex(data.subarray(NATIVE_BLOB_MAGIC.length + 1, HEADER));
}

export function sealNative(
  sodium: Sodium,
  entry: NativeKeyEntry,
  plaintext: Uint8Array,
): Uint8Array {
  const header = concatBytes([
    NATIVE_BLOB_MAGIC,
    Uint8Array.of(NATIVE_BLOB_VERSION),
    Buffer.from(entry.keyId, "hex"),
  ]);
  const nonce = sodium.crypto_generichash(NONCE, plaintext, entry.sivKey);
  const sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    plaintext,
    header,
    null,
    nonce,
    entry.encryptionKey,
  );
  return concatBytes([header, nonce, sealed]);
}

export function openNative(
  sodium: Sodium,
  entries: readonly NativeKeyEntry[],
  blob: Uint8Array,
  path?: string,
): Uint8Array {
  const where = path ? ` (${path})` : "";
  if (blob.length < HEADER + NONCE + TAG) {
    throw new GitSecretsError(
      "CORRUPT_BLOB",
      `encrypted blob${where} is truncated: ${blob.length} bytes`,
      pathOf(path),
    );
  }
  const version = blob[NATIVE_BLOB_MAGIC.length];
  if (version !== NATIVE_BLOB_VERSION) {
    throw new GitSecretsError(
      "UNSUPPORTED_VERSION",
      `encrypted blob${where} has format version ${version}; this git-seal reads version ${NATIVE_BLOB_VERSION}`,
      pathOf(path),
    );
  }
  const keyId = toHex(blob.subarray(NATIVE_BLOB_MAGIC.length + 1, HEADER));
  const entry = entries.find((e) => e.keyId === keyId);
  if (!entry) {
    const ids = entries.map((e) => e.keyId);
    throw new GitSecretsError(
      "WRONG_KEY",
      `blob${where} was sealed with key ${keyId}, but the key in use is ${ids.join(", ")}`,
      { foundKeyId: keyId, expectedKeyIds: ids, ...pathOf(path) },
    );
  }
  const header = blob.subarray(0, HEADER);
  const nonce = blob.subarray(HEADER, HEADER + NONCE);
  let plaintext: Uint8Array;
  try {
    plaintext = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      blob.subarray(HEADER + NONCE),
      header,
      nonce,
      entry.encryptionKey,
    );
  } catch (cause) {
    throw new GitSecretsError(
      "CORRUPT_BLOB",
      `encrypted blob${where} failed authentication under key ${keyId}: it was tampered with or damaged`,
      { cause, foundKeyId: keyId, ...pathOf(path) },
    );
  }
  if (!equalBytes(sodium.crypto_generichash(NONCE, plaintext, entry.sivKey), nonce)) {
    throw new GitSecretsError(
      "CORRUPT_BLOB",
      `encrypted blob${where} has a nonce that does not match its content (synthetic IV check failed)`,
      { foundKeyId: keyId, ...pathOf(path) },
    );
  }
  return plaintext;
}

function pathOf(path: string | undefined): { path?: string } {
  return path === undefined ? {} : { path };
}
