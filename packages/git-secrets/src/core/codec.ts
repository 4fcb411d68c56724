import { GitSecretsError } from "../errors.js";
import {
  GITCRYPT_BLOB_MAGIC,
  isGitCryptBlob,
  openGitCrypt,
  sealGitCrypt,
} from "./gitcrypt-format.js";
import { keyIds, latestEntry, type SealKey } from "./keys.js";
import { isNativeBlob, NATIVE_BLOB_MAGIC, openNative, sealNative } from "./native-format.js";
import { loadSodium, type Sodium } from "./sodium.js";

/** Seals and opens blobs with one key; the filter process holds one for its whole life. */
export interface Codec {
  readonly key: SealKey;
  /** Plaintext → blob (git's clean direction). Deterministic. */
  seal(plaintext: Uint8Array, path?: string): Uint8Array;
  /** Blob → plaintext (smudge). Content without the format's magic is returned unchanged. */
  open(blob: Uint8Array, path?: string): Uint8Array;
  /** True when `data` carries this key's format magic. */
  isSealed(data: Uint8Array): boolean;
}

/** True when `data` is a blob of either format. */
export function isEncryptedBlob(data: Uint8Array): boolean {
  return isNativeBlob(data) || isGitCryptBlob(data);
}

export function createCodecSync(key: SealKey, sodium: Sodium | undefined): Codec {
  if (key.format === "git-crypt") {
    const entry = latestEntry(key);
    return {
      key,
      seal: (plaintext) => sealGitCrypt(entry, plaintext),
      open: (blob, path) => {
        if (isGitCryptBlob(blob)) return openGitCrypt(key.entries, blob, path);
        if (isNativeBlob(blob)) {
          throw new GitSecretsError(
            "WRONG_KEY",
            `${path ?? "blob"} is a git-seal blob, but the key in use is git-crypt key ${keyIds(key).join(", ")}`,
            { expectedKeyIds: keyIds(key), ...(path === undefined ? {} : { path }) },
          );
        }
        return blob;
      },
      isSealed: isGitCryptBlob,
    };
  }
  if (!sodium)
    throw new GitSecretsError("INVALID_ARGUMENT", "libsodium is required for git-seal keys");
  const entry = latestEntry(key);
  return {
    key,
    seal: (plaintext) => sealNative(sodium, entry, plaintext),
    open: (blob, path) => {
      if (isNativeBlob(blob)) return openNative(sodium, key.entries, blob, path);
      if (isGitCryptBlob(blob)) {
        throw new GitSecretsError(
          "WRONG_KEY",
          `${path ?? "blob"} is a git-crypt blob, but the key in use is git-seal key ${keyIds(key).join(", ")}`,
          { expectedKeyIds: keyIds(key), ...(path === undefined ? {} : { path }) },
        );
      }
      return blob;
    },
    isSealed: isNativeBlob,
  };
}

/** A {@link Codec} for `key`, loading libsodium first when the key needs it. */
export async function createCodec(key: SealKey): Promise<Codec> {
  return createCodecSync(key, key.format === "git-seal" ? await loadSodium() : undefined);
}

export { GITCRYPT_BLOB_MAGIC, NATIVE_BLOB_MAGIC };
