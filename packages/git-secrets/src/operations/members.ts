import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { writeSecretFile } from "../adapters/files.js";
import { commitPaths, runGit } from "../adapters/git.js";
import { writeStoredKey } from "../adapters/key-store.js";
import { generateKey, keyIds, parseKey, type SealKey, serializeKey } from "../core/keys.js";
import {
  formatPublicKey,
  generateIdentity,
  type MemberIdentity,
  type MemberPublicKey,
  openAsMember,
  parseIdentity,
  parsePublicKey,
  sealForMember,
  serializeIdentity,
} from "../core/members.js";
import {
  isPassphraseProtected,
  type PassphraseCost,
  unwrapWithPassphrase,
  wrapWithPassphrase,
} from "../core/passphrase.js";
import { loadSodium } from "../core/sodium.js";
import { GitSecretsError } from "../errors.js";
import { checkClean } from "./clean.js";
import { loggerOf, openRepo, type RepoOptions } from "./context.js";
import { findStoredKey } from "./keys.js";
import { scanFiles } from "./scan.js";

/** The committed folder members' files live in (like git-crypt's `.git-crypt/`). */
export const MEMBERS_DIR = ".git-seal";

/** Where `keygen` puts the private key: `$XDG_CONFIG_HOME/git-seal/identity`, else `~/.config/git-seal/identity`. */
export function defaultIdentityPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "git-seal", "identity");
}

/** Options of {@link keygen}. */
export interface KeygenOptions extends PassphraseCost {
  /**
   * Where to write the private key (mode 0600; its folder 0700). The public key goes next to
   * it with `.pub` appended.
   * @defaultValue {@link defaultIdentityPath}
   */
  output?: string | undefined;
  /**
   * Protect the private key with this passphrase (Argon2id, at least 12 characters).
   * @defaultValue none: the file's mode 0600 is its only protection
   */
  passphrase?: string | undefined;
  /**
   * A label for the public key line, e.g. `alice@laptop`.
   * @defaultValue `""`
   */
  label?: string | undefined;
  /**
   * Replace an existing identity at `output`.
   * @defaultValue `false` (refuse with `ALREADY_INITIALIZED`)
   */
  force?: boolean | undefined;
}

/** What {@link keygen} made. */
export interface KeygenResult {
  /** The private key file. */
  path: string;
  /** The public key file (`path` + `.pub`). */
  publicKeyPath: string;
  /** The line to give to `add-user`: `git-seal-x25519 <base64> <label>`. */
  publicKey: string;
  memberId: string;
}

/** Makes an X25519 key pair for the user: the private key in their config folder, 0600. */
export async function keygen(options: KeygenOptions = {}): Promise<KeygenResult> {
  const sodium = await loadSodium();
  const path = options.output ?? defaultIdentityPath();
  if (existsSync(path) && !options.force) {
    throw new GitSecretsError(
      "ALREADY_INITIALIZED",
      `${path} already holds an identity; pass force to replace it (members who added it lose access)`,
      { path },
    );
  }
  const identity = generateIdentity(sodium, options.label ?? "");
  let bytes = serializeIdentity(identity);
  if (options.passphrase !== undefined) {
    bytes = wrapWithPassphrase(sodium, bytes, options.passphrase, options);
  }
  await writeSecretFile(path, bytes);
  const publicKey = formatPublicKey(identity);
  await writeFile(`${path}.pub`, `${publicKey}\n`, { mode: 0o644 });
  return { path, publicKeyPath: `${path}.pub`, publicKey, memberId: identity.memberId };
}

/** Where an identity comes from. */
export interface IdentitySource {
  /**
   * A git-seal identity or an unencrypted OpenSSH ed25519 private key: its path or bytes.
   * @defaultValue {@link defaultIdentityPath}
   */
  identity?: string | Uint8Array | undefined;
  /**
   * Passphrase of a protected identity.
   * @defaultValue none (a protected identity then fails with `PASSPHRASE_REQUIRED`)
   */
  identityPassphrase?: string | undefined;
}

/** Reads a member's private key. */
export async function loadIdentity(source: IdentitySource = {}): Promise<MemberIdentity> {
  const sodium = await loadSodium();
  let data: Uint8Array;
  const where = typeof source.identity === "string" ? source.identity : undefined;
  if (source.identity instanceof Uint8Array) data = source.identity;
  else {
    const path = source.identity ?? defaultIdentityPath();
    try {
      data = new Uint8Array(await readFile(path));
    } catch (cause) {
      throw new GitSecretsError(
        "KEY_NOT_FOUND",
        `cannot read the identity ${path}: ${(cause as Error).message} (make one with git-seal keygen)`,
        { cause, path },
      );
    }
  }
  if (isPassphraseProtected(data)) {
    if (source.identityPassphrase === undefined) {
      throw new GitSecretsError(
        "PASSPHRASE_REQUIRED",
        `the identity ${where ?? ""} is passphrase-protected: give its passphrase`.replace(
          "  ",
          " ",
        ),
      );
    }
    data = unwrapWithPassphrase(sodium, data, source.identityPassphrase);
  }
  return parseIdentity(sodium, data);
}

/** Reads a public key line, or the file holding one. */
export async function loadPublicKey(keyOrPath: string): Promise<MemberPublicKey> {
  const sodium = await loadSodium();
  const looksLikeKey = /^\s*(git-seal-x25519|ssh-ed25519)\s/.test(keyOrPath);
  if (looksLikeKey) return parsePublicKey(sodium, keyOrPath);
  let text: string;
  try {
    text = await readFile(keyOrPath, "utf8");
  } catch (cause) {
    throw new GitSecretsError(
      "INVALID_ARGUMENT",
      `${keyOrPath} is neither a public key line (git-seal-x25519 … / ssh-ed25519 …) nor a readable file`,
      { cause, path: keyOrPath },
    );
  }
  return parsePublicKey(sodium, text.split("\n").find((l) => l.trim() !== "") ?? "");
}

export function sealedPath(keyName: string, id: string): string {
  return `${MEMBERS_DIR}/keys/${keyName}/${id}`;
}
export function publicPath(id: string): string {
  return `${MEMBERS_DIR}/members/${id}.pub`;
}

/** One member as the repository records it. */
export interface MemberInfo {
  memberId: string;
  label: string;
  kind: MemberPublicKey["kind"];
  /** Key names sealed for this member. */
  keyNames: string[];
}

/** The members recorded in the work tree's `.git-seal/` folder. */
export async function listMembers(options: RepoOptions = {}): Promise<MemberInfo[]> {
  const repo = await openRepo(options);
  const sodium = await loadSodium();
  const members = new Map<string, MemberInfo>();
  for (const file of await readdirSafe(join(repo.top, MEMBERS_DIR, "members"))) {
    if (!file.endsWith(".pub")) continue;
    const key = parsePublicKey(
      sodium,
      await readFile(join(repo.top, MEMBERS_DIR, "members", file), "utf8"),
    );
    members.set(key.memberId, {
      memberId: key.memberId,
      label: key.label,
      kind: key.kind,
      keyNames: [],
    });
  }
  for (const keyName of await readdirSafe(join(repo.top, MEMBERS_DIR, "keys"))) {
    for (const id of await readdirSafe(join(repo.top, MEMBERS_DIR, "keys", keyName))) {
      members.get(id)?.keyNames.push(keyName);
    }
  }
  return [...members.values()].sort((a, b) =>
    (a.label + a.memberId).localeCompare(b.label + b.memberId),
  );
}

export async function readdirSafe(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch {
    return [];
  }
}

/** Options of {@link addUser}. */
export interface AddUserOptions extends RepoOptions {
  /** The member's public key: a `git-seal-x25519 …` or `ssh-ed25519 …` line, or a file holding one. */
  publicKey: string;
  /**
   * Which repository key to share.
   * @defaultValue the only stored key, else `"default"`
   */
  keyName?: string | undefined;
  /**
   * Commit the member's files (as git-crypt's add-gpg-user does).
   * @defaultValue `true`
   */
  commit?: boolean | undefined;
}

/** What {@link addUser} did. */
export interface AddUserResult {
  memberId: string;
  label: string;
  keyName: string;
  /** The files written (committed unless `commit: false`). */
  files: string[];
}

export async function writeMemberFiles(
  top: string,
  member: MemberPublicKey,
  keyName: string,
  keyFile: Uint8Array,
): Promise<string[]> {
  const sodium = await loadSodium();
  const sealed = sealForMember(sodium, keyFile, member);
  const files = [
    sealedPath(keyName, member.memberId),
    publicPath(member.memberId),
    `${MEMBERS_DIR}/.gitattributes`,
  ];
  await mkdir(join(top, dirname(files[0] as string)), { recursive: true });
  await mkdir(join(top, dirname(files[1] as string)), { recursive: true });
  await writeFile(join(top, files[0] as string), sealed);
  await writeFile(join(top, files[1] as string), `${formatPublicKey(member)}\n`);
  // Members' files are never filtered, whatever patterns the repository's attributes use.
  await writeFile(join(top, files[2] as string), "* !filter !diff !merge\n");
  return files;
}

/**
 * Seals the repository key for a member (crypto_box_seal to their X25519 key) into
 * `.git-seal/keys/<key name>/<member id>`, records their public key in
 * `.git-seal/members/<member id>.pub`, and commits both. Needs the repository unlocked.
 * A git-crypt-format key can be shared this way too (what `migrateFromGpg` does): the
 * member unlocks with git-seal; git-crypt itself only knows its GPG users.
 */
export async function addUser(options: AddUserOptions): Promise<AddUserResult> {
  const repo = await openRepo(options);
  const member = await loadPublicKey(options.publicKey);
  const stored = await findStoredKey(repo.gitDir, options.keyName, repo.worktreeGitDir);
  const files = await writeMemberFiles(repo.top, member, stored.keyName, stored.bytes);
  if (options.commit !== false) {
    await commitPaths(
      repo.top,
      files,
      `git-seal: add member ${member.label || member.memberId}`,
      repo.git,
    );
  }
  return { memberId: member.memberId, label: member.label, keyName: stored.keyName, files };
}

/** The repository keys sealed for `identity` in the work tree, opened. */
export async function memberKeys(
  top: string,
  identity: MemberIdentity,
): Promise<{ keyName: string; bytes: Uint8Array; key: SealKey }[]> {
  const sodium = await loadSodium();
  const found: { keyName: string; bytes: Uint8Array; key: SealKey }[] = [];
  for (const keyName of await readdirSafe(join(top, MEMBERS_DIR, "keys"))) {
    const path = join(top, MEMBERS_DIR, "keys", keyName, identity.memberId);
    if (!existsSync(path)) continue;
    const bytes = openAsMember(
      sodium,
      new Uint8Array(await readFile(path)),
      identity,
      sealedPath(keyName, identity.memberId),
    );
    found.push({ keyName, bytes, key: parseKey(bytes) });
  }
  if (found.length === 0) {
    throw new GitSecretsError(
      "MEMBER_NOT_FOUND",
      `no repository key is sealed for member ${identity.memberId}${identity.label ? ` (${identity.label})` : ""} in ${MEMBERS_DIR}/keys: ask a member to run git-seal add-user with your public key`,
    );
  }
  return found;
}

/** Options of {@link rotate}. */
export interface RotateOptions extends RepoOptions {
  /**
   * Which repository key.
   * @defaultValue the only stored key, else `"default"`
   */
  keyName?: string | undefined;
  /**
   * Rotate even with uncommitted changes (they are committed with the rotation).
   * @defaultValue `false` (refuse with `UNCOMMITTED_CHANGES`)
   */
  force?: boolean | undefined;
  /**
   * Commit the re-encrypted files and re-sealed member keys.
   * @defaultValue `true`
   */
  commit?: boolean | undefined;
  /**
   * Randomness for the new key entry (tests pass a seeded source).
   * @defaultValue libsodium's CSPRNG
   */
  random?: ((length: number) => Uint8Array) | undefined;
  /**
   * Called as each step starts: `key` (new key stored), `members`, `reencrypt`, `commit`.
   * @defaultValue none
   */
  onProgress?: ((event: RotateProgressEvent) => void) | undefined;
}

/** Progress of {@link rotate}. */
export interface RotateProgressEvent {
  phase: "key" | "members" | "reencrypt" | "commit";
  /** The generation being introduced. */
  generation: number;
}

/** What {@link rotate} did. */
export interface RotateResult {
  keyName: string;
  /** The new key epoch: it seals from now on; every older one still opens history. */
  generation: number;
  keyId: string;
  /** Key ids of every epoch, newest first. */
  keyIds: string[];
  /** Members the new key was sealed for. */
  members: string[];
  /** Files re-encrypted under the new epoch. */
  files: string[];
  /** True when an interrupted rotation was finished instead of a new one started. */
  resumed: boolean;
}

function journalPath(gitDir: string, keyName: string): string {
  return join(gitDir, "git-seal", "rotating", keyName);
}

/**
 * A new key epoch: a fresh entry becomes the one that seals; older entries stay in the key so
 * history still opens. The current files are re-encrypted under it, the key is sealed again for
 * every remaining member, and all of it is committed. An interrupted rotation is journalled in
 * `.git/git-seal/rotating/<key name>`; running `rotate` again finishes it with the same epoch.
 */
export async function rotate(options: RotateOptions = {}): Promise<RotateResult> {
  const repo = await openRepo(options);
  const logger = loggerOf(options);
  const stored = await findStoredKey(repo.gitDir, options.keyName, repo.worktreeGitDir);
  if (stored.format !== "git-seal") {
    throw new GitSecretsError(
      "INVALID_ARGUMENT",
      `key "${stored.keyName}" is a git-crypt key: git-crypt decrypts with its newest key version only, so rotating would lock git-crypt users out of history; rotate a git-seal key`,
    );
  }
  const journal = journalPath(repo.gitDir, stored.keyName);
  let next: SealKey;
  let resumed = false;
  if (existsSync(journal)) {
    next = parseKey(new Uint8Array(await readFile(journal)));
    const nextIds = keyIds(next);
    if (!keyIds(stored.key).every((id) => nextIds.includes(id))) {
      throw new GitSecretsError(
        "CORRUPT_KEY_FILE",
        `${journal} does not extend the stored key; remove it to start a new rotation`,
        { path: journal },
      );
    }
    resumed = true;
  } else {
    if (!options.force) await checkClean(repo.top, repo.git, "rotate");
    const sodium = await loadSodium();
    const fresh = generateKey({
      format: "git-seal",
      random: options.random ?? ((n) => sodium.randombytes_buf(n)),
    });
    const latest = stored.key.entries[0] as { generation: number };
    const entry = {
      ...(fresh.entries[0] as SealKey["entries"][number]),
      generation: latest.generation + 1,
    };
    next = { ...stored.key, entries: [entry, ...stored.key.entries] } as SealKey;
    await writeSecretFile(journal, serializeKey(next));
  }
  const generation = (next.entries[0] as { generation: number }).generation;
  const progress = (phase: RotateProgressEvent["phase"]) => {
    options.onProgress?.({ phase, generation });
    if (options.signal?.aborted) {
      throw new GitSecretsError(
        "ABORTED",
        `rotation aborted after ${phase}; run rotate again to finish it`,
        {
          cause: options.signal.reason,
        },
      );
    }
  };
  const bytes = serializeKey(next);
  await writeStoredKey(repo.gitDir, "git-seal", stored.keyName, bytes);
  progress("key");

  const sodium = await loadSodium();
  const members: string[] = [];
  const touched: string[] = [];
  for (const id of await readdirSafe(join(repo.top, MEMBERS_DIR, "keys", stored.keyName))) {
    const pub = join(repo.top, publicPath(id));
    if (!existsSync(pub)) {
      logger.warn(
        `${sealedPath(stored.keyName, id)} has no ${publicPath(id)}: removed, not re-sealed`,
      );
      await rm(join(repo.top, sealedPath(stored.keyName, id)), { force: true });
      touched.push(sealedPath(stored.keyName, id));
      continue;
    }
    const member = parsePublicKey(sodium, await readFile(pub, "utf8"));
    touched.push(...(await writeMemberFiles(repo.top, member, stored.keyName, bytes)));
    members.push(id);
  }
  progress("members");

  const files = (await scanFiles(repo.top, repo, repo.git))
    .filter((f) => f.filterName === stored.filterName && f.staged !== "untracked")
    .map((f) => f.path);
  if (files.length > 0) {
    await runGit(
      repo.top,
      ["add", "--renormalize", "--pathspec-from-file=-", "--pathspec-file-nul"],
      {
        ...repo.git,
        input: `${files.join("\0")}\0`,
      },
    );
  }
  progress("reencrypt");
  if (options.commit !== false) {
    await commitPaths(
      repo.top,
      [...new Set([...touched, ...files])],
      `git-seal: rotate key ${stored.keyName} to epoch ${generation}`,
      repo.git,
    );
  }
  progress("commit");
  await rm(journal, { force: true });
  return {
    keyName: stored.keyName,
    generation,
    keyId: keyIds(next)[0] as string,
    keyIds: keyIds(next),
    members,
    files,
    resumed,
  };
}

/** Options of {@link removeUser}. */
export interface RemoveUserOptions extends Omit<RotateOptions, "keyName"> {
  /** The member: their member id, label, or public key (line or file). */
  member: string;
}

/** What {@link removeUser} did. */
export interface RemoveUserResult {
  memberId: string;
  label: string;
  /** One rotation per key the member held. */
  rotations: RotateResult[];
  /** The plain statement of what removal cannot do, for the CLI to print. */
  notice: string;
}

/**
 * Removes a member's sealed keys and public key, then rotates every key they held, so nothing
 * committed from now on opens with what they have. What they could read before stays readable
 * to them: copies cannot be recalled, so change the secrets themselves as well.
 */
export async function removeUser(options: RemoveUserOptions): Promise<RemoveUserResult> {
  const repo = await openRepo(options);
  const all = await listMembers(options);
  let wanted = options.member;
  if (/^\s*(git-seal-x25519|ssh-ed25519)\s/.test(wanted) || existsSync(wanted)) {
    wanted = (await loadPublicKey(wanted)).memberId;
  }
  const matches = all.filter((m) => m.memberId === wanted || m.label === wanted);
  if (matches.length !== 1) {
    throw new GitSecretsError(
      matches.length === 0 ? "MEMBER_NOT_FOUND" : "INVALID_ARGUMENT",
      matches.length === 0
        ? `no member ${JSON.stringify(wanted)}; members: ${all.map((m) => `${m.memberId} ${m.label}`.trim()).join(", ") || "none"}`
        : `${JSON.stringify(wanted)} names ${matches.length} members; give the member id`,
    );
  }
  const member = matches[0] as MemberInfo;
  // Refused before anything changes: a removal without a rotation would be a false promise.
  for (const keyName of member.keyNames) {
    const stored = await findStoredKey(repo.gitDir, keyName, repo.worktreeGitDir);
    if (stored.format !== "git-seal") {
      throw new GitSecretsError(
        "INVALID_ARGUMENT",
        `${member.label || member.memberId} holds git-crypt key "${keyName}", which cannot be rotated (git-crypt decrypts with its newest key version only): move the files to a git-seal key first (see the guide), then remove the member`,
      );
    }
  }
  if (!options.force) await checkClean(repo.top, repo.git, "remove a member");
  for (const keyName of member.keyNames) {
    await rm(join(repo.top, sealedPath(keyName, member.memberId)), { force: true });
  }
  await rm(join(repo.top, publicPath(member.memberId)), { force: true });
  const rotations: RotateResult[] = [];
  for (const keyName of member.keyNames) {
    rotations.push(await rotate({ ...options, keyName, force: true }));
  }
  const removedPaths = [
    publicPath(member.memberId),
    ...member.keyNames.map((k) => sealedPath(k, member.memberId)),
  ];
  if (options.commit !== false) {
    await commitPaths(
      repo.top,
      removedPaths,
      `git-seal: remove member ${member.label || member.memberId}`,
      repo.git,
    );
  }
  return {
    memberId: member.memberId,
    label: member.label,
    rotations,
    notice: `${member.label || member.memberId} can no longer decrypt anything committed from now on. They keep everything they could already read: old commits and any copy of the old key still open with it. Change the secrets themselves (passwords, tokens) as well.`,
  };
}
