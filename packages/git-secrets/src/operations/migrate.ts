import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { checkAborted, commitPaths, readBlobs, runGit } from "../adapters/git.js";
import { type GpgOptions, gitCryptGpgFiles, openGitCryptGpgKeys } from "../adapters/gpg.js";
import { listStoredKeys } from "../adapters/key-store.js";
import { createCodec } from "../core/codec.js";
import { filterName } from "../core/filter-name.js";
import { keyIds, parseKey, type SealKey } from "../core/keys.js";
import { type MemberPublicKey, parsePublicKey } from "../core/members.js";
import { loadSodium } from "../core/sodium.js";
import { GitSecretsError } from "../errors.js";
import { openRepo, type RepoOptions } from "./context.js";
import { loadPublicKey, MEMBERS_DIR, readdirSafe, writeMemberFiles } from "./members.js";
import { scanFiles } from "./scan.js";

/** Options of {@link migrateFromGpg}. */
export interface MigrateFromGpgOptions extends RepoOptions {
  /**
   * The members to give the key to: public key lines (`git-seal-x25519 …`, `ssh-ed25519 …`),
   * files holding one, or the member id or label of a member already recorded in
   * `.git-seal/members/`. GPG keys cannot be turned into X25519 keys, so each GPG user hands
   * over a git-seal (`git-seal keygen`) or SSH ed25519 public key.
   * @defaultValue every member already recorded in `.git-seal/members/`
   */
  members?: readonly string[] | undefined;
  /**
   * Migrate only this key name (`.git-crypt/keys/<name>/`).
   * @defaultValue every key name that has GPG users
   */
  keyName?: string | undefined;
  /**
   * Where the key comes from when it is not stored in the repository yet (`unlock --gpg` or a
   * key file stores it): `true` opens `.git-crypt/keys/<name>/0/<fingerprint>.gpg` with the
   * system gpg's defaults, an object names the binary and the GnuPG home.
   * @defaultValue `false`: the key must already be stored (the repository unlocked)
   */
  gpg?: boolean | GpgOptions | undefined;
  /**
   * Remove GPG users: `true` removes every `.gpg` entry of the migrated keys (git-crypt users
   * then unlock as members only); a list removes the users with those fingerprints (40 hex
   * digits, or the last 16 — the long key id). Removal revokes nothing: a removed user keeps
   * the key they could already open.
   * @defaultValue `false`: every GPG user keeps unlocking with git-crypt or `unlock --gpg`
   */
  removeGpg?: boolean | readonly string[] | undefined;
  /**
   * Commit the members' files (and the removed `.gpg` entries).
   * @defaultValue `true`
   */
  commit?: boolean | undefined;
}

/** A git-crypt GPG user of one key. */
export interface GpgUser {
  keyName: string;
  /** The GPG key fingerprint (the `.gpg` file's name). */
  fingerprint: string;
}

/** What {@link migrateFromGpg} did. */
export interface MigrateFromGpgResult {
  /** The key names now sealed for members. */
  keyNames: string[];
  /** Members the keys were sealed for. */
  members: { memberId: string; label: string }[];
  /** GPG users removed. */
  removedGpgUsers: GpgUser[];
  /** GPG users who still unlock with gpg. */
  remainingGpgUsers: GpgUser[];
  /** The files written or removed (committed unless `commit: false`). */
  files: string[];
  /** The plain statement of what this did not change, for the CLI to print. */
  notice: string;
}

const GITCRYPT_DIR = ".git-crypt";

/**
 * Moves a repository whose key git-crypt shared with GPG (`git-crypt add-gpg-user`) to git-seal
 * members: the same key is sealed for each member in `.git-seal/keys/<name>/<member id>`, so
 * members unlock with their own private key and no GPG, while the encrypted files, history and
 * the key stay as they are. GPG users keep unlocking (git-crypt's `unlock`, or `git-seal
 * unlock --gpg`) until they are removed with `removeGpg`. Nothing is written unless every key
 * opens and every member is known; the key is checked against the committed files first.
 */
export async function migrateFromGpg(
  options: MigrateFromGpgOptions = {},
): Promise<MigrateFromGpgResult> {
  const repo = await openRepo(options);
  const gpgFiles = await gitCryptGpgFiles(repo.top);
  const withUsers = [...new Set(gpgFiles.map((f) => f.keyName))];
  if (withUsers.length === 0) {
    throw new GitSecretsError(
      "KEY_NOT_FOUND",
      `${repo.top} has no key git-crypt shared with GPG (${GITCRYPT_DIR}/keys/<name>/0/<fingerprint>.gpg): nothing to migrate`,
      { path: repo.top },
    );
  }
  if (options.keyName !== undefined && !withUsers.includes(options.keyName)) {
    throw new GitSecretsError(
      "KEY_NOT_FOUND",
      `key "${options.keyName}" has no GPG users; keys with GPG users: ${withUsers.join(", ")}`,
    );
  }
  const keyNames = options.keyName === undefined ? withUsers : [options.keyName];
  const members = await resolveMembers(repo.top, options.members);

  // The keys: stored ones first (an unlocked repository), then gpg when asked.
  const keys = new Map<string, { bytes: Uint8Array; key: SealKey }>();
  for (const stored of await listStoredKeys(repo.gitDir, repo.worktreeGitDir)) {
    if (stored.format === "git-crypt" && keyNames.includes(stored.keyName)) {
      keys.set(stored.keyName, { bytes: stored.bytes, key: stored.key });
    }
  }
  const missing = keyNames.filter((k) => !keys.has(k));
  if (missing.length > 0 && options.gpg) {
    const gpg = options.gpg === true ? {} : options.gpg;
    for (const found of await openGitCryptGpgKeys(repo.top, { ...gpg, signal: options.signal })) {
      if (missing.includes(found.keyName)) {
        keys.set(found.keyName, { bytes: found.bytes, key: parseKey(found.bytes) });
      }
    }
  }
  const unopened = keyNames.filter((k) => !keys.has(k));
  if (unopened.length > 0) {
    throw new GitSecretsError(
      options.gpg ? "MEMBER_NOT_FOUND" : "KEY_NOT_FOUND",
      options.gpg
        ? `none of your GPG keys opens key(s) ${unopened.join(", ")}: only someone who can unlock may migrate (or migrate one key with -k)`
        : `key(s) ${unopened.join(", ")} are not unlocked here: run git-seal unlock --gpg first, or let migrate use gpg`,
    );
  }
  for (const keyName of keyNames) {
    const { key } = keys.get(keyName) as { key: SealKey };
    if (key.format !== "git-crypt") {
      throw new GitSecretsError(
        "CORRUPT_KEY_FILE",
        `the key GPG users of "${keyName}" hold is not a git-crypt key file`,
      );
    }
    await checkKeyOpensFiles(repo, keyName, key);
  }

  const removed = gpgUsersToRemove(gpgFiles, keyNames, options.removeGpg);
  checkAborted(options.signal);

  // Every check passed: write, and undo every write if a later step fails.
  const undo: (() => Promise<unknown>)[] = [];
  const files = new Set<string>();
  try {
    for (const keyName of keyNames) {
      const { bytes } = keys.get(keyName) as { bytes: Uint8Array };
      for (const member of members) {
        const paths = memberPaths(keyName, member.memberId);
        for (const path of paths) undo.push(await snapshot(join(repo.top, path)));
        for (const path of await writeMemberFiles(repo.top, member, keyName, bytes)) {
          files.add(path);
        }
      }
    }
    for (const user of removed) {
      const path = `${GITCRYPT_DIR}/keys/${user.keyName}/0/${user.fingerprint}.gpg`;
      undo.push(await snapshot(join(repo.top, path)));
      await rm(join(repo.top, path), { force: true });
      files.add(path);
    }
    for (const keyName of new Set(removed.map((u) => u.keyName))) {
      await removeEmpty(join(repo.top, GITCRYPT_DIR, "keys", keyName, "0"));
      await removeEmpty(join(repo.top, GITCRYPT_DIR, "keys", keyName));
    }
    const remaining = gpgFiles.filter(
      (f) => !removed.some((u) => u.keyName === f.keyName && u.fingerprint === f.fingerprint),
    );
    if (removed.length > 0 && remaining.length === 0) {
      // git-crypt's own attributes file only serves the .gpg entries: it goes with the last one.
      const attributes = `${GITCRYPT_DIR}/.gitattributes`;
      if (existsSync(join(repo.top, attributes))) {
        undo.push(await snapshot(join(repo.top, attributes)));
        await rm(join(repo.top, attributes));
        files.add(attributes);
      }
      await removeEmpty(join(repo.top, GITCRYPT_DIR, "keys"));
      await removeEmpty(join(repo.top, GITCRYPT_DIR));
    }
    const paths = [...files].sort();
    checkAborted(options.signal);
    if (options.commit !== false) {
      await commitPaths(
        repo.top,
        paths,
        `git-seal: migrate GPG users of ${keyNames.join(", ")} to members ${members.map((m) => m.label || m.memberId).join(", ")}`,
        repo.git,
        () => undo.push(() => runGit(repo.top, ["reset", "-q", "--", ...paths], repo.git)),
      );
    }
    const removedText =
      removed.length > 0
        ? ` Removed GPG users (${removed.map((u) => u.fingerprint).join(", ")}) keep the key they could already open: removing them revokes nothing. To lock them out of what is committed from now on, move the files to a git-seal key (see the guide) and change the secrets themselves.`
        : "";
    return {
      keyNames,
      members: members.map((m) => ({ memberId: m.memberId, label: m.label })),
      removedGpgUsers: removed,
      remainingGpgUsers: remaining.map((f) => ({ keyName: f.keyName, fingerprint: f.fingerprint })),
      files: paths,
      notice: `The repository key and every encrypted file are unchanged: members unlock with git-seal unlock (no GPG needed)${remaining.length > 0 ? `, and the ${remaining.length} remaining GPG user(s) still unlock with git-crypt unlock or git-seal unlock --gpg` : ""}.${removedText}`,
    };
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => {});
    throw error;
  }
}

function memberPaths(keyName: string, memberId: string): string[] {
  return [
    `${MEMBERS_DIR}/keys/${keyName}/${memberId}`,
    `${MEMBERS_DIR}/members/${memberId}.pub`,
    `${MEMBERS_DIR}/.gitattributes`,
  ];
}

/** A function that puts the file back as it is now (or removes it when it does not exist). */
async function snapshot(path: string): Promise<() => Promise<unknown>> {
  let before: Buffer | undefined;
  try {
    before = await readFile(path);
  } catch {
    before = undefined;
  }
  return async () => {
    if (before === undefined) {
      await rm(path, { force: true });
      // Folders the write created go too, when nothing else is in them.
      let dir = join(path, "..");
      for (let i = 0; i < 3; i++, dir = join(dir, "..")) await removeEmpty(dir);
    } else {
      await mkdir(join(path, ".."), { recursive: true });
      await writeFile(path, before);
    }
  };
}

async function removeEmpty(dir: string): Promise<void> {
  try {
    if ((await readdir(dir)).length === 0) await rmdir(dir);
  } catch {
    // missing or not empty: nothing to do
  }
}

/** The members named (public keys, files, or recorded members' ids or labels), or every recorded one. */
async function resolveMembers(
  top: string,
  wanted: readonly string[] | undefined,
): Promise<MemberPublicKey[]> {
  const sodium = await loadSodium();
  const recorded: MemberPublicKey[] = [];
  for (const file of await readdirSafe(join(top, MEMBERS_DIR, "members"))) {
    if (!file.endsWith(".pub")) continue;
    recorded.push(
      parsePublicKey(sodium, await readFile(join(top, MEMBERS_DIR, "members", file), "utf8")),
    );
  }
  const chosen = new Map<string, MemberPublicKey>();
  if (wanted === undefined || wanted.length === 0) {
    for (const m of recorded) chosen.set(m.memberId, m);
  }
  for (const item of wanted ?? []) {
    if (/^\s*(git-seal-x25519|ssh-ed25519)\s/.test(item) || existsSync(item)) {
      const key = await loadPublicKey(item);
      chosen.set(key.memberId, key);
      continue;
    }
    const matches = recorded.filter(
      (m) => m.memberId === item || (m.label !== "" && m.label === item),
    );
    if (matches.length !== 1) {
      throw new GitSecretsError(
        matches.length === 0 ? "MEMBER_NOT_FOUND" : "INVALID_ARGUMENT",
        matches.length === 0
          ? `${JSON.stringify(item)} is neither a public key (git-seal-x25519 … / ssh-ed25519 …), a file holding one, nor a recorded member; recorded: ${recorded.map((m) => `${m.memberId} ${m.label}`.trim()).join(", ") || "none"}`
          : `${JSON.stringify(item)} names ${matches.length} members; give the member id`,
      );
    }
    chosen.set((matches[0] as MemberPublicKey).memberId, matches[0] as MemberPublicKey);
  }
  if (chosen.size === 0) {
    throw new GitSecretsError(
      "INVALID_ARGUMENT",
      "no members to migrate to: give each person's public key (they make one with git-seal keygen, or use their SSH ed25519 key)",
    );
  }
  return [...chosen.values()];
}

function gpgUsersToRemove(
  files: readonly { keyName: string; fingerprint: string }[],
  keyNames: readonly string[],
  removeGpg: MigrateFromGpgOptions["removeGpg"],
): GpgUser[] {
  const ofKeys = files.filter((f) => keyNames.includes(f.keyName));
  if (!removeGpg) return [];
  if (removeGpg === true)
    return ofKeys.map((f) => ({ keyName: f.keyName, fingerprint: f.fingerprint }));
  const chosen: GpgUser[] = [];
  for (const wanted of removeGpg) {
    const id = wanted.replace(/\s+/g, "").toUpperCase();
    const matches = /^([0-9A-F]{16}|[0-9A-F]{40})$/.test(id)
      ? ofKeys.filter((f) => f.fingerprint.toUpperCase().endsWith(id))
      : [];
    if (matches.length === 0) {
      throw new GitSecretsError(
        "MEMBER_NOT_FOUND",
        `no GPG user ${JSON.stringify(wanted)} of key(s) ${keyNames.join(", ")}; GPG users: ${ofKeys.map((f) => f.fingerprint).join(", ")}`,
      );
    }
    for (const m of matches) {
      if (!chosen.some((c) => c.keyName === m.keyName && c.fingerprint === m.fingerprint)) {
        chosen.push({ keyName: m.keyName, fingerprint: m.fingerprint });
      }
    }
  }
  return chosen;
}

/** Throws `WRONG_KEY` unless `key` opens every committed (staged) blob of its filter. */
async function checkKeyOpensFiles(
  repo: Awaited<ReturnType<typeof openRepo>>,
  keyName: string,
  key: SealKey,
): Promise<void> {
  const name = filterName("git-crypt", keyName);
  const files = (await scanFiles(repo.top, repo, repo.git)).filter(
    (f) => f.filterName === name && f.staged === "encrypted" && f.oid,
  );
  if (files.length === 0) return;
  const codec = await createCodec(key);
  const blobs = await readBlobs(
    repo.top,
    repo.git,
    files.map((f) => f.oid as string),
  );
  for (const file of files) {
    const blob = blobs.get(file.oid as string);
    if (!blob) continue;
    try {
      codec.open(blob, file.path);
    } catch (cause) {
      throw new GitSecretsError(
        "WRONG_KEY",
        `the key "${keyName}" available here (${keyIds(key).join(", ")}) does not open ${file.path}: it is not the key the GPG users share; unlock with git-seal unlock --gpg`,
        { cause, path: file.path, expectedKeyIds: keyIds(key) },
      );
    }
  }
}
