import { GitSecretsError } from "../errors.js";
import { ascii, ByteReader, concatBytes, startsWith, u32be } from "./bytes.js";
import type { Sodium } from "./sodium.js";

/**
 * Passphrase-protected key file, version 1:
 *
 * | bytes | field |
 * |---|---|
 * | 12 | magic `\0GITSEALPASS` |
 * | 1 | version (1) |
 * | 1 | algorithm: 2 = Argon2id v1.3 (libsodium `crypto_pwhash_ALG_ARGON2ID13`) |
 * | 4 | opslimit (u32 BE) |
 * | 4 | memlimit in bytes (u32 BE) |
 * | 16 | salt |
 * | 24 | nonce |
 * | rest | XChaCha20-Poly1305 of the plain key file; associated data = every byte before it |
 */
export const PASSPHRASE_MAGIC = ascii("\0GITSEALPASS");
const VERSION = 1;
const ARGON2ID13 = 2;

/** Argon2id cost. The default is libsodium's INTERACTIVE limits (~0.1–0.2 s, 64 MiB). */
export interface PassphraseCost {
  /**
   * Argon2id passes.
   * @defaultValue `crypto_pwhash_OPSLIMIT_INTERACTIVE` (2)
   */
  opsLimit?: number | undefined;
  /**
   * Memory in bytes.
   * @defaultValue `crypto_pwhash_MEMLIMIT_INTERACTIVE` (64 MiB)
   */
  memLimit?: number | undefined;
}

export function isPassphraseProtected(data: Uint8Array): boolean {
  return startsWith(data, PASSPHRASE_MAGIC);
}

function checkPassphrase(passphrase: string): void {
  if (typeof passphrase !== "string" || passphrase.length === 0) {
    throw new GitSecretsError("INVALID_ARGUMENT", "the passphrase must be a non-empty string");
  }
}

export function wrapWithPassphrase(
  sodium: Sodium,
  keyFile: Uint8Array,
  passphrase: string,
  options: PassphraseCost & { random?: ((length: number) => Uint8Array) | undefined } = {},
): Uint8Array {
  checkPassphrase(passphrase);
  const random = options.random ?? ((n: number) => sodium.randombytes_buf(n));
  const opsLimit = options.opsLimit ?? sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE;
  const memLimit = options.memLimit ?? sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE;
  const salt = random(sodium.crypto_pwhash_SALTBYTES);
  const nonce = random(24);
  const header = concatBytes([
    PASSPHRASE_MAGIC,
    Uint8Array.of(VERSION, ARGON2ID13),
    u32be(opsLimit),
    u32be(memLimit),
    salt,
    nonce,
  ]);
  const key = sodium.crypto_pwhash(32, passphrase, salt, opsLimit, memLimit, ARGON2ID13);
  const sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    keyFile,
    header,
    null,
    nonce,
    key,
  );
  return concatBytes([header, sealed]);
}

export function unwrapWithPassphrase(
  sodium: Sodium,
  data: Uint8Array,
  passphrase: string,
): Uint8Array {
  checkPassphrase(passphrase);
  const r = new ByteReader(
    data,
    () => new GitSecretsError("CORRUPT_KEY_FILE", "the passphrase-protected key file is truncated"),
  );
  r.bytes(PASSPHRASE_MAGIC.length);
  const version = r.u8();
  if (version !== VERSION) {
    throw new GitSecretsError(
      "UNSUPPORTED_VERSION",
      `passphrase-protected key file version ${version} is not supported`,
    );
  }
  const algorithm = r.u8();
  if (algorithm !== ARGON2ID13) {
    throw new GitSecretsError(
      "UNSUPPORTED_VERSION",
      `passphrase-protected key file uses unknown algorithm ${algorithm}`,
    );
  }
  const opsLimit = r.u32();
  const memLimit = r.u32();
  if (opsLimit < 1 || opsLimit > 64 || memLimit < 8192 || memLimit > 2 ** 31) {
    throw new GitSecretsError(
      "CORRUPT_KEY_FILE",
      "passphrase-protected key file has implausible Argon2id limits",
    );
  }
  const salt = r.bytes(16);
  const nonce = r.bytes(24);
  const header = data.subarray(0, r.offset);
  const sealed = r.bytes(r.remaining);
  if (sealed.length < 16) {
    throw new GitSecretsError("CORRUPT_KEY_FILE", "the passphrase-protected key file is truncated");
  }
  const key = sodium.crypto_pwhash(32, passphrase, salt, opsLimit, memLimit, algorithm);
  try {
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed, header, nonce, key);
  } catch (cause) {
    throw new GitSecretsError(
      "WRONG_PASSPHRASE",
      "the passphrase does not open this key file (or the file was damaged)",
      { cause },
    );
  }
}
