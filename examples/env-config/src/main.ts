// A team's config repository: encrypted prod and dev configs, two members with keys of their
// own (no shared key file, no GPG), a member removed and the key rotated, the leak guard and
// the config check at work. Runs real git in out/env-config/.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  addUser,
  configCheck,
  init,
  installGuard,
  isGitSecretsError,
  keygen,
  readFile,
  removeUser,
  unlock,
} from "@tinkerbox/git-secrets";

const out = resolve(process.env.TINKERBOX_DEMO_OUT ?? "out");
const repo = join(out, "team-config");
const report: string[] = [];
const log = (line: string) => {
  console.log(line);
  report.push(line);
};
// Who commits: the library runs git with this environment, the demo's own git calls too.
const env = {
  GIT_AUTHOR_NAME: "Alice",
  GIT_AUTHOR_EMAIL: "alice@example.com",
  GIT_COMMITTER_NAME: "Alice",
  GIT_COMMITTER_EMAIL: "alice@example.com",
};
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...env } });
const write = (path: string, text: string) => {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
};

// 1. The repository: config/*.env encrypted, a schema of required keys and defaults.
mkdirSync(repo, { recursive: true });
git(repo, "init", "-q", "-b", "main");
const created = await init({ dir: repo, env });
write(join(repo, ".gitattributes"), `config/*.env ${created.attributes}\n`);
write(
  join(repo, "config", "schema.yaml"),
  "required:\n  DB_HOST: database host\n  DB_PASSWORD: database password\ndefaults:\n  DB_PORT: 5432\n  LOG_LEVEL: info\n",
);
write(
  join(repo, "config", "prod.env"),
  "DB_HOST=db.prod.internal\nDB_PASSWORD=pr0d-Xq93-secret\nLOG_LEVEL=warn\n",
);
write(join(repo, "config", "dev.env"), "DB_HOST=localhost\nDB_PASSWORD=dev-pw\n");
git(repo, "add", ".");
git(repo, "commit", "-q", "-m", "prod and dev configs");

// 2. Two members, each with a key pair of their own; the repository key is sealed to each.
const alice = await keygen({ output: join(out, "home-alice", "identity"), label: "alice@laptop" });
const bob = await keygen({ output: join(out, "home-bob", "identity"), label: "bob@laptop" });
await addUser({ dir: repo, publicKey: alice.publicKey, env });
await addUser({ dir: repo, publicKey: bob.publicKey, env });
log(
  `members: alice ${alice.memberId}, bob ${bob.memberId} (keys sealed in .git-seal/keys/default/)`,
);

// 3. What git stores: ciphertext. No object holds the password.
const blob = execFileSync("git", ["cat-file", "blob", "HEAD:config/prod.env"], { cwd: repo });
const objects = execFileSync("git", ["cat-file", "--batch-all-objects", "--batch"], { cwd: repo });
const leaks = objects.includes("pr0d-Xq93-secret") ? 1 : 0;
log(
  `git stores config/prod.env as ${blob.length} bytes starting ${JSON.stringify(blob.subarray(0, 8).toString("latin1"))}; objects holding the password: ${leaks}`,
);

// 4. Bob clones and unlocks with his private key: plaintext.
const bobsClone = join(out, "bob-clone");
git(out, "clone", "-q", repo, bobsClone);
await unlock({ dir: bobsClone, identity: bob.path, env });
const seen = readFileSync(join(bobsClone, "config", "prod.env"), "utf8").split("\n")[1];
log(`bob's clone after unlock --identity: ${seen}`);

// 5. Bob leaves: removing him rotates the key (a new epoch), re-encrypts, re-seals for alice.
const before = git(repo, "rev-parse", "HEAD").trim();
const removed = await removeUser({ dir: repo, member: "bob@laptop", env });
const rotation = removed.rotations[0];
log(
  `remove-user bob: key rotated to epoch ${rotation?.generation}, ${rotation?.files.length} files re-encrypted, sealed for ${rotation?.members.length} member(s)`,
);
log(`  ${removed.notice}`);
git(bobsClone, "fetch", "-q");
const bobOld = new TextDecoder().decode(
  await readFile({ dir: bobsClone, ref: before, path: "config/prod.env" }),
);
let bobNew = "readable";
try {
  await readFile({ dir: bobsClone, ref: "origin/main", path: "config/prod.env" });
} catch (error) {
  bobNew = isGitSecretsError(error) ? error.code : String(error);
}
log(
  `bob's old key: the commit before his removal ${bobOld.includes("pr0d-Xq93-secret") ? "opens" : "does not open"}; the new HEAD: ${bobNew}`,
);
const alicesClone = join(out, "alice-clone");
git(out, "clone", "-q", repo, alicesClone);
await unlock({ dir: alicesClone, identity: alice.path, env });
log(
  `alice's fresh clone unlocks after the rotation: ${readFileSync(join(alicesClone, "config", "dev.env"), "utf8").split("\n")[0]}`,
);

// 6. The leak guard blocks a commit with a plaintext credential outside the encrypted files.
await installGuard({ dir: alicesClone, env });
write(
  join(alicesClone, "deploy.sh"),
  `export AWS_ACCESS_KEY_ID=${["AKIA", "Q7Z3XW9PLM2K4RTB"].join("")}\n`,
);
git(alicesClone, "add", "deploy.sh");
const commit = spawnSync("git", ["commit", "-q", "-m", "deploy script"], {
  cwd: alicesClone,
  encoding: "utf8",
  env: { ...process.env, ...env },
});
const blockedLine = commit.stderr.split("\n").find((l) => l.includes("deploy.sh")) ?? "";
log(`guard: commit ${commit.status === 0 ? "went through" : "blocked"}: ${blockedLine}`);

// 7. The schema gains a required key; the config check says who must set what.
write(
  join(alicesClone, "config", "schema.yaml"),
  "required:\n  DB_HOST: database host\n  DB_PASSWORD: database password\n  API_TOKEN: token of the payments API\ndefaults:\n  DB_PORT: 5432\n  LOG_LEVEL: info\n",
);
const check = await configCheck({
  dir: alicesClone,
  schema: "config/schema.yaml",
  files: ["config/prod.env", "config/dev.env"],
  since: "HEAD",
  env,
});
for (const f of check.files) {
  log(
    `config check ${f.path}: missing ${f.missing.join(", ") || "nothing"}; overriding ${f.overriding.join(", ") || "nothing"}`,
  );
}
log(`required keys added since HEAD: ${check.addedSince?.map((a) => a.key).join(", ")}`);

writeFileSync(join(out, "report.txt"), `${report.join("\n")}\n`);
const ok =
  leaks === 0 &&
  seen === "DB_PASSWORD=pr0d-Xq93-secret" &&
  bobNew === "WRONG_KEY" &&
  commit.status !== 0 &&
  check.files.every((f) => f.missing.includes("API_TOKEN"));
writeFileSync(
  join(out, "result.json"),
  JSON.stringify({
    showed: `prod/dev configs encrypted for 2 members (0 passwords in git objects); bob removed → key epoch ${rotation?.generation}, his key opens only old commits; guard blocked an AWS key; config check: API_TOKEN missing in both environments`,
  }),
);
if (!ok) process.exitCode = 1;
