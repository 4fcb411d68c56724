export { defaultCommand, filterConfig, shellQuote } from "./adapters/filter-config.js";
// The filter process and git plumbing
export { type FilterProcessOptions, runFilterProcess } from "./adapters/filter-process.js";
export { type GitOptions, MIN_GIT_VERSION, parseGitVersion } from "./adapters/git.js";
export type { GpgOptions } from "./adapters/gpg.js";
export { type MergeSealedOptions, mergeSealed } from "./adapters/merge-driver.js";
// Reading without a work tree
export {
  type AtRefOptions,
  type EncryptedFile,
  listEncrypted,
  type ReadFileOptions,
  type ReadFileResult,
  readFile,
  readFileDetailed,
} from "./adapters/read-at-ref.js";
// Formats and keys (pure)
export { type Codec, createCodec, isEncryptedBlob } from "./core/codec.js";
export {
  type ConfigEntries,
  type ConfigFormat,
  type ConfigReport,
  type ConfigSchema,
  formatOf,
  parseConfig,
  parseDotenv,
  parseProperties,
  parseSchema,
} from "./core/config-formats.js";
export {
  DEFAULT_RULES,
  type DetectOptions,
  findSecrets,
  type SecretFinding,
  type SecretRule,
  shannonEntropy,
} from "./core/detectors.js";
export { attributeLine, filterName, parseFilterName } from "./core/filter-name.js";
export { GITCRYPT_BLOB_MAGIC, isGitCryptBlob } from "./core/gitcrypt-format.js";
export {
  type GitCryptKeyEntry,
  generateKey,
  type NativeKeyEntry,
  parseKey,
  type SealFormat,
  type SealKey,
  serializeKey,
} from "./core/keys.js";
export {
  formatPublicKey,
  type MemberIdentity,
  type MemberPublicKey,
  memberId,
  parsePublicKey,
} from "./core/members.js";
export { isNativeBlob, NATIVE_BLOB_MAGIC, nativeBlobKeyId } from "./core/native-format.js";
export {
  ARGON2ID_LIMITS,
  isPassphraseProtected,
  MIN_PASSPHRASE_LENGTH,
  type PassphraseCost,
  unwrapWithPassphrase,
  wrapWithPassphrase,
} from "./core/passphrase.js";
export { loadSodium, type Sodium } from "./core/sodium.js";
export {
  GIT_SECRETS_ERROR_CODES,
  GitSecretsError,
  type GitSecretsErrorCode,
  type GitSecretsErrorDetails,
  isGitSecretsError,
} from "./errors.js";
export type { Logger } from "./logger.js";
export {
  type ConfigCheckOptions,
  type ConfigCheckResult,
  type ConfigResolveOptions,
  configCheck,
  configResolve,
} from "./operations/config.js";
// Repository operations (what the git-seal CLI runs)
export type { CommandOptions, RepoOptions } from "./operations/context.js";
export { type FilterOptions, filterCodec, serveFilter } from "./operations/filter.js";
export {
  type GuardOptions,
  type GuardResult,
  guard,
  type InstallGuardOptions,
  installGuard,
  type ScanOptions,
  type ScanResult,
  scan,
} from "./operations/guard.js";
export {
  type ExportKeyOptions,
  exportKey,
  type ImportKeyOptions,
  type InitOptions,
  type InitResult,
  importKey,
  init,
  type KeyInfo,
  type KeySource,
  loadKey,
} from "./operations/keys.js";
export {
  type AddUserOptions,
  type AddUserResult,
  addUser,
  defaultIdentityPath,
  type IdentitySource,
  type KeygenOptions,
  type KeygenResult,
  keygen,
  listMembers,
  loadIdentity,
  loadPublicKey,
  type MemberInfo,
  type RemoveUserOptions,
  type RemoveUserResult,
  type RotateOptions,
  type RotateProgressEvent,
  type RotateResult,
  removeUser,
  rotate,
} from "./operations/members.js";
export {
  type GpgUser,
  type MigrateFromGpgOptions,
  type MigrateFromGpgResult,
  migrateFromGpg,
} from "./operations/migrate.js";
export {
  type ListEntry,
  ls,
  type StatusEntry,
  type StatusOptions,
  type StatusResult,
  status,
} from "./operations/status.js";
export {
  type LockOptions,
  type LockResult,
  lock,
  type SealProgressEvent,
  type UnlockOptions,
  type UnlockResult,
  unlock,
} from "./operations/unlock.js";
