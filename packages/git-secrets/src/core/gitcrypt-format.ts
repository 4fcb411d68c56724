import { createCipheriv, createHmac } from "node:crypto";
import { GitSecretsError } from "../errors.js";
import { ascii, concatBytes, equalBytes, startsWith } from "./bytes.js";
import type { GitCryptKeyEntry } from "./keys.js";

/**
 * git-crypt 0.7 blob: `\0GITCRYPT\0`, a 12-byte nonce = the first 12 bytes of HMAC-SHA1
 * (HMAC key) over the plaintext, then AES-256-CTR of the plaintext with the counter block
 * nonce || u32 big-endian block counter from 0. No key id, no version: the HMAC check after
 * decryption is what tells a wrong key or a damaged blob.
 */
export const GITCRYPT_BLOB_MAGIC = ascii("\0GITCRYPT\0");
const NONCE = 12;
const HEADER = GITCRYPT_BLOB_MAGIC.length + NONCE;
// git-crypt refuses files beyond 2^32 AES blocks, where its 32-bit counter would wrap.
const MAX_LENGTH = 2 ** 32 * 16;

export function isGitCryptBlob(data: Uint8Array): boolean {
  return startsWith(data, GITCRYPT_BLOB_MAGIC);
}

function ctr(entry: GitCryptKeyEntry, nonce: Uint8Array, data: Uint8Array): Uint8Array {
  const iv = concatBytes([nonce, new Uint8Array(4)]);
  const cipher = createCipheriv("aes-256-ctr", entry.aesKey, iv);
  return concatBytes([cipher.update(data), cipher.final()]);
}

export function sealGitCrypt(entry: GitCryptKeyEntry, plaintext: Uint8Array): Uint8Array {
  if (plaintext.length > MAX_LENGTH) {
    throw new GitSecretsError(
      "INVALID_ARGUMENT",
      "file too long for the git-crypt format (64 GiB)",
    );
  }
  const nonce = createHmac("sha1", entry.hmacKey).update(plaintext).digest().subarray(0, NONCE);
  return concatBytes([GITCRYPT_BLOB_MAGIC, nonce, ctr(entry, nonce, plaintext)]);
}

export function openGitCrypt(
  entries: readonly GitCryptKeyEntry[],
  blob: Uint8Array,
  path?: string,
): Uint8Array {
  const where = path ? ` (${path})` : "";
  const extra = path === undefined ? {} : { path };
  if (blob.length < HEADER) {
    throw new GitSecretsError(
      "CORRUPT_BLOB",
      `git-crypt blob${where} is truncated: ${blob.length} bytes`,
      extra,
    );
  }
  const nonce = blob.subarray(GITCRYPT_BLOB_MAGIC.length, HEADER);
  const body = blob.subarray(HEADER);
  for (const entry of entries) {
    const plaintext = ctr(entry, nonce, body);
    const mac = createHmac("sha1", entry.hmacKey).update(plaintext).digest().subarray(0, NONCE);
    if (equalBytes(mac, nonce)) return plaintext;
  }
  const ids = entries.map((e) => e.keyId);
  throw new GitSecretsError(
    "CORRUPT_BLOB",
    `git-crypt blob${where} does not decrypt under key ${ids.join(", ")}: it was tampered with, damaged, or sealed with another key (git-crypt blobs carry no key id)`,
    { expectedKeyIds: ids, ...extra },
  );
}
