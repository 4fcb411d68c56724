import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addUser,
  exportKey,
  GitSecretsError,
  importKey,
  init,
  keygen,
  migrateFromGpg,
  removeUser,
  unlock,
} from "../src/index.js";
import {
  CLI_COMMAND,
  git,
  newRepo,
  requireGitCrypt,
  requireTool,
  sandbox,
  seal,
} from "./helpers.js";

const present = requireGitCrypt() && requireTool("gpg");
let box: Awaited<ReturnType<typeof sandbox>>;
beforeAll(async () => {
  box = await sandbox();
});
afterAll(() => box?.cleanup());

/** A throwaway GnuPG home with one secret key (no passphrase); returns it and the fingerprint. */
function gnupgHome(name: string): { home: string; fingerprint: string } {
  const home = mkdtempSync(join(box.root, `gnupg-${name}-`));
  const env = { ...process.env, GNUPGHOME: home };
  execFileSync(
    "gpg",
    [
      "--batch",
      "--passphrase",
      "",
      "--quick-gen-key",
      `${name} <${name}@example.com>`,
      "default",
      "default",
      "never",
    ],
    {
      env,
      stdio: "ignore",
    },
  );
  const listing = execFileSync("gpg", ["--batch", "--with-colons", "--list-secret-keys"], {
    env,
    encoding: "utf8",
  });
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(listing)?.[1] as string;
  return { home, fingerprint };
}

describe.skipIf(!present)(
  "migration off git-crypt with GPG (real git-crypt and gpg)",
  { timeout: 180_000, tags: ["peer", "slow"] },
  () => {
    it("unlock --gpg opens a key git-crypt shared with add-gpg-user, through the system gpg", async () => {
      const alice = gnupgHome("alice");
      const mallory = gnupgHome("mallory");
      const origin = newRepo(box.root, "gpg-origin");
      const env = { ...process.env, GNUPGHOME: alice.home };
      execFileSync("git-crypt", ["init"], { cwd: origin, env });
      writeFileSync(join(origin, ".gitattributes"), "*.secret filter=git-crypt diff=git-crypt\n");
      writeFileSync(join(origin, "db.secret"), "PASSWORD=gpg-shared\n");
      git(origin, "add", ".");
      git(origin, "commit", "-q", "-m", "secret");
      execFileSync("git-crypt", ["add-gpg-user", "--trusted", alice.fingerprint], {
        cwd: origin,
        env,
      });
      expect(git(origin, "ls-files", ".git-crypt").trim()).toBe(
        `.git-crypt/.gitattributes\n.git-crypt/keys/default/0/${alice.fingerprint}.gpg`,
      );

      const clone = join(box.root, "gpg-clone");
      git(box.root, "clone", "-q", origin, clone);
      // Someone whose GPG key was never added: refused, nothing written.
      await expect(
        unlock({ dir: clone, gpg: { gpgHome: mallory.home }, command: CLI_COMMAND }),
      ).rejects.toMatchObject({
        code: "MEMBER_NOT_FOUND",
      });
      const result = await unlock({
        dir: clone,
        gpg: { gpgHome: alice.home },
        command: CLI_COMMAND,
      });
      expect(result.keys.map((k) => [k.format, k.keyName])).toEqual([["git-crypt", "default"]]);
      expect(readFileSync(join(clone, "db.secret"), "utf8")).toBe("PASSWORD=gpg-shared\n");
      // The CLI spelling, in another clone.
      const other = join(box.root, "gpg-clone-cli");
      git(box.root, "clone", "-q", origin, other);
      const cli = seal(other, ["unlock", "--gpg", "--gpg-home", alice.home]);
      expect(cli.stdout).toContain('Unlocked git-crypt key "default"');
      expect(readFileSync(join(other, "db.secret"), "utf8")).toBe("PASSWORD=gpg-shared\n");
      // A repository without GPG-shared keys says so.
      const plain = newRepo(box.root, "gpg-none");
      mkdirSync(join(plain, "x"));
      const error = await unlock({ dir: plain, gpg: true, command: CLI_COMMAND }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(GitSecretsError);
      expect((error as GitSecretsError).code).toBe("KEY_NOT_FOUND");
    });
  },
);

/** A bare hub with a git-crypt repository whose key is shared with GPG users. */
function gpgSharedHub(name: string, users: { home: string; fingerprint: string }[]) {
  const owner = users[0] as { home: string; fingerprint: string };
  const others = users.slice(1);
  const env = { ...process.env, GNUPGHOME: owner.home };
  // The owner's keyring must hold the others' public keys for git-crypt add-gpg-user.
  for (const other of others) {
    const pub = execFileSync("gpg", ["--batch", "--armor", "--export", other.fingerprint], {
      env: { ...process.env, GNUPGHOME: other.home },
    });
    execFileSync("gpg", ["--batch", "--import"], {
      env,
      input: pub,
      stdio: ["pipe", "ignore", "ignore"],
    });
  }
  const work = newRepo(box.root, `${name}-work`);
  const quiet = { cwd: work, env, stdio: "ignore" } as const;
  execFileSync("git-crypt", ["init"], quiet);
  writeFileSync(join(work, ".gitattributes"), "*.secret filter=git-crypt diff=git-crypt\n");
  writeFileSync(join(work, "db.secret"), "PASSWORD=gpg-shared\n");
  writeFileSync(join(work, "README.md"), "public\n");
  git(work, "add", ".");
  git(work, "commit", "-q", "-m", "secret");
  for (const user of users) {
    execFileSync("git-crypt", ["add-gpg-user", "--trusted", user.fingerprint], quiet);
  }
  const hub = join(box.root, `${name}-hub.git`);
  git(box.root, "clone", "-q", "--bare", work, hub);
  return hub;
}

function clone(hub: string, name: string): string {
  const dir = join(box.root, name);
  git(box.root, "clone", "-q", hub, dir);
  return dir;
}

/** What a failed migration must leave alone: HEAD, the index and work tree, the key store. */
function state(dir: string) {
  return {
    head: git(dir, "rev-parse", "HEAD"),
    status: git(dir, "status", "--porcelain", "--untracked-files=all"),
    members: existsSync(join(dir, ".git-seal")),
    keys: git(dir, "rev-parse", "--git-path", "git-crypt/keys/default").trim(),
  };
}

/** git-crypt unlock with one GnuPG home, in a fresh clone: the file's content, or undefined. */
function gitCryptUnlock(hub: string, name: string, gpgHome: string): string | undefined {
  const dir = clone(hub, name);
  const r = spawnSync("git-crypt", ["unlock"], {
    cwd: dir,
    env: { ...process.env, GNUPGHOME: gpgHome },
  });
  return r.status === 0 ? readFileSync(join(dir, "db.secret"), "utf8") : undefined;
}

describe.skipIf(!present)(
  "migrate --from-gpg: git-crypt GPG users to git-seal members (real git-crypt and gpg)",
  { timeout: 300_000, tags: ["peer", "slow"] },
  () => {
    it("seals the same key for members, who then unlock without gpg; data unchanged; GPG users keep access until removed", async () => {
      const alice = gnupgHome("alice");
      const bob = gnupgHome("bob");
      const hub = gpgSharedHub("migrate", [alice, bob]);
      const aliceId = await keygen({ output: join(box.root, "ids", "alice"), label: "alice" });
      const carolId = await keygen({ output: join(box.root, "ids", "carol"), label: "carol" });

      const work = clone(hub, "migrate-alice");
      const secretBlob = git(work, "rev-parse", "HEAD:db.secret");
      await unlock({ dir: work, gpg: { gpgHome: alice.home }, command: CLI_COMMAND });
      const result = await migrateFromGpg({
        dir: work,
        members: [aliceId.publicKey, carolId.publicKeyPath],
      });
      expect(result.keyNames).toEqual(["default"]);
      expect(result.members.map((m) => m.label).sort()).toEqual(["alice", "carol"]);
      expect(result.removedGpgUsers).toEqual([]);
      expect(result.remainingGpgUsers.map((u) => u.fingerprint).sort()).toEqual(
        [alice.fingerprint, bob.fingerprint].sort(),
      );
      expect(result.notice).toContain("still unlock with git-crypt unlock");
      // One commit that touches only .git-seal/; the ciphertext git stores is the same blob.
      expect(git(work, "diff", "--name-only", "HEAD~1", "HEAD").trim().split("\n")).toEqual(
        [
          ".git-seal/.gitattributes",
          `.git-seal/keys/default/${aliceId.memberId}`,
          `.git-seal/keys/default/${carolId.memberId}`,
          `.git-seal/members/${aliceId.memberId}.pub`,
          `.git-seal/members/${carolId.memberId}.pub`,
        ].sort(),
      );
      expect(git(work, "rev-parse", "HEAD:db.secret")).toBe(secretBlob);
      git(work, "push", "-q", "origin", "main");

      // Carol never had GPG: she unlocks with her identity, with no gpg on PATH at all.
      const carol = clone(hub, "migrate-carol");
      const bin = mkdtempSync(join(box.root, "bin-"));
      symlinkSync(
        execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim(),
        join(bin, "git"),
      );
      expect(spawnSync("sh", ["-c", "command -v gpg"], { env: { PATH: bin } }).status).not.toBe(0);
      const unlocked = seal(carol, ["unlock", "--identity", carolId.path], { PATH: bin });
      expect(unlocked.stderr).toBe("");
      expect(unlocked.stdout).toContain('Unlocked git-crypt key "default"');
      expect(readFileSync(join(carol, "db.secret"), "utf8")).toBe("PASSWORD=gpg-shared\n");
      // Both GPG users still unlock with the real git-crypt.
      expect(gitCryptUnlock(hub, "migrate-bob-1", bob.home)).toBe("PASSWORD=gpg-shared\n");
      expect(gitCryptUnlock(hub, "migrate-alice-1", alice.home)).toBe("PASSWORD=gpg-shared\n");

      // Carol (a member, unlocked without gpg) removes Bob's GPG entry; recorded members are kept.
      const removal = await migrateFromGpg({ dir: carol, removeGpg: [bob.fingerprint.slice(-16)] });
      expect(removal.removedGpgUsers).toEqual([
        { keyName: "default", fingerprint: bob.fingerprint },
      ]);
      expect(removal.remainingGpgUsers).toEqual([
        { keyName: "default", fingerprint: alice.fingerprint },
      ]);
      expect(removal.notice).toContain("revokes nothing");
      git(carol, "push", "-q", "origin", "main");
      expect(gitCryptUnlock(hub, "migrate-bob-2", bob.home)).toBeUndefined();
      expect(gitCryptUnlock(hub, "migrate-alice-2", alice.home)).toBe("PASSWORD=gpg-shared\n");

      // A newcomer joins as a member of the git-crypt key; removing a member of a key that
      // cannot be rotated is refused before anything changes.
      const daveId = await keygen({ output: join(box.root, "ids", "dave"), label: "dave" });
      await addUser({ dir: carol, publicKey: daveId.publicKey });
      const beforeRemoval = git(carol, "rev-parse", "HEAD");
      await expect(removeUser({ dir: carol, member: "dave" })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
      expect(git(carol, "rev-parse", "HEAD")).toBe(beforeRemoval);
      expect(git(carol, "status", "--porcelain")).toBe("");

      // The CLI: every GPG entry goes, and .git-crypt/ with the last one.
      const cli = seal(carol, ["migrate", "--from-gpg", "--remove-gpg"], { PATH: bin });
      expect(cli.stderr).toBe("");
      expect(cli.stdout).toContain(`Removed GPG user ${alice.fingerprint} of key "default"`);
      expect(git(carol, "ls-files", ".git-crypt")).toBe("");
      expect(git(carol, "rev-parse", "HEAD:db.secret")).toBe(secretBlob);
      git(carol, "push", "-q", "origin", "main");
      expect(gitCryptUnlock(hub, "migrate-alice-3", alice.home)).toBeUndefined();
      const late = clone(hub, "migrate-alice-4");
      await unlock({ dir: late, identity: aliceId.path, command: CLI_COMMAND });
      expect(readFileSync(join(late, "db.secret"), "utf8")).toBe("PASSWORD=gpg-shared\n");
      const newcomer = clone(hub, "migrate-dave");
      await unlock({ dir: newcomer, identity: daveId.path, command: CLI_COMMAND });
      expect(readFileSync(join(newcomer, "db.secret"), "utf8")).toBe("PASSWORD=gpg-shared\n");
    });

    it("no access, not a git-crypt repository, an unknown member or GPG user, a wrong key: typed errors, nothing changed", async () => {
      const alice = gnupgHome("alice2");
      const mallory = gnupgHome("mallory2");
      const hub = gpgSharedHub("migrate-fail", [alice]);
      const member = await keygen({ output: join(box.root, "ids", "erin"), label: "erin" });

      // Not a git-crypt repository (no GPG-shared key).
      const plain = newRepo(box.root, "migrate-plain");
      writeFileSync(join(plain, "a.txt"), "a\n");
      git(plain, "add", ".");
      git(plain, "commit", "-q", "-m", "a");
      const before = state(plain);
      await expect(
        migrateFromGpg({ dir: plain, members: [member.publicKey], gpg: { gpgHome: alice.home } }),
      ).rejects.toMatchObject({ name: "GitSecretsError", code: "KEY_NOT_FOUND" });
      expect(state(plain)).toEqual(before);
      await expect(
        migrateFromGpg({ dir: join(box.root, "ids"), members: [member.publicKey] }),
      ).rejects.toMatchObject({ code: "NOT_A_REPOSITORY" });

      // No access: locked, and gpg has no key that opens it.
      const locked = clone(hub, "migrate-locked");
      const lockedBefore = state(locked);
      await expect(
        migrateFromGpg({ dir: locked, members: [member.publicKey] }),
      ).rejects.toMatchObject({ code: "KEY_NOT_FOUND" });
      await expect(
        migrateFromGpg({
          dir: locked,
          members: [member.publicKey],
          gpg: { gpgHome: mallory.home },
        }),
      ).rejects.toMatchObject({ code: "MEMBER_NOT_FOUND" });
      expect(state(locked)).toEqual(lockedBefore);
      expect(existsSync(lockedBefore.keys)).toBe(false);
      const cli = seal(locked, [
        "migrate",
        "--from-gpg",
        "--member",
        member.publicKey,
        "--gpg",
        "--gpg-home",
        mallory.home,
      ]);
      expect(cli.code).not.toBe(0);
      expect(cli.stderr).toContain("[MEMBER_NOT_FOUND]");
      expect(state(locked)).toEqual(lockedBefore);

      // Someone who can unlock, naming a member nobody recorded, or a GPG user who is not there.
      const work = clone(hub, "migrate-unknown");
      await unlock({ dir: work, gpg: { gpgHome: alice.home }, command: CLI_COMMAND });
      const workBefore = state(work);
      await expect(migrateFromGpg({ dir: work, members: ["frank"] })).rejects.toMatchObject({
        code: "MEMBER_NOT_FOUND",
      });
      await expect(migrateFromGpg({ dir: work })).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
      });
      await expect(
        migrateFromGpg({
          dir: work,
          members: [member.publicKey],
          removeGpg: [mallory.fingerprint],
        }),
      ).rejects.toMatchObject({ code: "MEMBER_NOT_FOUND" });
      await expect(
        migrateFromGpg({ dir: work, members: ["git-seal-x25519 AAAA frank"] }),
      ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
      await expect(
        migrateFromGpg({ dir: work, members: [member.publicKey], keyName: "prod" }),
      ).rejects.toMatchObject({ code: "KEY_NOT_FOUND" });
      const noFlag = seal(work, ["migrate", "--member", member.publicKey]);
      expect(noFlag.code).not.toBe(0);
      expect(noFlag.stderr).toContain("migrate needs --from-gpg");
      expect(noFlag.stderr).toContain("[INVALID_ARGUMENT]");
      expect(state(work)).toEqual(workBefore);
      // The commit itself fails (a pre-commit hook refuses): every file written is taken back.
      const hook = join(work, ".git", "hooks", "pre-commit");
      writeFileSync(hook, "#!/bin/sh\nexit 1\n", { mode: 0o755 });
      await expect(
        migrateFromGpg({ dir: work, members: [member.publicKey], removeGpg: true }),
      ).rejects.toMatchObject({ code: "GIT_FAILED" });
      expect(state(work)).toEqual(workBefore);
      expect(git(work, "ls-files", ".git-crypt").trim()).toBe(
        `.git-crypt/.gitattributes\n.git-crypt/keys/default/0/${alice.fingerprint}.gpg`,
      );
      expect(
        existsSync(join(work, ".git-crypt", "keys", "default", "0", `${alice.fingerprint}.gpg`)),
      ).toBe(true);

      // A stored git-crypt key that is not the one the GPG users share: refused before writing.
      const other = newRepo(box.root, "migrate-other-key");
      await init({ dir: other, format: "git-crypt", command: CLI_COMMAND });
      const wrongKey = await exportKey({ dir: other });
      const wrong = clone(hub, "migrate-wrong-key");
      await importKey({ dir: wrong, key: wrongKey });
      const wrongBefore = state(wrong);
      await expect(
        migrateFromGpg({ dir: wrong, members: [member.publicKey] }),
      ).rejects.toMatchObject({ code: "WRONG_KEY", path: "db.secret" });
      expect(state(wrong)).toEqual(wrongBefore);
    });
  },
);
