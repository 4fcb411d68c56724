import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitSecretsError, unlock } from "../src/index.js";
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
