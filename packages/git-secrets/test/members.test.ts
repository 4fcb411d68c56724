import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addUser,
  GitSecretsError,
  init,
  keygen,
  listMembers,
  loadIdentity,
  loadPublicKey,
  loadSodium,
  readFile,
  removeUser,
  rotate,
  unlock,
} from "../src/index.js";
import { CLI_COMMAND, git, newRepo, requireTool, sandbox, seal } from "./helpers.js";

const hasSshKeygen = requireTool("ssh-keygen");
let box: Awaited<ReturnType<typeof sandbox>>;
let counter = 0;
beforeAll(async () => {
  box = await sandbox();
});
afterAll(() => box.cleanup());

const FAST = { opsLimit: 1, memLimit: 8192 };

async function expectCode(promise: Promise<unknown>, code: string): Promise<GitSecretsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GitSecretsError);
  expect((error as GitSecretsError).code).toBe(code);
  return error as GitSecretsError;
}

async function person(name: string) {
  const path = join(box.root, `${name}-${++counter}`, "identity");
  const made = await keygen({ output: path, label: `${name}@example` });
  return { ...made, name };
}

async function teamRepo() {
  const dir = newRepo(box.root, `team-${++counter}`);
  await init({ dir, command: CLI_COMMAND });
  writeFileSync(join(dir, ".gitattributes"), "*.env filter=git-seal diff=git-seal\n");
  writeFileSync(join(dir, "prod.env"), "DB_PASSWORD=prod-secret-1\n");
  git(dir, "add", ".");
  git(dir, "commit", "-q", "-m", "configs");
  return dir;
}

function clone(dir: string): string {
  const target = join(box.root, `member-clone-${++counter}`);
  git(box.root, "clone", "-q", dir, target);
  return target;
}

function blobKeyId(dir: string, spec: string): string {
  return execFileSync("git", ["cat-file", "blob", spec], { cwd: dir })
    .subarray(9, 17)
    .toString("hex");
}

describe("members: keys of their own instead of a shared key file", {
  timeout: 180_000,
  tags: ["slow"],
}, () => {
  it("keygen writes an X25519 identity 0600 (optionally passphrase-protected) and its public key line", async () => {
    const path = join(box.root, `kg-${++counter}`, "identity");
    const made = await keygen({ output: path, label: "alice@laptop" });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(made.publicKey).toMatch(/^git-seal-x25519 [A-Za-z0-9+/]{43}= alice@laptop$/);
    expect(readFileSync(`${path}.pub`, "utf8")).toBe(`${made.publicKey}\n`);
    const identity = await loadIdentity({ identity: path });
    expect(identity.memberId).toBe(made.memberId);
    // The secret key gives the public key (X25519 base-point multiplication, by libsodium).
    const sodium = await loadSodium();
    expect(Buffer.from(sodium.crypto_scalarmult_base(identity.secretKey))).toEqual(
      Buffer.from(identity.publicKey),
    );
    await expectCode(keygen({ output: path }), "ALREADY_INITIALIZED");
    const guarded = join(box.root, `kg-${++counter}`, "identity");
    await keygen({ output: guarded, passphrase: "twelve chars!", ...FAST });
    await expectCode(loadIdentity({ identity: guarded }), "PASSPHRASE_REQUIRED");
    await expectCode(
      loadIdentity({ identity: guarded, identityPassphrase: "wrong passphrase" }),
      "WRONG_PASSPHRASE",
    );
    expect(
      (await loadIdentity({ identity: guarded, identityPassphrase: "twelve chars!" })).kind,
    ).toBe("git-seal-x25519");
    await expectCode(loadPublicKey("ssh-rsa AAAAB3NzaC1yc2E user"), "INVALID_ARGUMENT");
    await expectCode(loadPublicKey("git-seal-x25519 AAAA"), "INVALID_ARGUMENT");
  });

  it("add-user seals the repository key for a member, who unlocks a clone with their private key", async () => {
    const dir = await teamRepo();
    const bob = await person("bob");
    const added = await addUser({ dir, publicKey: bob.publicKeyPath });
    expect(added.files).toEqual([
      `.git-seal/keys/default/${bob.memberId}`,
      `.git-seal/members/${bob.memberId}.pub`,
      ".git-seal/.gitattributes",
    ]);
    expect(git(dir, "log", "-1", "--format=%s").trim()).toBe("git-seal: add member bob@example");
    expect(git(dir, "status", "--porcelain")).toBe("");
    // The committed sealed key is stored as is (never filtered) and holds no key material in clear.
    const sealed = execFileSync(
      "git",
      ["cat-file", "blob", `HEAD:.git-seal/keys/default/${bob.memberId}`],
      {
        cwd: dir,
      },
    );
    const keyFile = readFileSync(join(dir, ".git", "git-seal", "keys", "default"));
    expect(sealed.includes(keyFile.subarray(12 + 1 + 5 + 12, 12 + 1 + 5 + 44))).toBe(false);
    expect(sealed.length).toBe(keyFile.length + 48); // crypto_box_seal: 32-byte ephemeral key + 16-byte tag
    expect(await listMembers({ dir })).toEqual([
      {
        memberId: bob.memberId,
        label: "bob@example",
        kind: "git-seal-x25519",
        keyNames: ["default"],
      },
    ]);

    const bobsClone = clone(dir);
    const result = await unlock({ dir: bobsClone, identity: bob.path, command: CLI_COMMAND });
    expect(result.files).toEqual(["prod.env"]);
    expect(readFileSync(join(bobsClone, "prod.env"), "utf8")).toBe("DB_PASSWORD=prod-secret-1\n");

    // The CLI finds the identity in its default place (XDG_CONFIG_HOME/git-seal/identity).
    const viaCli = clone(dir);
    const env = { XDG_CONFIG_HOME: join(bob.path, "..", "..", `xdg-${counter}`) };
    const made = seal(box.root, ["keygen", "--label", "bob@cli"], env);
    expect(made.code).toBe(0);
    const line = made.stdout
      .split("\n")
      .find((l) => l.startsWith("  git-seal-x25519"))
      ?.trim();
    expect(line).toMatch(/^git-seal-x25519 /);
    expect(seal(dir, ["add-user", line as string]).code).toBe(0);
    git(viaCli, "pull", "-q");
    const unlocked = seal(viaCli, ["unlock"], env);
    expect(unlocked.stderr).toBe("");
    expect(unlocked.stdout).toContain('Unlocked git-seal key "default"');
    expect(readFileSync(join(viaCli, "prod.env"), "utf8")).toBe("DB_PASSWORD=prod-secret-1\n");
  });

  it("refuses an unknown member and a damaged sealed key, changing nothing", async () => {
    const dir = await teamRepo();
    const bob = await person("bob");
    const carol = await person("carol");
    await addUser({ dir, publicKey: bob.publicKey });
    const carolsClone = clone(dir);
    const unknown = await expectCode(
      unlock({ dir: carolsClone, identity: carol.path, command: CLI_COMMAND }),
      "MEMBER_NOT_FOUND",
    );
    expect(unknown.message).toContain(carol.memberId);
    expect(existsSync(join(carolsClone, ".git", "git-seal"))).toBe(false);
    const bobsClone = clone(dir);
    const file = join(bobsClone, ".git-seal", "keys", "default", bob.memberId);
    const damaged = readFileSync(file);
    damaged[40] = (damaged[40] as number) ^ 1;
    writeFileSync(file, damaged);
    await expectCode(
      unlock({ dir: bobsClone, identity: bob.path, command: CLI_COMMAND }),
      "CORRUPT_KEY_FILE",
    );
    expect(existsSync(join(bobsClone, ".git", "git-seal"))).toBe(false);
    await expectCode(removeUser({ dir, member: "nobody" }), "MEMBER_NOT_FOUND");
  });

  it("remove-user rotates: the removed member's key opens only the old history, the others read everything", async () => {
    const dir = await teamRepo();
    const bob = await person("bob");
    const carol = await person("carol");
    await addUser({ dir, publicKey: bob.publicKey });
    await addUser({ dir, publicKey: carol.publicKey });
    const bobsClone = clone(dir);
    await unlock({ dir: bobsClone, identity: bob.path, command: CLI_COMMAND });
    const before = git(dir, "rev-parse", "HEAD").trim();
    const oldKeyId = blobKeyId(dir, "HEAD:prod.env");

    const removed = await removeUser({ dir, member: "bob@example" });
    expect(removed.notice).toContain("They keep everything they could already read");
    expect(removed.rotations).toHaveLength(1);
    const rotation = removed.rotations[0];
    expect(rotation?.generation).toBe(1);
    expect(rotation?.members).toEqual([carol.memberId]);
    expect(rotation?.files).toEqual(["prod.env"]);
    expect(rotation?.keyIds).toHaveLength(2);
    expect(rotation?.keyIds[1]).toBe(oldKeyId);
    const newKeyId = blobKeyId(dir, "HEAD:prod.env");
    expect(newKeyId).toBe(rotation?.keyId);
    expect(newKeyId).not.toBe(oldKeyId);
    expect(git(dir, "status", "--porcelain")).toBe("");
    expect(existsSync(join(dir, ".git-seal", "keys", "default", bob.memberId))).toBe(false);

    // Carol: a fresh clone after the removal reads the new and the old commits.
    const carolsClone = clone(dir);
    await unlock({ dir: carolsClone, identity: carol.path, command: CLI_COMMAND });
    expect(readFileSync(join(carolsClone, "prod.env"), "utf8")).toBe("DB_PASSWORD=prod-secret-1\n");
    expect(
      Buffer.from(await readFile({ dir: carolsClone, ref: before, path: "prod.env" })).toString(),
    ).toBe("DB_PASSWORD=prod-secret-1\n");
    // Bob: his old key still opens what he had, not what comes after; no new key is sealed for him.
    git(bobsClone, "fetch", "-q");
    expect(
      Buffer.from(await readFile({ dir: bobsClone, ref: before, path: "prod.env" })).toString(),
    ).toBe("DB_PASSWORD=prod-secret-1\n");
    const locked = await expectCode(
      readFile({ dir: bobsClone, ref: "origin/main", path: "prod.env" }),
      "WRONG_KEY",
    );
    expect(locked.foundKeyId).toBe(newKeyId);
    await expectCode(
      unlock({ dir: clone(dir), identity: bob.path, command: CLI_COMMAND }),
      "MEMBER_NOT_FOUND",
    );
  });

  it("an interrupted rotation is finished by running rotate again, with the same epoch", async () => {
    const dir = await teamRepo();
    const bob = await person("bob");
    await addUser({ dir, publicKey: bob.publicKey });
    writeFileSync(join(dir, "dev.env"), "DB_PASSWORD=dev\n");
    writeFileSync(join(dir, "notes.txt"), "edited\n");
    git(dir, "add", "dev.env");
    // Uncommitted changes: refused.
    await expectCode(rotate({ dir }), "UNCOMMITTED_CHANGES");
    git(dir, "commit", "-q", "-m", "dev");
    const controller = new AbortController();
    await expectCode(
      rotate({
        dir,
        signal: controller.signal,
        onProgress: (event) => {
          if (event.phase === "key") controller.abort();
        },
      }),
      "ABORTED",
    );
    expect(existsSync(join(dir, ".git", "git-seal", "rotating", "default"))).toBe(true);
    // Halfway: the stored key already has the new epoch, the files are still under the old one,
    // and both open (nothing is undecryptable).
    const finished = await rotate({ dir });
    expect(finished.resumed).toBe(true);
    expect(finished.generation).toBe(1);
    expect(finished.files.sort()).toEqual(["dev.env", "prod.env"]);
    expect(blobKeyId(dir, "HEAD:dev.env")).toBe(finished.keyId);
    expect(existsSync(join(dir, ".git", "git-seal", "rotating", "default"))).toBe(false);
    const again = await rotate({ dir });
    expect([again.resumed, again.generation]).toEqual([false, 2]);
    const bobsClone = clone(dir);
    await unlock({ dir: bobsClone, identity: bob.path, command: CLI_COMMAND });
    expect(readFileSync(join(bobsClone, "dev.env"), "utf8")).toBe("DB_PASSWORD=dev\n");
    const epochZero = git(bobsClone, "rev-parse", "HEAD~2").trim(); // before both rotations
    expect(blobKeyId(bobsClone, `${epochZero}:prod.env`)).not.toBe(finished.keyId);
    expect(
      Buffer.from(await readFile({ dir: bobsClone, ref: epochZero, path: "prod.env" })).toString(),
    ).toBe("DB_PASSWORD=prod-secret-1\n");
    const crypt = newRepo(box.root, `rot-crypt-${++counter}`);
    await init({ dir: crypt, format: "git-crypt", command: CLI_COMMAND });
    await expectCode(rotate({ dir: crypt }), "INVALID_ARGUMENT");
  });

  it.skipIf(!hasSshKeygen)(
    "accepts an SSH ed25519 key pair: the public key for add-user, the private key to unlock",
    { tags: ["peer"] },
    async () => {
      const dir = await teamRepo();
      const keyPath = join(box.root, `id_ed25519-${++counter}`);
      execFileSync("ssh-keygen", [
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        "dana@ssh",
        "-f",
        keyPath,
      ]);
      const pub = readFileSync(`${keyPath}.pub`, "utf8");
      const added = await addUser({ dir, publicKey: pub });
      expect(added.label).toBe("dana@ssh");
      const identity = await loadIdentity({ identity: keyPath });
      expect(identity).toMatchObject({
        memberId: added.memberId,
        kind: "ssh-ed25519",
        label: "dana@ssh",
      });
      const sodium = await loadSodium();
      expect(Buffer.from(sodium.crypto_scalarmult_base(identity.secretKey))).toEqual(
        Buffer.from(identity.publicKey),
      );
      const danasClone = clone(dir);
      await unlock({ dir: danasClone, identity: keyPath, command: CLI_COMMAND });
      expect(readFileSync(join(danasClone, "prod.env"), "utf8")).toBe(
        "DB_PASSWORD=prod-secret-1\n",
      );
      // A passphrase-protected SSH key is refused with the way out.
      const locked = join(box.root, `id_locked-${counter}`);
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "a passphrase", "-f", locked]);
      const error = await expectCode(loadIdentity({ identity: locked }), "INVALID_ARGUMENT");
      expect(error.message).toContain("passphrase-protected");
    },
  );
});
