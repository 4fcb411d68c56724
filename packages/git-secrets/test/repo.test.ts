import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  exportKey,
  GitSecretsError,
  importKey,
  init,
  listEncrypted,
  lock,
  ls,
  parseGitVersion,
  readFile,
  status,
  unlock,
} from "../src/index.js";
import {
  allObjects,
  CLI_ARGS,
  CLI_COMMAND,
  git,
  gitResult,
  newRepo,
  sandbox,
  seal,
} from "./helpers.js";

let box: Awaited<ReturnType<typeof sandbox>>;
let counter = 0;

beforeAll(async () => {
  box = await sandbox();
});
afterAll(() => box.cleanup());

async function expectCode(promise: Promise<unknown>, code: string): Promise<GitSecretsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GitSecretsError);
  expect((error as GitSecretsError).code).toBe(code);
  return error as GitSecretsError;
}

function write(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** A repository with a git-seal key, `*.env` encrypted, and one commit. */
async function sealedRepo(files: Record<string, string> = {}) {
  const dir = newRepo(box.root, `repo-${++counter}`);
  const result = await init({ dir, command: CLI_COMMAND });
  write(dir, {
    ".gitattributes": "*.env filter=git-seal diff=git-seal\n",
    "db.env": "PASSWORD=hunter2-db\n",
    "README.md": "public readme text\n",
    ...files,
  });
  git(dir, "add", ".");
  git(dir, "commit", "-q", "-m", "first");
  return { dir, result };
}

describe("init and the git filter", { timeout: 120_000, tags: ["slow"] }, () => {
  it("stores ciphertext in git, plaintext in the work tree, and leaves unmatched files alone", async () => {
    const { dir, result } = await sealedRepo({ "nested/api.env": "API_TOKEN=tok-nested-123\n" });
    expect(result.attributes).toBe("filter=git-seal diff=git-seal");
    expect(result.exampleLine).toBe("*.secret filter=git-seal diff=git-seal");
    expect(statSync(result.keyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, "db.env"), "utf8")).toBe("PASSWORD=hunter2-db\n");
    const blob = execFileSync("git", ["cat-file", "blob", "HEAD:db.env"], { cwd: dir });
    expect(blob.subarray(0, 8).toString("latin1")).toBe("\0GITSEAL");
    expect(blob.subarray(9, 17).toString("hex")).toBe(result.keyIds[0]);
    expect(git(dir, "cat-file", "blob", "HEAD:README.md")).toBe("public readme text\n");
    // git never filters symbolic links, so git-seal does not list or touch them.
    symlinkSync("db.env", join(dir, "link.env"));
    git(dir, "add", "link.env");
    git(dir, "commit", "-q", "-m", "link");
    expect((await ls({ dir })).map((e) => e.path)).toEqual(["db.env", "nested/api.env"]);
    expect((await status({ dir, command: CLI_COMMAND })).problems).toEqual([]);
    expect(git(dir, "status", "--porcelain")).toBe("");
    const objects = allObjects(dir);
    expect(objects.includes("hunter2-db")).toBe(false);
    expect(objects.includes("tok-nested-123")).toBe(false);
    expect(objects.includes("public readme text")).toBe(true);
  });

  it("runs one filter process for all files of a git command", async () => {
    const { dir } = await sealedRepo();
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`many/f${i}.env`] = `SECRET_${i}=value-${i}\n`;
    write(dir, files);
    const trace = join(box.root, `trace-${counter}.txt`);
    execFileSync("git", ["add", "many"], { cwd: dir, env: { ...process.env, GIT_TRACE: trace } });
    const starts = readFileSync(trace, "utf8")
      .split("\n")
      .filter((line) => line.includes("run_command") && line.includes("filter-process"));
    expect(starts).toHaveLength(1);
    git(dir, "commit", "-q", "-m", "many");
    expect(allObjects(dir).includes("value-17")).toBe(false);
  });

  it("shows plaintext in diff and log -p through textconv, with no phantom changes", async () => {
    const { dir } = await sealedRepo();
    write(dir, { "db.env": "PASSWORD=hunter2-db\nUSER=admin-user\n" });
    expect(git(dir, "diff")).toContain("+USER=admin-user");
    git(dir, "commit", "-q", "-am", "add user");
    expect(git(dir, "log", "-p", "-1")).toContain("+USER=admin-user");
    // Re-cleaning unchanged content gives the same blob: touching the file changes nothing.
    writeFileSync(join(dir, "db.env"), readFileSync(join(dir, "db.env")));
    expect(git(dir, "status", "--porcelain")).toBe("");
    expect(allObjects(dir).includes("admin-user")).toBe(false);
  });

  it("works with stash and rebase", async () => {
    const { dir } = await sealedRepo();
    write(dir, { "db.env": "PASSWORD=stashed-change\n" });
    git(dir, "stash", "-q");
    expect(readFileSync(join(dir, "db.env"), "utf8")).toBe("PASSWORD=hunter2-db\n");
    git(dir, "stash", "pop", "-q");
    expect(readFileSync(join(dir, "db.env"), "utf8")).toBe("PASSWORD=stashed-change\n");
    git(dir, "checkout", "-q", "--", "db.env");

    git(dir, "checkout", "-q", "-b", "feature");
    write(dir, { "db.env": "PASSWORD=feature-branch\n" });
    git(dir, "commit", "-q", "-am", "feature");
    git(dir, "checkout", "-q", "main");
    write(dir, { "README.md": "changed on main\n" });
    git(dir, "commit", "-q", "-am", "main");
    git(dir, "checkout", "-q", "feature");
    git(dir, "rebase", "-q", "main");
    expect(readFileSync(join(dir, "db.env"), "utf8")).toBe("PASSWORD=feature-branch\n");
    expect(readFileSync(join(dir, "README.md"), "utf8")).toBe("changed on main\n");
    expect(git(dir, "status", "--porcelain")).toBe("");
    const objects = allObjects(dir);
    expect(objects.includes("stashed-change")).toBe(false);
    expect(objects.includes("feature-branch")).toBe(false);
  });

  it("merges encrypted files as plaintext with merge=git-seal, conflicts included", async () => {
    const { dir } = await sealedRepo({
      ".gitattributes": "*.env filter=git-seal diff=git-seal merge=git-seal\n",
      "db.env": "HOST=db\nUSER=app\nPASSWORD=base-pw\nPORT=5432\n",
    });
    git(dir, "checkout", "-q", "-b", "left");
    write(dir, { "db.env": "HOST=db-left\nUSER=app\nPASSWORD=base-pw\nPORT=5432\n" });
    git(dir, "commit", "-q", "-am", "left");
    git(dir, "checkout", "-q", "-b", "right", "main");
    write(dir, { "db.env": "HOST=db\nUSER=app\nPASSWORD=base-pw\nPORT=6543\n" });
    git(dir, "commit", "-q", "-am", "right");
    git(dir, "merge", "-q", "--no-edit", "left");
    expect(readFileSync(join(dir, "db.env"), "utf8")).toBe(
      "HOST=db-left\nUSER=app\nPASSWORD=base-pw\nPORT=6543\n",
    );
    const merged = execFileSync("git", ["cat-file", "blob", "HEAD:db.env"], { cwd: dir });
    expect(merged.subarray(0, 8).toString("latin1")).toBe("\0GITSEAL");

    // Both sides change the password: a conflict with plaintext markers in the work tree only.
    git(dir, "checkout", "-q", "-b", "pw-a", "main");
    write(dir, { "db.env": "HOST=db\nUSER=app\nPASSWORD=conflict-a\nPORT=5432\n" });
    git(dir, "commit", "-q", "-am", "a");
    git(dir, "checkout", "-q", "-b", "pw-b", "main");
    write(dir, { "db.env": "HOST=db\nUSER=app\nPASSWORD=conflict-b\nPORT=5432\n" });
    git(dir, "commit", "-q", "-am", "b");
    const r = gitResult(dir, ["merge", "--no-edit", "pw-a"]);
    expect(r.code).not.toBe(0);
    const conflicted = readFileSync(join(dir, "db.env"), "utf8");
    expect(conflicted).toContain("<<<<<<< db.env (ours)");
    expect(conflicted).toContain("PASSWORD=conflict-b\n=======\nPASSWORD=conflict-a");
    const objects = allObjects(dir);
    for (const secret of ["conflict-a", "conflict-b", "base-pw", "db-left"]) {
      expect(objects.includes(secret)).toBe(false);
    }
  });

  it("refuses a second init of the same key name and a git too old for the filter protocol", async () => {
    const { dir } = await sealedRepo();
    await expectCode(init({ dir, command: CLI_COMMAND }), "ALREADY_INITIALIZED");
    const fake = join(box.root, "old-git");
    writeFileSync(
      fake,
      `#!/bin/sh\nif [ "$1" = version ]; then echo "git version 2.10.5"; exit 0; fi\nexec git "$@"\n`,
    );
    chmodSync(fake, 0o755);
    const error = await expectCode(
      init({ dir, keyName: "other", command: CLI_COMMAND, git: fake }),
      "GIT_TOO_OLD",
    );
    expect(error.message).toContain("2.10.5");
    expect(parseGitVersion("git version 2.39.5")).toEqual([2, 39, 5]);
    expect(parseGitVersion("git version 2.45.1.windows.1")).toEqual([2, 45, 1]);
    expect(() => parseGitVersion("nonsense")).toThrow(GitSecretsError);
  });

  it("reports a directory outside any repository", async () => {
    const plain = join(box.root, "not-a-repo");
    mkdirSync(plain, { recursive: true });
    await expectCode(
      status({ dir: plain, command: CLI_COMMAND, env: { GIT_CEILING_DIRECTORIES: box.root } }),
      "NOT_A_REPOSITORY",
    );
    await expectCode(
      init({ dir: plain, command: CLI_COMMAND, env: { GIT_CEILING_DIRECTORIES: box.root } }),
      "NOT_A_REPOSITORY",
    );
  });

  it("rejects an invalid format or key name", async () => {
    const dir = newRepo(box.root, `repo-${++counter}`);
    await expectCode(init({ dir, command: CLI_COMMAND, keyName: "a/b" }), "INVALID_ARGUMENT");
    await expectCode(
      init({ dir, command: CLI_COMMAND, format: "pgp" as never }),
      "INVALID_ARGUMENT",
    );
  });

  it("fails git add with the reason when the key is missing but the filter is configured", async () => {
    const { dir, result } = await sealedRepo();
    execFileSync("rm", [result.keyPath]);
    write(dir, { "new.env": "X=never-stored\n" });
    const r = gitResult(dir, ["add", "new.env"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("no git-seal key");
    expect(allObjects(dir).includes("never-stored")).toBe(false);
  });
});

describe("lock, unlock, clone", { timeout: 120_000, tags: ["slow"] }, () => {
  it("clone shows ciphertext; unlock with the exported key decrypts; lock returns to ciphertext", async () => {
    const { dir, result } = await sealedRepo();
    const keyFile = join(box.root, `exported-${counter}.key`);
    const exported = await exportKey({ dir, output: keyFile });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(Buffer.from(exported).subarray(0, 11).toString("latin1")).toBe("\0GITSEALKEY");

    const clone = join(box.root, `clone-${counter}`);
    git(box.root, "clone", "-q", dir, clone);
    expect(readFileSync(join(clone, "db.env")).subarray(0, 8).toString("latin1")).toBe("\0GITSEAL");
    expect(readFileSync(join(clone, "README.md"), "utf8")).toBe("public readme text\n");

    const events: string[] = [];
    const unlocked = await unlock({
      dir: clone,
      keyFile,
      command: CLI_COMMAND,
      onProgress: (e) => events.push(`${e.phase} ${e.done}/${e.total}`),
    });
    expect(events).toEqual([
      "scan 0/0",
      "scan 1/1",
      "verify 0/1",
      "verify 1/1",
      "checkout 0/1",
      "checkout 1/1",
    ]);
    expect(unlocked.files).toEqual(["db.env"]);
    expect(unlocked.keys[0]?.keyIds).toEqual(result.keyIds);
    expect(readFileSync(join(clone, "db.env"), "utf8")).toBe("PASSWORD=hunter2-db\n");
    expect(git(clone, "status", "--porcelain")).toBe("");
    expect(statSync(join(clone, ".git", "git-seal", "keys", "default")).mode & 0o777).toBe(0o600);

    write(clone, { "db.env": "PASSWORD=uncommitted\n" });
    const refused = await expectCode(lock({ dir: clone }), "UNCOMMITTED_CHANGES");
    expect(refused.paths).toEqual(["db.env"]);
    expect(readFileSync(join(clone, "db.env"), "utf8")).toBe("PASSWORD=uncommitted\n");
    git(clone, "checkout", "-q", "--", "db.env");

    const locked = await lock({ dir: clone });
    expect(locked.files).toEqual(["db.env"]);
    expect(readFileSync(join(clone, "db.env")).subarray(0, 8).toString("latin1")).toBe("\0GITSEAL");
    expect(git(clone, "status", "--porcelain")).toBe("");
    expect(gitResult(clone, ["config", "--get", "filter.git-seal.process"]).code).not.toBe(0);
    expect(existsSync(join(clone, ".git", "git-seal", "keys", "default"))).toBe(false);
    await expectCode(lock({ dir: clone }), "KEY_NOT_FOUND");
    await expectCode(exportKey({ dir: clone }), "KEY_NOT_FOUND");
    await expectCode(unlock({ dir: clone, command: CLI_COMMAND }), "KEY_NOT_FOUND");
  });

  it("lock --force discards uncommitted changes; unlock refuses to overwrite changes unless forced", async () => {
    const { dir } = await sealedRepo();
    const keyFile = join(box.root, `k-${counter}`);
    await exportKey({ dir, output: keyFile });
    write(dir, { "db.env": "PASSWORD=lost\n" });
    await lock({ dir, force: true });
    expect(readFileSync(join(dir, "db.env")).subarray(0, 8).toString("latin1")).toBe("\0GITSEAL");
    writeFileSync(join(dir, "db.env"), "edited while locked\n");
    await expectCode(unlock({ dir, keyFile, command: CLI_COMMAND }), "UNCOMMITTED_CHANGES");
    await unlock({ dir, keyFile, command: CLI_COMMAND, force: true });
    expect(readFileSync(join(dir, "db.env"), "utf8")).toBe("PASSWORD=hunter2-db\n");
  });

  it("refuses another repository's key, naming both key ids, and writes nothing", async () => {
    const a = await sealedRepo();
    const b = await sealedRepo();
    const keyFile = join(box.root, `other-${counter}.key`);
    await exportKey({ dir: b.dir, output: keyFile });
    const clone = join(box.root, `clone-wrong-${counter}`);
    git(box.root, "clone", "-q", a.dir, clone);
    const error = await expectCode(
      unlock({ dir: clone, keyFile, command: CLI_COMMAND }),
      "WRONG_KEY",
    );
    expect(error.message).toContain(a.result.keyIds[0] as string);
    expect(error.message).toContain(b.result.keyIds[0] as string);
    expect(existsSync(join(clone, ".git", "git-seal", "keys", "default"))).toBe(false);
    expect(gitResult(clone, ["config", "--get", "filter.git-seal.process"]).code).not.toBe(0);
  });

  it("exports with a passphrase (Argon2id) and unlocks with it", async () => {
    const { dir } = await sealedRepo();
    const keyFile = join(box.root, `pass-${counter}.key`);
    await exportKey({
      dir,
      output: keyFile,
      passphrase: "open sesame please",
      opsLimit: 1,
      memLimit: 8192,
    });
    expect(readFileSync(keyFile).subarray(0, 12).toString("latin1")).toBe("\0GITSEALPASS");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const clone = join(box.root, `clone-pass-${counter}`);
    git(box.root, "clone", "-q", dir, clone);
    await expectCode(unlock({ dir: clone, keyFile, command: CLI_COMMAND }), "PASSPHRASE_REQUIRED");
    await expectCode(
      unlock({ dir: clone, keyFile, command: CLI_COMMAND, passphrase: "wrong" }),
      "WRONG_PASSPHRASE",
    );
    await unlock({ dir: clone, keyFile, command: CLI_COMMAND, passphrase: "open sesame please" });
    expect(readFileSync(join(clone, "db.env"), "utf8")).toBe("PASSWORD=hunter2-db\n");
  });

  it("import-key stores a key without touching the work tree; unlock then uses the stored key", async () => {
    const { dir } = await sealedRepo();
    const keyFile = join(box.root, `imp-${counter}.key`);
    await exportKey({ dir, output: keyFile });
    const clone = join(box.root, `clone-imp-${counter}`);
    git(box.root, "clone", "-q", dir, clone);
    const info = await importKey({ dir: clone, keyFile });
    expect(statSync(info.keyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(clone, "db.env")).subarray(0, 8).toString("latin1")).toBe("\0GITSEAL");
    await unlock({ dir: clone, command: CLI_COMMAND });
    expect(readFileSync(join(clone, "db.env"), "utf8")).toBe("PASSWORD=hunter2-db\n");
    const other = await sealedRepo();
    const otherKey = join(box.root, `imp-other-${counter}.key`);
    await exportKey({ dir: other.dir, output: otherKey });
    await expectCode(importKey({ dir: clone, keyFile: otherKey }), "ALREADY_INITIALIZED");
    await expectCode(
      importKey({ dir: clone, keyFile: join(box.root, "missing.key") }),
      "KEY_NOT_FOUND",
    );
    writeFileSync(join(box.root, "junk.key"), "not a key");
    await expectCode(
      importKey({ dir: clone, keyFile: join(box.root, "junk.key") }),
      "CORRUPT_KEY_FILE",
    );
  });
});

describe("status, ls and the filter configuration", { timeout: 120_000, tags: ["slow"] }, () => {
  it("flags files staged in plaintext and re-stages them encrypted with fix", async () => {
    const { dir } = await sealedRepo({ "legacy.conf": "LEGACY_PASSWORD=plain-legacy\n" });
    expect(git(dir, "cat-file", "blob", "HEAD:legacy.conf")).toContain("plain-legacy");
    write(dir, {
      ".gitattributes":
        "*.env filter=git-seal diff=git-seal\n*.conf filter=git-seal diff=git-seal\n",
    });
    git(dir, "add", ".gitattributes");
    git(dir, "commit", "-q", "-m", "encrypt conf too");
    // A plaintext blob under an encrypting attribute: strict mode (the default) refuses to
    // check it out; lenient mode passes it through with a warning.
    execFileSync("rm", [join(dir, "legacy.conf")]);
    expect(gitResult(dir, ["checkout", "--", "legacy.conf"]).stderr).toContain(
      "strict mode refuses it",
    );
    git(dir, "config", "git-seal.strict", "false");
    expect(gitResult(dir, ["checkout", "--", "legacy.conf"]).stderr).toContain(
      "Warning: legacy.conf",
    );
    expect(readFileSync(join(dir, "legacy.conf"), "utf8")).toBe("LEGACY_PASSWORD=plain-legacy\n");
    const before = await status({ dir, command: CLI_COMMAND });
    expect(before.problems).toEqual(["legacy.conf"]);
    expect(before.files.find((f) => f.path === "legacy.conf")).toMatchObject({
      encrypted: true,
      problem: true,
      staged: "plaintext",
    });
    expect(before.files.find((f) => f.path === "README.md")).toMatchObject({
      encrypted: false,
      problem: false,
    });
    expect(
      (await status({ dir, command: CLI_COMMAND, only: "encrypted" })).files
        .map((f) => f.path)
        .sort(),
    ).toEqual(["db.env", "legacy.conf"]);
    expect(
      (await status({ dir, command: CLI_COMMAND, only: "unencrypted" })).files
        .map((f) => f.path)
        .sort(),
    ).toEqual([".gitattributes", "README.md"]);

    const fixed = await status({ dir, command: CLI_COMMAND, fix: true });
    expect(fixed.fixed).toEqual(["legacy.conf"]);
    expect(fixed.problems).toEqual([]);
    git(dir, "commit", "-q", "-m", "encrypt legacy");
    const head = execFileSync("git", ["cat-file", "blob", "HEAD:legacy.conf"], { cwd: dir });
    expect(head.subarray(0, 8).toString("latin1")).toBe("\0GITSEAL");
    expect(readFileSync(join(dir, "legacy.conf"), "utf8")).toBe("LEGACY_PASSWORD=plain-legacy\n");
  });

  it("remembers encrypted blob ids (never plaintext ones) and survives a damaged cache", async () => {
    const { dir, result } = await sealedRepo({ "early.conf": "EARLY=plaintext-blob\n" });
    write(dir, {
      ".gitattributes":
        "*.env filter=git-seal diff=git-seal\n*.conf filter=git-seal diff=git-seal\n",
    });
    git(dir, "add", ".gitattributes");
    const cache = join(dir, ".git", "git-seal", "encrypted-blobs");
    const dbOid = git(dir, "rev-parse", ":db.env").trim();
    const earlyOid = git(dir, "rev-parse", ":early.conf").trim();
    // The filter process recorded the blob it produced during git add.
    expect(readFileSync(cache, "utf8")).toContain(`${dbOid} ${result.keyIds[0]}`);
    const first = await status({ dir, command: CLI_COMMAND });
    expect(first.problems).toEqual(["early.conf"]);
    expect(readFileSync(cache, "utf8")).not.toContain(earlyOid);
    expect((await ls({ dir })).find((e) => e.path === "db.env")?.keyId).toBe(result.keyIds[0]);
    // Repeated appends are compacted once the file holds more than twice the distinct ids.
    writeFileSync(cache, `${dbOid} ${result.keyIds[0]}\n`.repeat(600));
    await status({ dir, command: CLI_COMMAND });
    expect(readFileSync(cache, "utf8").trim().split("\n")).toEqual([
      `${dbOid} ${result.keyIds[0]}`,
    ]);
    writeFileSync(cache, `garbage\n${earlyOid.slice(0, 20)}\nzz ${dbOid}\n`);
    const again = await status({ dir, command: CLI_COMMAND });
    expect(again.problems).toEqual(["early.conf"]);
    expect(again.files.find((f) => f.path === "db.env")?.staged).toBe("encrypted");
  });

  it("refuses to run when the filter configuration is missing or stale, and unlock repairs it", async () => {
    const { dir } = await sealedRepo();
    git(
      dir,
      "config",
      "filter.git-seal.process",
      "/old/place/git-seal filter-process --filter git-seal",
    );
    const stale = await expectCode(status({ dir, command: CLI_COMMAND }), "FILTER_CONFIG_STALE");
    expect(stale.message).toContain("/old/place");
    git(dir, "config", "--remove-section", "filter.git-seal");
    git(dir, "config", "--remove-section", "diff.git-seal");
    await expectCode(status({ dir, command: CLI_COMMAND }), "FILTER_NOT_CONFIGURED");
    await unlock({ dir, command: CLI_COMMAND });
    expect((await status({ dir, command: CLI_COMMAND })).problems).toEqual([]);
  });

  it("lists encrypted files with their key, also for named keys", async () => {
    const { dir, result } = await sealedRepo();
    const prod = await init({ dir, command: CLI_COMMAND, keyName: "prod" });
    expect(prod.filterName).toBe("git-seal-prod");
    write(dir, {
      ".gitattributes":
        "*.env filter=git-seal diff=git-seal\nprod/** filter=git-seal-prod diff=git-seal-prod\n",
      "prod/db.yaml": "password: prod-only-secret\n",
    });
    git(dir, "add", ".");
    git(dir, "commit", "-q", "-m", "prod");
    const entries = await ls({ dir });
    expect(entries.map((e) => [e.path, e.keyName, e.keyId])).toEqual([
      ["db.env", "default", result.keyIds[0]],
      ["prod/db.yaml", "prod", prod.keyIds[0]],
    ]);
    expect(allObjects(dir).includes("prod-only-secret")).toBe(false);
    // readFile without a key picks the stored key whose id the blob names.
    const prodFile = await readFile({ dir, path: "prod/db.yaml" });
    expect(Buffer.from(prodFile).toString()).toBe("password: prod-only-secret\n");
    // Locking one key leaves the other unlocked.
    await lock({ dir, keyName: "prod" });
    expect(readFileSync(join(dir, "prod/db.yaml")).subarray(0, 8).toString("latin1")).toBe(
      "\0GITSEAL",
    );
    expect(readFileSync(join(dir, "db.env"), "utf8")).toBe("PASSWORD=hunter2-db\n");
    await lock({ dir, all: true });
    expect(readFileSync(join(dir, "db.env")).subarray(0, 8).toString("latin1")).toBe("\0GITSEAL");
  });
});

describe("reading at a ref without a work tree", { timeout: 120_000, tags: ["slow"] }, () => {
  it("reads and decrypts a file at any commit, from loose objects and packfiles", async () => {
    const { dir } = await sealedRepo();
    const first = git(dir, "rev-parse", "HEAD").trim();
    git(dir, "tag", "v1");
    write(dir, { "db.env": "PASSWORD=second-version\n" });
    git(dir, "commit", "-q", "-am", "second");
    const key = await exportKey({ dir });
    const text = async (options: Parameters<typeof readFile>[0]) =>
      Buffer.from(await readFile(options)).toString();
    expect(await text({ dir, path: "db.env", key })).toBe("PASSWORD=second-version\n");
    expect(await text({ dir, path: "db.env", key, ref: "v1" })).toBe("PASSWORD=hunter2-db\n");
    expect(await text({ dir, path: "db.env", key, ref: first.slice(0, 10) })).toBe(
      "PASSWORD=hunter2-db\n",
    );
    expect(await text({ dir, path: "README.md" })).toBe("public readme text\n");
    // Without a key it uses the one stored in .git.
    expect(await text({ dir, path: "db.env" })).toBe("PASSWORD=second-version\n");
    git(dir, "gc", "-q");
    expect(await text({ dir, path: "db.env", key, ref: "v1" })).toBe("PASSWORD=hunter2-db\n");

    const listed = await listEncrypted({ dir, ref: "main" });
    expect(listed.map((f) => [f.path, f.format])).toEqual([["db.env", "git-seal"]]);
    expect(listed[0]?.keyId).toMatch(/^[0-9a-f]{16}$/);

    await expectCode(readFile({ dir, path: "nope.env", key }), "FILE_NOT_FOUND");
    await expectCode(
      readFile({ dir, path: "db.env", key, ref: "no-such-branch" }),
      "FILE_NOT_FOUND",
    );
    const other = await sealedRepo();
    await expectCode(
      readFile({ dir, path: "db.env", key: await exportKey({ dir: other.dir }) }),
      "WRONG_KEY",
    );
    await lock({ dir });
    await expectCode(readFile({ dir, path: "db.env" }), "KEY_NOT_FOUND");
  });

  it("detects a corrupt blob on checkout and on read", async () => {
    const { dir } = await sealedRepo();
    const key = await exportKey({ dir });
    const blob = execFileSync("git", ["cat-file", "blob", "HEAD:db.env"], { cwd: dir });
    blob[blob.length - 3] = (blob[blob.length - 3] as number) ^ 0xff;
    const oid = execFileSync("git", ["hash-object", "-w", "--no-filters", "--stdin"], {
      cwd: dir,
      input: blob,
    })
      .toString()
      .trim();
    git(dir, "update-index", "--cacheinfo", `100644,${oid},db.env`);
    git(dir, "commit", "-q", "-m", "corrupt");
    await expectCode(readFile({ dir, path: "db.env", key }), "CORRUPT_BLOB");
    execFileSync("rm", [join(dir, "db.env")]);
    const r = gitResult(dir, ["checkout", "--", "db.env"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("tampered");
  });
});

describe("the git-seal CLI", { timeout: 120_000, tags: ["slow"] }, () => {
  it("runs init, status, ls, export-key and unlock, and `git seal` works from PATH", () => {
    const dir = newRepo(box.root, `cli-${++counter}`);
    const initRun = seal(dir, ["init"]);
    expect(initRun.code).toBe(0);
    expect(initRun.stdout).toContain("*.secret filter=git-seal diff=git-seal");
    write(dir, {
      ".gitattributes": "*.secret filter=git-seal diff=git-seal\n",
      "a.secret": "cli-secret\n",
      "b.txt": "b\n",
    });
    git(dir, "add", ".");
    git(dir, "commit", "-q", "-m", "x");
    const st = seal(dir, ["status"]);
    expect(st.code).toBe(0);
    expect(st.stdout).toContain("    encrypted: a.secret");
    expect(st.stdout).toContain("not encrypted: b.txt");
    expect(seal(dir, ["status", "-e"]).stdout).not.toContain("b.txt");
    expect(seal(dir, ["ls"]).stdout).toMatch(
      /^default\tgit-seal\t[0-9a-f]{16}\tencrypted\ta\.secret\n$/,
    );
    const keyFile = join(box.root, `cli-${counter}.key`);
    const exp = seal(dir, ["export-key", "--passphrase", "--cost", "interactive", keyFile], {
      GIT_SEAL_PASSPHRASE: "pw-long-enough",
    });
    expect(exp.code).toBe(0);
    expect(readFileSync(keyFile).subarray(0, 12).toString("latin1")).toBe("\0GITSEALPASS");

    const clone = join(box.root, `cli-clone-${counter}`);
    git(box.root, "clone", "-q", dir, clone);
    const noPass = seal(clone, ["unlock", keyFile], { GIT_SEAL_PASSPHRASE: "" });
    expect(noPass.code).toBe(1);
    expect(noPass.stderr).toContain("PASSPHRASE_REQUIRED");
    const ok = seal(clone, ["unlock", keyFile], { GIT_SEAL_PASSPHRASE: "pw-long-enough" });
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(readFileSync(join(clone, "a.secret"), "utf8")).toBe("cli-secret\n");

    // `git seal …` finds git-seal on PATH.
    const bin = join(box.root, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "git-seal"), `#!/bin/sh\nexec ${CLI_COMMAND} "$@"\n`);
    chmodSync(join(bin, "git-seal"), 0o755);
    const viaGit = execFileSync("git", ["seal", "status", "-e"], {
      cwd: clone,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      encoding: "utf8",
    });
    expect(viaGit).toContain("encrypted: a.secret");
  });

  it("unlock reads the key file from stdin with -", async () => {
    const { dir } = await sealedRepo();
    const key = await exportKey({ dir });
    const clone = join(box.root, `cli-stdin-${counter}`);
    git(box.root, "clone", "-q", dir, clone);
    const r = spawnSync(process.execPath, [...CLI_ARGS, "unlock", "-"], { cwd: clone, input: key });
    expect(r.stderr.toString()).toBe("");
    expect(r.status).toBe(0);
    expect(readFileSync(join(clone, "db.env"), "utf8")).toBe("PASSWORD=hunter2-db\n");
  });

  it("exits 1 with the error code on failures and 2 on usage errors", () => {
    const dir = newRepo(box.root, `cli-${++counter}`);
    const locked = seal(dir, ["export-key", "-"]);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain("[KEY_NOT_FOUND]");
    expect(seal(dir, ["frobnicate"]).code).toBe(2);
    expect(seal(dir, ["status", "--bogus"]).code).toBe(2);
    expect(seal(dir, ["init", "--format", "pgp"]).stderr).toContain("[INVALID_ARGUMENT]");
    expect(seal(dir, ["help"]).stdout).toContain("usage: git-seal");
    expect(seal(dir, ["version"]).stdout).toMatch(/^git-seal \d+\.\d+\.\d+/);
  });

  it("status exits 1 while a file that should be encrypted is staged in plaintext", () => {
    const dir = newRepo(box.root, `cli-${++counter}`);
    expect(seal(dir, ["init"]).code).toBe(0);
    write(dir, { "x.secret": "early-plaintext\n" });
    git(dir, "add", ".");
    git(dir, "commit", "-q", "-m", "before attributes");
    write(dir, { ".gitattributes": "*.secret filter=git-seal diff=git-seal\n" });
    git(dir, "add", ".gitattributes");
    const st = seal(dir, ["status"]);
    expect(st.code).toBe(1);
    expect(st.stdout).toContain("x.secret *** WARNING: staged version is NOT ENCRYPTED! ***");
    const fix = seal(dir, ["status", "-f"]);
    expect(fix.code).toBe(0);
    expect(fix.stdout).toContain("Re-staged 1 file(s)");
    // The re-staged file is not committed yet: lock refuses, -f (git-crypt's spelling) forces.
    const refused = seal(dir, ["lock"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("[UNCOMMITTED_CHANGES]");
    expect(seal(dir, ["lock", "-f"]).code).toBe(0);
  });
});

describe("more failure paths", { timeout: 120_000, tags: ["slow"] }, () => {
  it("CLI plumbing: one-shot clean, smudge and textconv, and their errors", async () => {
    const { dir } = await sealedRepo();
    const cleaned = seal(dir, ["clean", "--filter", "git-seal"], {});
    expect(cleaned.code).toBe(0); // empty stdin seals to an empty-plaintext blob
    const blob = execFileSync("git", ["cat-file", "blob", "HEAD:db.env"], { cwd: dir });
    const viaStdin = execFileSync(
      process.execPath,
      [...CLI_ARGS, "clean", "--filter", "git-seal"],
      {
        cwd: dir,
        input: "PASSWORD=hunter2-db\n",
      },
    );
    expect(viaStdin.equals(blob)).toBe(true);
    const smudged = execFileSync(
      process.execPath,
      [...CLI_ARGS, "smudge", "--filter", "git-seal"],
      { cwd: dir, input: blob },
    );
    expect(smudged.toString()).toBe("PASSWORD=hunter2-db\n");
    const blobFile = join(box.root, `blob-${counter}`);
    writeFileSync(blobFile, blob);
    expect(seal(dir, ["textconv", "--filter", "git-seal", blobFile]).stdout).toBe(
      "PASSWORD=hunter2-db\n",
    );
    expect(seal(dir, ["textconv", "--filter", "nonsense", blobFile]).stderr).toContain(
      "[INVALID_ARGUMENT]",
    );
    expect(seal(dir, ["textconv", "--filter", "git-seal"]).stderr).toContain("needs a FILE");
    expect(seal(dir, ["smudge", "--filter", "git-seal-other"]).stderr).toContain("[KEY_NOT_FOUND]");
  });

  it("asks for a key name when several keys are stored and none is the default", async () => {
    const dir = newRepo(box.root, `repo-${++counter}`);
    await init({ dir, command: CLI_COMMAND, keyName: "alpha" });
    await init({ dir, command: CLI_COMMAND, keyName: "beta" });
    const error = await expectCode(exportKey({ dir }), "INVALID_ARGUMENT");
    expect(error.message).toContain("alpha, beta");
    await expectCode(lock({ dir }), "INVALID_ARGUMENT");
    await expectCode(exportKey({ dir, keyName: "gamma" }), "KEY_NOT_FOUND");
    expect((await exportKey({ dir, keyName: "beta" })).length).toBeGreaterThan(70);
  });

  it("an aborted signal stops before anything runs", async () => {
    const { dir } = await sealedRepo();
    const signal = AbortSignal.abort();
    await expectCode(status({ dir, command: CLI_COMMAND, signal }), "ABORTED");
    await expectCode(unlock({ dir, command: CLI_COMMAND, signal }), "ABORTED");
  });

  it("aborting while git runs kills it and rejects with ABORTED", async () => {
    const { dir } = await sealedRepo();
    // A git that announces it started, then hangs: only the abort can end the call.
    const started = join(box.root, `started-${counter}`);
    const slowGit = join(box.root, `slow-git-${counter}`);
    writeFileSync(slowGit, `#!/bin/sh\necho started > '${started}'\nexec sleep 60\n`);
    chmodSync(slowGit, 0o755);
    const controller = new AbortController();
    const running = status({ dir, command: CLI_COMMAND, git: slowGit, signal: controller.signal });
    while (!existsSync(started)) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    const error = await expectCode(running, "ABORTED");
    expect(error.message).toContain("aborted");
  });

  it("aborting lock mid-run (after its checks) changes nothing: key, configuration and files stay", async () => {
    const { dir } = await sealedRepo();
    const controller = new AbortController();
    const phases: string[] = [];
    const running = lock({
      dir,
      signal: controller.signal,
      onProgress: (event) => {
        phases.push(`${event.phase} ${event.done}/${event.total}`);
        if (event.phase === "verify" && event.done === 1) controller.abort();
      },
    });
    await expectCode(running, "ABORTED");
    // The run got as far as its checks (one encrypted file), then stopped.
    expect(phases).toEqual(["scan 0/0", "scan 1/1", "verify 0/1", "verify 1/1"]);
    expect(readFileSync(join(dir, "db.env"), "utf8")).toBe("PASSWORD=hunter2-db\n");
    expect(existsSync(join(dir, ".git", "git-seal", "keys", "default"))).toBe(true);
    expect(git(dir, "config", "--get", "filter.git-seal.required").trim()).toBe("true");
    expect(git(dir, "status", "--porcelain")).toBe("");
  });

  it("aborting unlock mid-run (after its checks) stores no key and writes no configuration", async () => {
    const { dir } = await sealedRepo();
    const keyFile = join(box.root, `abort-${counter}.key`);
    await exportKey({ dir, output: keyFile });
    const clone = join(box.root, `abort-clone-${counter}`);
    git(box.root, "clone", "-q", dir, clone);
    const ciphertext = readFileSync(join(clone, "db.env"));
    const controller = new AbortController();
    const running = unlock({
      dir: clone,
      keyFile,
      command: CLI_COMMAND,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.phase === "verify" && event.done === 1) controller.abort();
      },
    });
    await expectCode(running, "ABORTED");
    expect(existsSync(join(clone, ".git", "git-seal"))).toBe(false);
    expect(gitResult(clone, ["config", "--get", "filter.git-seal.process"]).code).toBe(1);
    expect(readFileSync(join(clone, "db.env")).equals(ciphertext)).toBe(true);
  });

  it("export-key never leaves a half-written file behind", async () => {
    const { dir } = await sealedRepo();
    const target = join(box.root, `dir-target-${counter}`);
    mkdirSync(join(target, "occupied"), { recursive: true });
    await expectCode(exportKey({ dir, output: join(target, "occupied") }), "INVALID_ARGUMENT");
    expect(readdirSync(target)).toEqual(["occupied"]);
  });

  it("status --fix needs the key of the files it re-stages", async () => {
    const { dir } = await sealedRepo({ "old.conf": "OLD=plain\n" });
    write(dir, {
      ".gitattributes":
        "*.env filter=git-seal diff=git-seal\n*.conf filter=git-seal diff=git-seal\n",
    });
    git(dir, "add", ".gitattributes");
    git(dir, "commit", "-q", "-m", "attrs");
    // old.conf's committed plaintext differs from what the filter would store; whether git already
    // calls it modified depends on its stat cache (racy git), so lock is forced here.
    await lock({ dir, force: true });
    const error = await expectCode(
      status({ dir, command: CLI_COMMAND, fix: true }),
      "KEY_NOT_FOUND",
    );
    expect(error.paths).toEqual(["old.conf"]);
    // Locked, status still reports (read-only) without refusing.
    expect((await status({ dir, command: CLI_COMMAND })).problems).toEqual(["old.conf"]);
  });

  it("readFile takes a passphrase-protected key and asks for its passphrase", async () => {
    const { dir } = await sealedRepo();
    const wrapped = await exportKey({
      dir,
      passphrase: "pw-long-enough",
      opsLimit: 1,
      memLimit: 8192,
    });
    await expectCode(readFile({ dir, path: "db.env", key: wrapped }), "PASSPHRASE_REQUIRED");
    await expectCode(
      readFile({ dir, path: "db.env", key: wrapped, passphrase: "nope" }),
      "WRONG_PASSPHRASE",
    );
    const plain = await readFile({
      dir,
      path: "db.env",
      key: wrapped,
      passphrase: "pw-long-enough",
    });
    expect(Buffer.from(plain).toString()).toBe("PASSWORD=hunter2-db\n");
  });

  it("import-key from the CLI asks for the passphrase of a protected file", async () => {
    const { dir } = await sealedRepo();
    const keyFile = join(box.root, `cli-imp-${counter}.key`);
    await exportKey({
      dir,
      output: keyFile,
      passphrase: "pw-long-enough",
      opsLimit: 1,
      memLimit: 8192,
    });
    const clone = join(box.root, `cli-imp-clone-${counter}`);
    git(box.root, "clone", "-q", dir, clone);
    const passFile = join(box.root, `pass-${counter}.txt`);
    writeFileSync(passFile, "pw-long-enough\n");
    expect(seal(clone, ["import-key", keyFile], { GIT_SEAL_PASSPHRASE: "" }).stderr).toContain(
      "[PASSPHRASE_REQUIRED]",
    );
    const ok = seal(clone, ["import-key", keyFile, "--passphrase-file", passFile], {
      GIT_SEAL_PASSPHRASE: "",
    });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('Imported git-seal key "default"');
    expect(seal(clone, ["unlock", join(box.root, "no-such.key")]).stderr).toContain(
      "[KEY_NOT_FOUND]",
    );
  });
});
