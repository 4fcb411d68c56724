import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_RULES, findSecrets, guard, init, lock, scan } from "../src/index.js";
import { CLI_COMMAND, git, gitResult, newRepo, sandbox, seal } from "./helpers.js";

const enc = (s: string) => new TextEncoder().encode(s);
// Built at run time so this file itself holds no complete credential shapes.
const AWS_ID = ["AKIA", "Z7Q3XW9PLM2K4RTB"].join("");
const AWS_SECRET = ["wJalrXUtnFEMI", "K7MDENG", "bPxRfiCYz9Q2ab5tKE"].join("/"); // 40 characters
const GH_TOKEN = `ghp_${"aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5"}`;
const PEM = ["-----BEGIN", "OPENSSH PRIVATE KEY-----"].join(" ");

describe("secret detectors", () => {
  it("finds the credential shapes, redacts them, and leaves placeholders, low-entropy values and binaries alone", () => {
    const text = [
      "# config",
      `aws_access_key_id = ${AWS_ID}`,
      `aws_secret_access_key = ${AWS_SECRET}`,
      PEM,
      `token: ${GH_TOKEN}`,
      'api_key = "Zx8Qw3Rt9LpV2mNb7Ks4"',
      `password = "\${DB_PASSWORD}"`,
      "api_key = process.env.PAYMENTS_API_KEY; token = os.environ['TOKEN_VALUE_1']",
      'secret_token = "aaaaaaaaaaaaaaaaaaaa"',
      `example_key = ${["AKIA", "ALLOWEDALLOWED12"].join("")} # git-seal:allow`,
    ].join("\n");
    expect(AWS_SECRET).toHaveLength(40);
    const found = findSecrets(enc(text), "app.conf", DEFAULT_RULES);
    expect(found.map((f) => [f.line, f.rule])).toEqual([
      [2, "aws-access-key-id"],
      [3, "aws-secret-access-key"],
      [4, "private-key"],
      [5, "github-token"],
      [6, "generic-secret"],
    ]);
    // Lines 7–9 (a placeholder, code reading the environment, a one-letter value): nothing.
    const serialized = JSON.stringify(found);
    for (const secret of [AWS_ID, AWS_SECRET, GH_TOKEN, "Zx8Qw3Rt9LpV2mNb7Ks4"]) {
      expect(serialized).not.toContain(secret);
    }
    expect(found[0]?.redacted).toBe("AKIA…(20 chars)");
    // An allowed pattern drops a finding; binary content (a NUL byte) is skipped.
    expect(
      findSecrets(enc(`id=${AWS_ID}`), "x", DEFAULT_RULES, [new RegExp(AWS_ID.slice(0, 8))]),
    ).toEqual([]);
    expect(
      findSecrets(new Uint8Array([0, ...enc(`id=${AWS_ID}`)]), "x.bin", DEFAULT_RULES),
    ).toEqual([]);
  });
});

describe("byte search around hints", () => {
  // The oracle: every rule's regex over the whole text (the rules without their hints).
  const whole = DEFAULT_RULES.map((r) => ({ ...r, hint: undefined }));
  const piece = fc.oneof(
    fc.constantFrom(
      "secret",
      "SeCrEt",
      "aws_secret_access_key",
      "API_KEY",
      "Token",
      "passwd",
      "pwd",
      "credential",
      "private_key",
      " = ",
      ": ",
      "=>",
      "=",
      '"',
      "'",
      " ",
      "\t",
      "\n",
      "\r\n",
      "\n\n  \n",
      "\u00a0",
      "\u00c0\u00d7\u00de\u00ff",
      AWS_ID,
      AWS_SECRET,
      GH_TOKEN,
      PEM,
      "git-seal:allow",
      "xoxb-1234567890-abcdefghij",
      "AIza",
      "process.env.X",
    ),
    fc.stringMatching(/^[A-Za-z0-9/+=_.-]{1,48}$/),
  );
  const space = fc.array(fc.constantFrom(" ", "\t", "\n", "\r\n", "\u00a0"), { maxLength: 4 });
  // A name, whitespace that may span lines, a separator, more of it, and a value.
  const assignment = fc
    .tuple(
      fc.constantFrom("aws_secret_access_key", "SECRET_KEY", "api-key", "Password", "authKey"),
      space,
      fc.constantFrom("=", ":", "=>", ":="),
      space,
      fc.constantFrom("", '"', "'"),
      fc.oneof(fc.constant(AWS_SECRET), fc.stringMatching(/^[A-Za-z0-9/+=]{12,44}$/)),
    )
    .map(
      ([name, a, sep, b, quote, value]) =>
        `${name}${a.join("")}${sep}${b.join("")}${quote}${value}`,
    );
  it("finds exactly what the rules' regexes find over the whole text, line numbers included", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, assignment), { maxLength: 60 }), (parts) => {
        const data = Buffer.from(parts.join(""), "latin1");
        expect(findSecrets(data, "f", DEFAULT_RULES)).toEqual(findSecrets(data, "f", whole));
      }),
      { numRuns: 400 },
    );
  });

  it("reads a value that follows its name across whitespace lines, and keywords in any case", () => {
    const text = `x = 1\nsEcReT_ToKeN\n   \n=\n\n  "Zx8Qw3Rt9LpV2mNb7Ks4"\nAws_Secret_Access_Key=${AWS_SECRET}\n`;
    expect(findSecrets(enc(text), "f", DEFAULT_RULES).map((f) => [f.line, f.rule])).toEqual([
      [2, "generic-secret"],
      [7, "aws-secret-access-key"],
    ]);
  });
});

let box: Awaited<ReturnType<typeof sandbox>>;
let counter = 0;
beforeAll(async () => {
  box = await sandbox();
});
afterAll(() => box.cleanup());

async function repo() {
  const dir = newRepo(box.root, `guard-${++counter}`);
  await init({ dir, command: CLI_COMMAND });
  writeFileSync(join(dir, ".gitattributes"), "*.env filter=git-seal diff=git-seal\n");
  writeFileSync(join(dir, "prod.env"), `AWS_SECRET_ACCESS_KEY=${AWS_SECRET}\n`);
  git(dir, "add", ".");
  git(dir, "commit", "-q", "-m", "encrypted secrets are fine");
  return dir;
}

describe("leak guard and scan", { timeout: 120_000, tags: ["slow"] }, () => {
  it("the pre-commit hook blocks likely secrets and plaintext in encrypted paths, and lets the rest through", async () => {
    const dir = await repo();
    const installed = seal(dir, ["guard", "install"]);
    expect(installed.code).toBe(0);
    writeFileSync(join(dir, "settings.py"), `AWS_KEY = "${AWS_ID}"\n`);
    git(dir, "add", "settings.py");
    const blocked = gitResult(dir, ["commit", "-q", "-m", "oops"]);
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain("settings.py:1: AWS access key id (AKIA…(20 chars))");
    expect(blocked.stderr).not.toContain(AWS_ID);
    writeFileSync(join(dir, "settings.py"), 'AWS_KEY = os.environ["AWS_KEY"]\n');
    git(dir, "add", "settings.py");
    expect(gitResult(dir, ["commit", "-q", "-m", "fine"]).code).toBe(0);
    // The repository's own patterns, as in awslabs' git-secrets.
    git(dir, "config", "--add", "git-seal.guard.pattern", "INTERNAL-[0-9]{6}");
    writeFileSync(join(dir, "notes.md"), "ticket INTERNAL-123456\n");
    git(dir, "add", "notes.md");
    expect((await guard({ dir })).findings.map((f) => f.rule)).toEqual(["custom-1"]);
    git(dir, "reset", "-q"); // notes.md is untracked again
    // Locked (no filter): a new encrypted-path file would be stored as plaintext.
    await lock({ dir, force: true });
    writeFileSync(join(dir, "new.env"), "TOKEN=x\n");
    git(dir, "add", "new.env");
    const result = await guard({ dir });
    expect(result).toMatchObject({ ok: false, plaintext: ["new.env"], findings: [] });
    const refused = gitResult(dir, ["commit", "-q", "-m", "plaintext"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("new.env is marked encrypted but staged as PLAINTEXT");
    // A hook git-seal did not write is kept unless forced.
    const other = await repo();
    writeFileSync(join(other, ".git", "hooks", "pre-commit"), "#!/bin/sh\nexit 0\n");
    expect(seal(other, ["guard", "install"]).stderr).toContain("[ALREADY_INITIALIZED]");
  });

  it("the guard reads the staged blobs before the first commit and from a subfolder; symlinks and allowed lines pass", async () => {
    const dir = newRepo(box.root, `guard-${++counter}`);
    await init({ dir, command: CLI_COMMAND });
    writeFileSync(join(dir, ".gitattributes"), "*.env filter=git-seal diff=git-seal\n");
    mkdirSync(join(dir, "app", "conf"), { recursive: true });
    writeFileSync(join(dir, "app", "conf", "prod.env"), `AWS_SECRET_ACCESS_KEY=${AWS_SECRET}\n`);
    writeFileSync(join(dir, "app", "conf", "settings.py"), `KEY = "${AWS_ID}"\n`);
    writeFileSync(
      join(dir, "app", "conf", "example.py"),
      `KEY = "${AWS_ID.slice(0, 4)}EXAMPLEEXAMPLE12"\n`,
    );
    // A symbolic link whose target text looks like a key: git stores the target, never filtered.
    symlinkSync(AWS_ID, join(dir, "app", "link"));
    git(dir, "add", ".");
    // A user setting that would make diff output relative to (and limited to) the subfolder.
    git(dir, "config", "diff.relative", "true");
    expect(gitResult(dir, ["rev-parse", "--verify", "-q", "HEAD"]).code).not.toBe(0);
    const first = await guard({ dir: join(dir, "app", "conf") });
    expect(first).toMatchObject({ ok: false, plaintext: [], files: 5 });
    expect(first.findings.map((f) => [f.path, f.line, f.rule])).toEqual([
      ["app/conf/example.py", 1, "aws-access-key-id"],
      ["app/conf/settings.py", 1, "aws-access-key-id"],
    ]);
    git(dir, "config", "--add", "git-seal.guard.allowed", "EXAMPLEEXAMPLE");
    git(dir, "config", "--add", "git-seal.guard.pattern", "INTERNAL-[0-9]{6}");
    writeFileSync(join(dir, "app", "conf", "settings.py"), "KEY = INTERNAL-654321\n");
    git(dir, "add", ".");
    const second = await guard({ dir: join(dir, "app") });
    expect(second.findings.map((f) => [f.path, f.rule])).toEqual([
      ["app/conf/settings.py", "custom-1"],
    ]);
    writeFileSync(join(dir, "app", "conf", "settings.py"), "KEY = None\n");
    git(dir, "add", ".");
    expect(await guard({ dir })).toMatchObject({ ok: true, plaintext: [], findings: [] });
    git(dir, "commit", "-q", "-m", "first");
    // After it: only what changed since HEAD is read.
    writeFileSync(join(dir, "app", "conf", "dev.env"), "TOKEN=x\n");
    git(dir, "add", ".");
    expect(await guard({ dir })).toMatchObject({ ok: true, files: 1 });
    // Not a repository: typed error.
    await expect(guard({ dir: box.root })).rejects.toMatchObject({ code: "NOT_A_REPOSITORY" });
  });

  it("scan finds secrets in the work tree, and with --history in deleted files, with purge advice", async () => {
    const dir = await repo();
    writeFileSync(join(dir, "deploy.sh"), `export GITHUB_TOKEN=${GH_TOKEN}\n`);
    git(dir, "add", "deploy.sh");
    git(dir, "commit", "-q", "--no-verify", "-m", "token");
    const now = await scan({ dir });
    expect(now.findings.map((f) => [f.path, f.rule])).toEqual([["deploy.sh", "github-token"]]);
    git(dir, "rm", "-q", "deploy.sh");
    git(dir, "commit", "-q", "-m", "remove token");
    expect((await scan({ dir })).findings).toEqual([]);
    const past = await scan({ dir, history: true });
    expect(past.findings.map((f) => [f.path, f.rule])).toEqual([["deploy.sh", "github-token"]]);
    expect(past.findings[0]?.blob).toBe(git(dir, "rev-parse", "HEAD~1:deploy.sh").trim());
    expect(past.advice.join(" ")).toContain("git filter-repo --invert-paths --path 'deploy.sh'");
    // The encrypted prod.env (an AWS secret inside) is ciphertext in history: not reported.
    expect(past.findings.some((f) => f.path === "prod.env")).toBe(false);
    const cli = seal(dir, ["scan", "--history"]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain("deploy.sh:1\tgithub-token\tghp_…(40 chars)");
  });
});
