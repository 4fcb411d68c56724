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
  /** Plaintext → blob (git's clean direction). Deterministic. Content that already is a blob is refused (`ALREADY_ENCRYPTED`). */
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

/**
 * Refuses to encrypt content that already is a blob: sealing it again would hide the real
 * content under two layers (what a manual `git add --renormalize` with a new key used to do).
 */
function refuseSealed(plaintext: Uint8Array, path: string | undefined): void {
  if (isEncryptedBlob(plaintext)) {
    throw new GitSecretsError(
      "ALREADY_ENCRYPTED",
      `${path || "the content"} already carries a ${isNativeBlob(plaintext) ? "git-seal" : "git-crypt"} header: it is not encrypted twice. To re-encrypt files under a new key, use \`git-seal rotate\``,
      path ? { path } : {},
    );
  }
}

export function createCodecSync(key: SealKey, sodium: Sodium | undefined): Codec {
  if (key.format === "git-crypt") {
    const entry = latestEntry(key);
    return {
      key,
      seal: (plaintext, path) => {
        refuseSealed(plaintext, path);
        return sealGitCrypt(entry, plaintext);
      },
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
    seal: (plaintext, path) => {
      refuseSealed(plaintext, path);
      return sealNative(sodium, entry, plaintext);
    },
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
