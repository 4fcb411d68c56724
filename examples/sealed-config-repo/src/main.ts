// A config repository the way a team keeps one: environment files with passwords, encrypted
// in git by git-seal, plaintext for whoever holds the key. Runs real git in out/<example>/.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  exportKey,
  init,
  listEncrypted,
  lock,
  readFile,
  status,
  unlock,
} from "@tinkerbox/git-secrets";

const out = resolve(process.env.TINKERBOX_DEMO_OUT ?? "out");
const origin = join(out, "config-repo");
const clone = join(out, "config-clone");
const keyBackup = join(out, "config-repo.key.sealed");
const passphrase = "correct horse battery staple";
const report: string[] = [];
const log = (line: string) => {
  console.log(line);
  report.push(line);
};
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.name=Demo", "-c", "user.email=demo@example.com", ...args], {
    cwd,
    encoding: "utf8",
  });

// 1. A repository with a git-seal key; init says which attributes mark a file.
mkdirSync(origin, { recursive: true });
git(origin, "init", "-q", "-b", "main");
const created = await init({ dir: origin });
log(`init: key ${created.keyIds[0]}, attributes "${created.attributes}"`);

// 2. Environment configs: passwords in config/*.env (encrypted), public settings in JSON.
mkdirSync(join(origin, "config"), { recursive: true });
writeFileSync(join(origin, ".gitattributes"), `config/*.env ${created.attributes}\n`);
writeFileSync(
  join(origin, "config", "prod.env"),
  "DB_HOST=db.prod.internal\nDB_PASSWORD=s3cr3t-prod-pw\n",
);
writeFileSync(
  join(origin, "config", "staging.env"),
  "DB_HOST=db.staging.internal\nDB_PASSWORD=staging-pw-42\n",
);
writeFileSync(join(origin, "config", "app.json"), '{ "replicas": 3, "region": "eu-west-1" }\n');
git(origin, "add", ".");
git(origin, "commit", "-q", "-m", "environment configs");

// 3. What git stores: every object, scanned for the passwords.
const objects = execFileSync("git", ["cat-file", "--batch-all-objects", "--batch"], {
  cwd: origin,
});
const objectCount = git(origin, "cat-file", "--batch-all-objects", "--batch-check")
  .trim()
  .split("\n").length;
const leaked = ["s3cr3t-prod-pw", "staging-pw-42"].filter((s) => objects.includes(s));
log(`git objects: ${objectCount}, passwords found in them: ${leaked.length}`);
const blobHead = execFileSync("git", ["cat-file", "blob", "HEAD:config/prod.env"], { cwd: origin });
log(
  `HEAD:config/prod.env in git starts with ${JSON.stringify(blobHead.subarray(0, 8).toString("latin1"))}`,
);
const st = await status({ dir: origin });
log(
  `status: ${st.files.filter((f) => f.encrypted).length} encrypted, ${st.problems.length} staged in plaintext`,
);

// 4. Back the key up with a passphrase (Argon2id + XChaCha20-Poly1305).
await exportKey({ dir: origin, passphrase, output: keyBackup });
log(`key backup: ${keyBackup} (passphrase-protected, mode 0600)`);

// 5. A colleague clones: ciphertext until unlocked with the backup and its passphrase.
git(out, "clone", "-q", origin, clone);
const before = readFileSync(join(clone, "config", "prod.env"));
log(`clone before unlock: prod.env is ${before.length} bytes of ciphertext`);
const unlocked = await unlock({ dir: clone, keyFile: keyBackup, passphrase });
log(
  `clone after unlock: ${unlocked.files.length} files decrypted; prod.env reads ${JSON.stringify(readFileSync(join(clone, "config", "prod.env"), "utf8").split("\n")[1])}`,
);

// 6. A service reads one value at a commit, straight from the object database.
const key = await exportKey({ dir: origin });
const prod = new TextDecoder().decode(
  await readFile({ dir: origin, ref: "main", path: "config/prod.env", key }),
);
const password = /^DB_PASSWORD=(.*)$/m.exec(prod)?.[1];
const listed = await listEncrypted({ dir: origin, ref: "main" });
log(
  `readFile at main: DB_PASSWORD=${password}; listEncrypted: ${listed.map((f) => f.path).join(", ")}`,
);

// 7. Lock the clone again: files return to ciphertext, the key leaves .git.
const locked = await lock({ dir: clone });
log(`lock: ${locked.files.length} files back to ciphertext`);

writeFileSync(join(out, "report.txt"), `${report.join("\n")}\n`);
writeFileSync(
  join(out, "result.json"),
  JSON.stringify({
    showed: `2 env files committed encrypted (0 passwords in ${objectCount} git objects), a clone unlocked with a passphrase-protected key, DB_PASSWORD read at main without a work tree`,
  }),
);
if (leaked.length || password !== "s3cr3t-prod-pw") process.exitCode = 1;
