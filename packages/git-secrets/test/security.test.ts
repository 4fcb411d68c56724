import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCodec,
  exportKey,
  GitSecretsError,
  generateKey,
  init,
  lock,
  mergeSealed,
  readFile,
  readFileDetailed,
  status,
  unlock,
} from "../src/index.js";
import { CLI_COMMAND, git, gitResult, newRepo, sandbox } from "./helpers.js";

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

function write(dir: string, files: Record<string, string | Uint8Array>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

async function sealedRepo(files: Record<string, string> = {}) {
  const dir = newRepo(box.root, `sec-${++counter}`);
  const result = await init({ dir, command: CLI_COMMAND });
  write(dir, {
    ".gitattributes": "*.env filter=git-seal diff=git-seal\n",
    "db.env": "PASSWORD=hunter2-db\n",
    "README.md": "public\n",
    ...files,
  });
  git(dir, "add", ".");
  git(dir, "commit", "-q", "-m", "first");
  const keyFile = join(box.root, `sec-${counter}.key`);
  await exportKey({ dir, output: keyFile });
  return { dir, result, keyFile };
}

/** Stores `content` as the blob of `path` in a commit, past the filter (what a hostile push can do). */
function commitRaw(dir: string, path: string, content: Uint8Array | string, message: string) {
  const oid = execFileSync("git", ["hash-object", "-w", "--no-filters", "--stdin"], {
    cwd: dir,
    input: content,
  })
    .toString()
    .trim();
  git(dir, "update-index", "--add", "--cacheinfo", `100644,${oid},${path}`);
  git(dir, "commit", "-q", "-m", message);
  return oid;
}

function clone(dir: string): string {
  const target = join(box.root, `sec-clone-${++counter}`);
  git(box.root, "clone", "-q", dir, target);
  return target;
}

describe("security review fixes", { timeout: 120_000, tags: ["slow"] }, () => {
  it("plaintext planted in an encrypted path: strict mode refuses it everywhere, lenient mode warns", async () => {
    const { dir, keyFile } = await sealedRepo();
    expect(git(dir, "config", "--get", "git-seal.strict").trim()).toBe("true"); // default for new repos
    commitRaw(dir, "planted.env", "PASSWORD=attacker-chosen\n", "plant");
    // Checkout through the filter: refused in strict mode, with git's failure and our reason.
    git(dir, "rm", "-q", "--cached", "planted.env");
    const checkout = gitResult(dir, ["checkout", "HEAD", "--", "planted.env"]);
    expect(checkout.code).not.toBe(0);
    expect(checkout.stderr).toContain("strict mode refuses it");
    // readFile: strict by default; the detailed form carries the marker; lenient warns.
    await expectCode(readFile({ dir, path: "planted.env" }), "PLAINTEXT_IN_ENCRYPTED_PATH");
    const detailed = await readFileDetailed({ dir, path: "planted.env" });
    expect(detailed).toMatchObject({ encrypted: false, plaintextInEncryptedPath: true });
    const warnings: unknown[][] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (...a: unknown[]) => warnings.push(a),
      error() {},
    };
    const lenient = await readFile({ dir, path: "planted.env", strict: false, logger });
    expect(Buffer.from(lenient).toString()).toBe("PASSWORD=attacker-chosen\n");
    expect(String(warnings[0]?.[0])).toContain("planted.env is marked encrypted");
    // Files the attributes do not mark are plain reads, strict or not.
    expect(Buffer.from(await readFile({ dir, path: "README.md" })).toString()).toBe("public\n");
    expect((await readFileDetailed({ dir, path: "README.md" })).plaintextInEncryptedPath).toBe(
      false,
    );
    // unlock in a clone: strict refuses before changing anything.
    const other = clone(dir);
    const error = await expectCode(
      unlock({ dir: other, keyFile, command: CLI_COMMAND }),
      "PLAINTEXT_IN_ENCRYPTED_PATH",
    );
    expect(error.paths).toEqual(["planted.env"]);
    expect(existsSync(join(other, ".git", "git-seal"))).toBe(false);
    // Lenient: unlock and checkout pass it with git-crypt's kind of warning.
    const got: unknown[][] = [];
    const unlocked = await unlock({
      dir: other,
      keyFile,
      command: CLI_COMMAND,
      strict: false,
      logger: { debug() {}, info() {}, warn: (...a: unknown[]) => got.push(a), error() {} },
    });
    expect(unlocked.strict).toBe(false);
    expect(String(got[0]?.[0])).toContain("planted.env is marked encrypted");
    expect(readFileSync(join(other, "planted.env"), "utf8")).toBe("PASSWORD=attacker-chosen\n");
    git(dir, "config", "git-seal.strict", "false");
    const warned = gitResult(dir, ["checkout", "HEAD", "--", "planted.env"]);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain("git-seal: Warning: planted.env is marked encrypted");
  });

  it("never encrypts twice: content that already is a git-seal or git-crypt blob is refused", async () => {
    const { dir } = await sealedRepo();
    const blob = execFileSync("git", ["cat-file", "blob", "HEAD:db.env"], { cwd: dir });
    write(dir, { "copy.env": blob });
    const added = gitResult(dir, ["add", "copy.env"]);
    expect(added.code).not.toBe(0);
    expect(added.stderr).toContain("not encrypted twice");
    expect(added.stderr).toContain("git-seal rotate");
    const codec = await createCodec(
      generateKey({ format: "git-seal", random: (n) => new Uint8Array(n).fill(3) }),
    );
    const gitCryptBlob = Buffer.concat([Buffer.from("\0GITCRYPT\0"), Buffer.alloc(12)]);
    for (const sealed of [new Uint8Array(blob), new Uint8Array(gitCryptBlob)]) {
      let code: string | undefined;
      try {
        codec.seal(sealed, "x.env");
      } catch (error) {
        code = (error as GitSecretsError).code;
      }
      expect(code).toBe("ALREADY_ENCRYPTED");
    }
  });

  it("unlock is all or nothing: one tampered blob among many and nothing is stored, configured or deleted", async () => {
    const { dir, keyFile } = await sealedRepo({ "a.env": "A=1\n", "b.env": "B=2\n" });
    const good = execFileSync("git", ["cat-file", "blob", "HEAD:b.env"], { cwd: dir });
    const bad = Buffer.from(good);
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
    commitRaw(dir, "b.env", bad, "tamper");
    const other = clone(dir);
    const before = readdirSync(other).sort();
    const ciphertext = readFileSync(join(other, "a.env"));
    const error = await expectCode(
      unlock({ dir: other, keyFile, command: CLI_COMMAND }),
      "CORRUPT_BLOB",
    );
    expect(error.paths).toEqual(["b.env"]);
    expect(error.message).toContain("unlock changed nothing");
    expect(existsSync(join(other, ".git", "git-seal"))).toBe(false);
    expect(gitResult(other, ["config", "--get", "filter.git-seal.process"]).code).toBe(1);
    expect(readdirSync(other).sort()).toEqual(before);
    expect(readFileSync(join(other, "a.env")).equals(ciphertext)).toBe(true);
  });

  it("warns when rerere would keep conflicted plaintext, and turns it off on request", async () => {
    const { dir, keyFile } = await sealedRepo();
    const other = clone(dir);
    git(other, "config", "rerere.enabled", "true");
    const warned: unknown[][] = [];
    const logger = { debug() {}, info() {}, warn: (...a: unknown[]) => warned.push(a), error() {} };
    const first = await unlock({ dir: other, keyFile, command: CLI_COMMAND, logger });
    expect(first.warnings).toHaveLength(1);
    expect(first.warnings[0]).toContain(".git/rr-cache");
    expect(warned.map((w) => String(w[0]))).toContain(first.warnings[0]);
    // Unset, rerere is still on while .git/rr-cache exists (git-config(1)).
    git(other, "config", "--unset", "rerere.enabled");
    mkdirSync(join(other, ".git", "rr-cache", "0123"), { recursive: true });
    expect((await unlock({ dir: other, command: CLI_COMMAND })).warnings).toHaveLength(1);
    const off = await unlock({ dir: other, command: CLI_COMMAND, disableRerere: true });
    expect(off.warnings).toEqual([]);
    expect(git(other, "config", "--get", "rerere.enabled").trim()).toBe("false");
    expect(existsSync(join(other, ".git", "rr-cache"))).toBe(false);
    expect((await unlock({ dir: other, command: CLI_COMMAND })).warnings).toEqual([]);
  });

  it("the merge driver leaves no plaintext behind, on success and on failure", async () => {
    const codec = await createCodec(
      generateKey({ format: "git-seal", random: (n) => new Uint8Array(n).fill(9) }),
    );
    const enc = (s: string) => codec.seal(new TextEncoder().encode(s));
    const tempDir = mkdtempSync(join(box.root, "merge-tmp-"));
    const merged = await mergeSealed({
      codec,
      base: enc("a\nb\nc\n"),
      ours: enc("A\nb\nc\n"),
      theirs: enc("a\nb\nC\n"),
      tempDir,
    });
    expect(Buffer.from(codec.open(merged.result)).toString()).toBe("A\nb\nC\n");
    expect(readdirSync(tempDir)).toEqual([]);
    await expectCode(
      mergeSealed({
        codec,
        base: enc("x\n"),
        ours: enc("y\n"),
        theirs: enc("z\n"),
        tempDir,
        git: join(box.root, "no-such-git"),
      }),
      "GIT_FAILED",
    );
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it("lock refuses while any tracked file has uncommitted changes, unless forced", async () => {
    const { dir } = await sealedRepo();
    write(dir, { "README.md": "edited, not committed\n" });
    const error = await expectCode(lock({ dir }), "UNCOMMITTED_CHANGES");
    expect(error.paths).toEqual(["README.md"]);
    expect(readFileSync(join(dir, "db.env"), "utf8")).toBe("PASSWORD=hunter2-db\n");
    write(dir, { "untracked.txt": "untracked files do not count\n" });
    git(dir, "checkout", "--", "README.md");
    await lock({ dir });
    expect(readFileSync(join(dir, "db.env")).subarray(0, 8).toString("latin1")).toBe("\0GITSEAL");
  });

  it("linked worktrees share the key; a git-crypt key in a worktree's own git dir (git-crypt 0.7's place) is found", async () => {
    const { dir } = await sealedRepo();
    const tree = join(box.root, `wt-${++counter}`);
    git(dir, "worktree", "add", "-q", tree, "-b", "side");
    expect(readFileSync(join(tree, "db.env"), "utf8")).toBe("PASSWORD=hunter2-db\n");
    write(tree, { "db.env": "PASSWORD=from-worktree\n" });
    git(tree, "commit", "-q", "-am", "in worktree");
    const stored = execFileSync("git", ["cat-file", "blob", "side:db.env"], { cwd: dir });
    expect(stored.subarray(0, 8).toString("latin1")).toBe("\0GITSEAL");
    expect((await status({ dir: tree, command: CLI_COMMAND })).problems).toEqual([]);

    const crypt = newRepo(box.root, `wt-crypt-${++counter}`);
    await init({ dir: crypt, format: "git-crypt", command: CLI_COMMAND });
    write(crypt, {
      ".gitattributes": "*.secret filter=git-crypt diff=git-crypt\n",
      "a.secret": "S=1\n",
    });
    git(crypt, "add", ".");
    git(crypt, "commit", "-q", "-m", "x");
    const linked = join(box.root, `wt-crypt-linked-${counter}`);
    git(crypt, "worktree", "add", "-q", linked, "-b", "other");
    // Where `git-crypt unlock` run in the linked work tree puts the key: `git rev-parse --git-dir`.
    const own = git(linked, "rev-parse", "--git-dir").trim();
    mkdirSync(join(own, "git-crypt", "keys"), { recursive: true });
    renameSync(
      join(crypt, ".git", "git-crypt", "keys", "default"),
      join(own, "git-crypt", "keys", "default"),
    );
    git(linked, "rm", "-q", "--cached", "a.secret");
    git(linked, "checkout", "HEAD", "--", "a.secret");
    expect(readFileSync(join(linked, "a.secret"), "utf8")).toBe("S=1\n");
  });
});
