import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportKey, init, parseKey, status, unlock } from "../src/index.js";
import {
  allObjects,
  CLI_COMMAND,
  FIXTURES,
  git,
  newRepo,
  requireGitCrypt,
  sandbox,
} from "./helpers.js";

const present = requireGitCrypt();
let box: Awaited<ReturnType<typeof sandbox>>;

beforeAll(async () => {
  box = await sandbox();
});
afterAll(() => box?.cleanup());

function gitCrypt(cwd: string, ...args: string[]): string {
  return execFileSync("git-crypt", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** The blob id git computes for the work-tree file through the configured clean filter. */
function cleanedId(dir: string, path: string): string {
  return git(dir, "hash-object", `--path=${path}`, path).trim();
}

describe.skipIf(!present)(
  "git-crypt interop (real git-crypt binary)",
  { timeout: 120_000, tags: ["peer", "slow"] },
  () => {
    it("git-crypt encrypts, git-seal decrypts and re-encrypts byte-identically, git-crypt decrypts git-seal's blobs", async () => {
      const origin = newRepo(box.root, "gc-origin");
      gitCrypt(origin, "init");
      writeFileSync(join(origin, ".gitattributes"), "*.secret filter=git-crypt diff=git-crypt\n");
      writeFileSync(join(origin, "db.secret"), "DB_PASSWORD=from-git-crypt\n");
      writeFileSync(join(origin, "public.txt"), "public\n");
      git(origin, "add", ".");
      git(origin, "commit", "-q", "-m", "git-crypt commit");
      const keyFile = join(box.root, "gc.key");
      gitCrypt(origin, "export-key", keyFile);
      expect(parseKey(readFileSync(keyFile)).format).toBe("git-crypt");

      const clone = join(box.root, "gc-clone-seal");
      git(box.root, "clone", "-q", origin, clone);
      const result = await unlock({ dir: clone, keyFile, command: CLI_COMMAND });
      expect(result.keys[0]).toMatchObject({
        format: "git-crypt",
        filterName: "git-crypt",
        keyName: "default",
      });
      expect(readFileSync(join(clone, "db.secret"), "utf8")).toBe("DB_PASSWORD=from-git-crypt\n");
      // git-seal's clean of the plaintext is exactly git-crypt's blob.
      expect(cleanedId(clone, "db.secret")).toBe(git(clone, "rev-parse", "HEAD:db.secret").trim());
      expect(git(clone, "status", "--porcelain")).toBe("");
      // The key sits where git-crypt keeps it, byte for byte.
      expect(
        readFileSync(join(clone, ".git", "git-crypt", "keys", "default")).equals(
          readFileSync(keyFile),
        ),
      ).toBe(true);

      writeFileSync(join(clone, "api.secret"), "API_KEY=from-git-seal\n");
      git(clone, "add", "api.secret");
      git(clone, "commit", "-q", "-m", "git-seal commit");
      expect(allObjects(clone).includes("from-git-seal")).toBe(false);
      expect((await status({ dir: clone, command: CLI_COMMAND })).problems).toEqual([]);

      // git-crypt's own lock works on the repository git-seal unlocked, and git-seal unlocks again.
      gitCrypt(clone, "lock");
      expect(readFileSync(join(clone, "db.secret")).subarray(0, 10).toString("latin1")).toBe(
        "\0GITCRYPT\0",
      );
      await unlock({ dir: clone, keyFile, command: CLI_COMMAND });
      expect(readFileSync(join(clone, "db.secret"), "utf8")).toBe("DB_PASSWORD=from-git-crypt\n");

      const back = join(box.root, "gc-clone-crypt");
      git(box.root, "clone", "-q", clone, back);
      gitCrypt(back, "unlock", keyFile);
      expect(readFileSync(join(back, "api.secret"), "utf8")).toBe("API_KEY=from-git-seal\n");
      expect(readFileSync(join(back, "db.secret"), "utf8")).toBe("DB_PASSWORD=from-git-crypt\n");
      expect(git(back, "status", "--porcelain")).toBe("");
      expect(gitCrypt(back, "status", "-e")).toContain("encrypted: api.secret");
    });

    it("git-seal init --format git-crypt makes a repository and key file git-crypt unlocks, and the other way round", async () => {
      const origin = newRepo(box.root, "seal-origin");
      const created = await init({ dir: origin, format: "git-crypt", command: CLI_COMMAND });
      expect(created.attributes).toBe("filter=git-crypt diff=git-crypt");
      writeFileSync(join(origin, ".gitattributes"), `secrets/** ${created.attributes}\n`);
      execFileSync("mkdir", ["-p", join(origin, "secrets")]);
      writeFileSync(join(origin, "secrets", "prod.env"), "PROD_TOKEN=sealed-by-git-seal\n");
      git(origin, "add", ".");
      git(origin, "commit", "-q", "-m", "git-seal commit");
      const blob = execFileSync("git", ["cat-file", "blob", "HEAD:secrets/prod.env"], {
        cwd: origin,
      });
      expect(blob.subarray(0, 10).toString("latin1")).toBe("\0GITCRYPT\0");
      const keyFile = join(box.root, "seal-export.key");
      await exportKey({ dir: origin, output: keyFile });

      const crypt = join(box.root, "seal-clone-crypt");
      git(box.root, "clone", "-q", origin, crypt);
      gitCrypt(crypt, "unlock", keyFile);
      expect(readFileSync(join(crypt, "secrets", "prod.env"), "utf8")).toBe(
        "PROD_TOKEN=sealed-by-git-seal\n",
      );
      writeFileSync(join(crypt, "secrets", "new.env"), "NEW=added-by-git-crypt\n");
      git(crypt, "add", ".");
      git(crypt, "commit", "-q", "-m", "git-crypt commit");
      // Same plaintext, same key: git-crypt's blob equals the one git-seal stored.
      expect(git(crypt, "rev-parse", "HEAD:secrets/prod.env")).toBe(
        git(origin, "rev-parse", "HEAD:secrets/prod.env"),
      );

      const seal = join(box.root, "seal-clone-back");
      git(box.root, "clone", "-q", crypt, seal);
      await unlock({ dir: seal, keyFile, command: CLI_COMMAND });
      expect(readFileSync(join(seal, "secrets", "new.env"), "utf8")).toBe(
        "NEW=added-by-git-crypt\n",
      );
      expect(cleanedId(seal, "secrets/new.env")).toBe(
        git(seal, "rev-parse", "HEAD:secrets/new.env").trim(),
      );
    });

    it("refuses a git-crypt key that does not decrypt the repository, before writing anything", async () => {
      const origin = newRepo(box.root, "gc-wrong");
      gitCrypt(origin, "init");
      writeFileSync(join(origin, ".gitattributes"), "*.secret filter=git-crypt diff=git-crypt\n");
      writeFileSync(join(origin, "a.secret"), "A=1\n");
      git(origin, "add", ".");
      git(origin, "commit", "-q", "-m", "x");
      const clone = join(box.root, "gc-wrong-clone");
      git(box.root, "clone", "-q", origin, clone);
      const other = join(FIXTURES, "git-crypt", "default.key"); // another git-crypt key
      await expect(
        unlock({ dir: clone, keyFile: other, command: CLI_COMMAND }),
      ).rejects.toMatchObject({
        code: "WRONG_KEY",
      });
      expect(existsSync(join(clone, ".git", "git-crypt", "keys", "default"))).toBe(false);
    });

    it("named keys keep git-crypt's name and filter (git-crypt-<name>) both ways", async () => {
      const origin = newRepo(box.root, "named-origin");
      const created = await init({
        dir: origin,
        format: "git-crypt",
        keyName: "ops",
        command: CLI_COMMAND,
      });
      expect(created.filterName).toBe("git-crypt-ops");
      writeFileSync(join(origin, ".gitattributes"), `*.ops ${created.attributes}\n`);
      writeFileSync(join(origin, "a.ops"), "OPS=named-key-secret\n");
      git(origin, "add", ".");
      git(origin, "commit", "-q", "-m", "ops");
      const keyFile = join(box.root, "ops.key");
      await exportKey({ dir: origin, keyName: "ops", output: keyFile });
      const crypt = join(box.root, "named-clone");
      git(box.root, "clone", "-q", origin, crypt);
      gitCrypt(crypt, "unlock", keyFile);
      expect(readFileSync(join(crypt, "a.ops"), "utf8")).toBe("OPS=named-key-secret\n");
      expect(git(crypt, "config", "--get", "filter.git-crypt-ops.smudge")).toContain("git-crypt");

      const gcKey = join(box.root, "ops-from-git-crypt.key");
      gitCrypt(crypt, "export-key", "-k", "ops", gcKey);
      expect(readFileSync(gcKey).equals(readFileSync(keyFile))).toBe(true);
    });
  },
);
