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

/** libsodium's named Argon2id limits (crypto_pwhash_OPSLIMIT_* / MEMLIMIT_*). */
export const ARGON2ID_LIMITS = {
  interactive: { opsLimit: 2, memLimit: 64 * 1024 * 1024 },
  moderate: { opsLimit: 3, memLimit: 256 * 1024 * 1024 },
  sensitive: { opsLimit: 4, memLimit: 1024 * 1024 * 1024 },
} as const;

/** The shortest passphrase {@link wrapWithPassphrase} accepts for a new key backup. */
export const MIN_PASSPHRASE_LENGTH = 12;

/**
 * Argon2id cost of a new passphrase-protected key file. The limits used are stored in the
 * file, so opening it needs no options. The default is libsodium's MODERATE limits (about a
 * second and 256 MiB); up to SENSITIVE (1 GiB) for backups that leave the building.
 */
export interface PassphraseCost {
  /**
   * A named level; `opsLimit`/`memLimit` override its parts.
   * @defaultValue `"moderate"`
   */
  cost?: keyof typeof ARGON2ID_LIMITS | undefined;
  /**
   * Argon2id passes (1–4; SENSITIVE is 4).
   * @defaultValue `3` (`crypto_pwhash_OPSLIMIT_MODERATE`)
   */
  opsLimit?: number | undefined;
  /**
   * Memory in bytes (8 KiB – 1 GiB; SENSITIVE is 1 GiB).
   * @defaultValue `268435456`, 256 MiB (`crypto_pwhash_MEMLIMIT_MODERATE`)
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

function checkNewPassphrase(passphrase: string): void {
  checkPassphrase(passphrase);
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) {
    throw new GitSecretsError(
      "WEAK_PASSPHRASE",
      `the passphrase has ${[...passphrase].length} characters; a key backup needs at least ${MIN_PASSPHRASE_LENGTH} (a few random words are easy to type and hard to guess)`,
    );
  }
}

export function wrapWithPassphrase(
  sodium: Sodium,
  keyFile: Uint8Array,
  passphrase: string,
  options: PassphraseCost & { random?: ((length: number) => Uint8Array) | undefined } = {},
): Uint8Array {
  checkNewPassphrase(passphrase);
  const random = options.random ?? ((n: number) => sodium.randombytes_buf(n));
  const level = ARGON2ID_LIMITS[options.cost ?? "moderate"];
  if (!level) {
    throw new GitSecretsError(
      "INVALID_ARGUMENT",
      `unknown Argon2id cost "${String(options.cost)}": use interactive, moderate or sensitive`,
    );
  }
  const opsLimit = options.opsLimit ?? level.opsLimit;
  const memLimit = options.memLimit ?? level.memLimit;
  const max = ARGON2ID_LIMITS.sensitive;
  if (
    !Number.isInteger(opsLimit) ||
    !Number.isInteger(memLimit) ||
    opsLimit < 1 ||
    opsLimit > max.opsLimit ||
    memLimit < 8192 ||
    memLimit > max.memLimit
  ) {
    throw new GitSecretsError(
      "INVALID_ARGUMENT",
      `Argon2id limits must be 1–${max.opsLimit} passes and 8 KiB–1 GiB (SENSITIVE at most); got ${opsLimit} and ${memLimit} bytes`,
    );
  }
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
