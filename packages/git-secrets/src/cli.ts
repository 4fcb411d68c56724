#!/usr/bin/env node
import { readFileSync, realpathSync } from "node:fs";
import { readFile as readLocalFile, writeFile as writeLocalFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { plaintextInEncryptedPath, plaintextWarning } from "./adapters/filter-process.js";
import {
  addUser,
  configCheck,
  configResolve,
  exportKey,
  filterCodec,
  GitSecretsError,
  guard,
  importKey,
  init,
  installGuard,
  isEncryptedBlob,
  keygen,
  listMembers,
  lock,
  ls,
  mergeSealed,
  migrateFromGpg,
  removeUser,
  rotate,
  scan,
  serveFilter,
  shellQuote,
  status,
  unlock,
} from "./index.js";
import { type Logger, stderrLogger } from "./logger.js";
import { strictMode } from "./operations/filter.js";

const HELP = `git-seal — transparent file encryption in git (git-crypt compatible)

usage: git-seal <command> [options]

  init [-k NAME] [--format git-seal|git-crypt] [--no-strict]
                                                 create a key, configure the filter
  unlock [KEYFILE|-] [-k NAME] [--force] [--strict|--no-strict] [--disable-rerere]
                                                 use a key (or the stored one); decrypt the work tree
  lock [-k NAME | -a] [-f|--force]               forget the key; return files to ciphertext
                                                 (refuses while the work tree has uncommitted changes)
  status [-e | -u] [-f]                          which files are encrypted; -f re-stages plaintext ones
  ls                                             encrypted files and their keys
  export-key [-k NAME] [--passphrase] [--cost moderate|sensitive|interactive] FILE
                                                 write the key file (FILE "-" = stdout); Argon2id
                                                 MODERATE by default, passphrases of 12+ characters
  import-key KEYFILE [-k NAME]                   store a key file without touching the work tree
  members                                        members and the keys sealed for them

Team members (no GPG): each makes a key pair, a member adds them, they unlock with it.
  keygen [--output FILE] [--label TEXT] [--passphrase] [--force]
                                                 X25519 key pair; private key 0600 in ~/.config/git-seal
  add-user PUBKEY|FILE [-k NAME] [--no-commit]   seal the repository key for a member (git-seal-x25519
                                                 or ssh-ed25519 public key), commit .git-seal/
  unlock --identity FILE                         unlock with your private key (a git-seal identity or an
                                                 unencrypted OpenSSH ed25519 key); plain unlock uses
                                                 ~/.config/git-seal/identity when no key is stored
  unlock --gpg [--gpg-home DIR]                  unlock a git-crypt repository shared with GPG
                                                 (add-gpg-user) through the system gpg
  migrate --from-gpg [--member PUBKEY|FILE|ID]… [-k NAME] [--gpg [--gpg-home DIR]]
          [--remove-gpg | --remove-gpg-user FINGERPRINT…] [--no-commit]
                                                 seal the key git-crypt shared with GPG for members
                                                 (given, or already recorded); GPG users keep
                                                 unlocking until removed; data and key unchanged
  remove-user MEMBER [--no-commit] [--force]     drop a member (id, label or public key) and rotate
  rotate [-k NAME] [--no-commit] [--force]       new key epoch: re-encrypt current files, re-seal for members;
                                                 older epochs still open history

Leak guard:
  guard install [--force]                        pre-commit hook: blocks plaintext in encrypted paths
                                                 and likely secrets (AWS keys, private keys, tokens)
  guard                                          check the staged changes (what the hook runs)
  scan [--history]                               likely secrets in the work tree or in every blob
                                                 of the history, and how to purge them
  (own patterns: git config --add git-seal.guard.pattern REGEX; exceptions: git-seal.guard.allowed)

Configuration (.properties, .env, .json, .yaml; encrypted files are read decrypted):
  config check --schema SCHEMA [--since REF] FILE…   missing required keys, unknown keys, keys
                                                 overriding defaults; --since: required keys added
  config resolve --schema SCHEMA [--json] FILE   the effective configuration of one environment
  version                                        print the version

Passphrases come from --passphrase-file FILE, the GIT_SEAL_PASSPHRASE variable, or a prompt.
Strict mode (git config git-seal.strict, on for new repositories) refuses plaintext blobs in
paths .gitattributes marks encrypted; off, they pass with a warning as in git-crypt.
The .gitattributes line is printed by init, e.g.  *.env filter=git-seal diff=git-seal
Add merge=git-seal to the attributes to merge encrypted files as plaintext.
Plumbing (git runs these): filter-process, clean, smudge, textconv, merge --filter NAME`;

/** The command git should run to reach this very CLI, as it was started. */
function selfCommand(): string {
  if (process.env.GIT_SEAL_COMMAND) return process.env.GIT_SEAL_COMMAND;
  const script = process.argv[1] ? realpathSync(process.argv[1]) : "git-seal";
  // Node flags of this run (--inspect, --cpu-prof, …) are deliberately left out.
  return [process.execPath, script].map(shellQuote).join(" ");
}

/** The version in this package's package.json, found by walking up from this file. */
function ownVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (pkg.name === "@tinkerbox/git-secrets") return String(pkg.version);
    } catch {
      // no package.json here: keep walking up
    }
    dir = dirname(dir);
  }
  return "unknown";
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

async function prompt(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const out = rl as unknown as { _writeToOutput: (s: string) => void };
  let asked = false;
  out._writeToOutput = (s: string) => {
    if (!asked) {
      process.stderr.write(s);
      asked = true;
    }
  };
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    process.stderr.write("\n");
    rl.close();
  }
}

async function passphrase(file: string | undefined, confirm: boolean): Promise<string> {
  if (file) return (await readLocalFile(file, "utf8")).replace(/\r?\n$/, "");
  if (process.env.GIT_SEAL_PASSPHRASE) return process.env.GIT_SEAL_PASSPHRASE;
  if (!process.stdin.isTTY) {
    throw new GitSecretsError(
      "PASSPHRASE_REQUIRED",
      "a passphrase is needed: use --passphrase-file or GIT_SEAL_PASSPHRASE",
    );
  }
  const first = await prompt("Passphrase: ");
  if (confirm && (await prompt("Repeat passphrase: ")) !== first) {
    throw new GitSecretsError("INVALID_ARGUMENT", "the passphrases differ");
  }
  return first;
}

/** A plaintext blob in an encrypted path: refused in strict mode, passed with a warning otherwise. */
async function passPlaintext(data: Uint8Array, path: string, logger: Logger): Promise<Uint8Array> {
  if (await strictMode({})) throw plaintextInEncryptedPath(path);
  logger.warn(plaintextWarning(path));
  return data;
}

function codecFor(filter: string) {
  return filterCodec({ filter });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      "key-name": { type: "string", short: "k" },
      format: { type: "string" },
      force: { type: "boolean" },
      all: { type: "boolean", short: "a" },
      encrypted: { type: "boolean", short: "e" },
      unencrypted: { type: "boolean", short: "u" },
      fix: { type: "boolean", short: "f" },
      passphrase: { type: "boolean" },
      "passphrase-file": { type: "string" },
      filter: { type: "string" },
      help: { type: "boolean", short: "h" },
      strict: { type: "boolean" },
      "no-strict": { type: "boolean" },
      "disable-rerere": { type: "boolean" },
      cost: { type: "string" },
      identity: { type: "string", short: "i" },
      output: { type: "string", short: "o" },
      label: { type: "string" },
      "no-commit": { type: "boolean" },
      history: { type: "boolean" },
      gpg: { type: "boolean" },
      "gpg-home": { type: "string" },
      "from-gpg": { type: "boolean" },
      member: { type: "string", multiple: true },
      "remove-gpg": { type: "boolean" },
      "remove-gpg-user": { type: "string", multiple: true },
      schema: { type: "string" },
      since: { type: "string" },
      json: { type: "boolean" },
    },
  });
  const keyName = values["key-name"];
  const strict = values["no-strict"] ? false : values.strict ? true : undefined;
  const logger = stderrLogger();
  const out = (line: string) => process.stdout.write(`${line}\n`);

  switch (command) {
    case "init": {
      const format = values.format ?? "git-seal";
      if (format !== "git-seal" && format !== "git-crypt") {
        throw new GitSecretsError(
          "INVALID_ARGUMENT",
          `--format must be git-seal or git-crypt, not ${format}`,
        );
      }
      const r = await init({ keyName, format, command: selfCommand(), strict });
      out(
        `Generated ${r.format} key "${r.keyName}" (key id ${r.keyIds[0]}), stored in ${r.keyPath}`,
      );
      out("Mark the files to encrypt in .gitattributes, for example:");
      out(`  ${r.exampleLine}`);
      out(`(add merge=${r.filterName} as well to merge and rebase them as plaintext)`);
      out("Back the key up: git-seal export-key --passphrase <file>");
      return 0;
    }
    case "unlock": {
      const keyFile = positionals[0] === "-" ? undefined : positionals[0];
      const key = positionals[0] === "-" ? await readStdin() : undefined;
      let r: Awaited<ReturnType<typeof unlock>>;
      const options = {
        key,
        keyFile,
        identity: values.identity,
        gpg: values.gpg ? (values["gpg-home"] ? { gpgHome: values["gpg-home"] } : true) : undefined,
        keyName,
        force: values.force,
        command: selfCommand(),
        strict,
        disableRerere: values["disable-rerere"],
        logger,
      };
      try {
        r = await unlock(options);
      } catch (error) {
        if (!(error instanceof GitSecretsError && error.code === "PASSPHRASE_REQUIRED"))
          throw error;
        const pass = await passphrase(values["passphrase-file"], false);
        r = await unlock({ ...options, passphrase: pass, identityPassphrase: pass });
      }
      for (const k of r.keys)
        out(`Unlocked ${k.format} key "${k.keyName}" (key id ${k.keyIds[0]})`);
      out(`${r.files.length} encrypted file(s) checked out as plaintext`);
      if (!r.strict)
        out("Strict mode is off: plaintext blobs in encrypted paths pass with a warning");
      return 0;
    }
    case "lock": {
      // -f is git-crypt's short form of --force for lock.
      const r = await lock({ keyName, all: values.all, force: values.force || values.fix });
      out(
        `Locked key(s) ${r.keyNames.join(", ")}; ${r.files.length} file(s) returned to ciphertext`,
      );
      return 0;
    }
    case "status": {
      const only = values.encrypted ? "encrypted" : values.unencrypted ? "unencrypted" : undefined;
      const r = await status({ only, fix: values.fix, command: selfCommand() });
      const problems = new Set(r.problems);
      const lines = r.files.map((f) => {
        const warn = problems.has(f.path)
          ? " *** WARNING: staged version is NOT ENCRYPTED! ***"
          : "";
        return `${f.encrypted ? "    encrypted" : "not encrypted"}: ${f.path}${warn}`;
      });
      if (lines.length) out(lines.join("\n"));
      if (r.fixed.length) {
        out(
          `Re-staged ${r.fixed.length} file(s) encrypted; commit them. Earlier commits still hold their plaintext.`,
        );
      }
      if (r.problems.length) {
        process.stderr.write(
          `git-seal: ${r.problems.length} file(s) should be encrypted but are staged in plaintext; run git-seal status -f\n`,
        );
        return 1;
      }
      return 0;
    }
    case "ls": {
      const lines = (await ls({})).map(
        (f) => `${f.keyName}\t${f.format}\t${f.keyId ?? "-"}\t${f.staged}\t${f.path}`,
      );
      if (lines.length) out(lines.join("\n"));
      return 0;
    }
    case "export-key": {
      const target = positionals[0];
      if (!target)
        throw new GitSecretsError("INVALID_ARGUMENT", "export-key needs a FILE (or - for stdout)");
      const pass =
        values.passphrase || values["passphrase-file"]
          ? await passphrase(values["passphrase-file"], true)
          : undefined;
      const cost = values.cost;
      if (
        cost !== undefined &&
        cost !== "interactive" &&
        cost !== "moderate" &&
        cost !== "sensitive"
      ) {
        throw new GitSecretsError(
          "INVALID_ARGUMENT",
          `--cost must be interactive, moderate or sensitive, not ${cost}`,
        );
      }
      const data = await exportKey({
        keyName,
        cost,
        passphrase: pass,
        output: target === "-" ? undefined : target,
      });
      if (target === "-") process.stdout.write(data);
      return 0;
    }
    case "import-key": {
      const keyFile = positionals[0];
      if (!keyFile) throw new GitSecretsError("INVALID_ARGUMENT", "import-key needs a KEYFILE");
      let r: Awaited<ReturnType<typeof importKey>>;
      try {
        r = await importKey({ keyFile, keyName });
      } catch (error) {
        if (!(error instanceof GitSecretsError && error.code === "PASSPHRASE_REQUIRED"))
          throw error;
        r = await importKey({
          keyFile,
          keyName,
          passphrase: await passphrase(values["passphrase-file"], false),
        });
      }
      out(`Imported ${r.format} key "${r.keyName}" (key id ${r.keyIds[0]}) into ${r.keyPath}`);
      return 0;
    }
    case "keygen": {
      const pass =
        values.passphrase || values["passphrase-file"]
          ? await passphrase(values["passphrase-file"], true)
          : undefined;
      const r = await keygen({
        output: values.output,
        label: values.label,
        passphrase: pass,
        force: values.force,
      });
      out(`Private key: ${r.path} (mode 0600${pass ? ", passphrase-protected" : ""})`);
      out(`Public key (give it to a member for git-seal add-user), also in ${r.publicKeyPath}:`);
      out(`  ${r.publicKey}`);
      return 0;
    }
    case "add-user": {
      const publicKey = positionals.join(" ");
      if (!publicKey)
        throw new GitSecretsError("INVALID_ARGUMENT", "add-user needs a public key or its file");
      const r = await addUser({ publicKey, keyName, commit: !values["no-commit"] });
      out(
        `Added member ${r.memberId}${r.label ? ` (${r.label})` : ""} to key "${r.keyName}"${values["no-commit"] ? "; commit .git-seal/" : ", committed"}`,
      );
      return 0;
    }
    case "members": {
      const list = await listMembers({});
      for (const m of list)
        out(`${m.memberId}\t${m.kind}\t${m.keyNames.join(",") || "-"}\t${m.label}`);
      return 0;
    }
    case "rotate": {
      const r = await rotate({
        keyName,
        force: values.force,
        commit: !values["no-commit"],
        logger,
      });
      out(
        `${r.resumed ? "Finished the interrupted rotation of" : "Rotated"} key "${r.keyName}" to epoch ${r.generation} (key id ${r.keyId}); ${r.files.length} file(s) re-encrypted, sealed for ${r.members.length} member(s)`,
      );
      out("Older epochs stay in the key: history still decrypts for everyone who has them.");
      return 0;
    }
    case "migrate": {
      if (!values["from-gpg"]) {
        throw new GitSecretsError(
          "INVALID_ARGUMENT",
          "migrate needs --from-gpg (the only migration there is: git-crypt GPG users to git-seal members)",
        );
      }
      if (values["remove-gpg"] && values["remove-gpg-user"]) {
        throw new GitSecretsError(
          "INVALID_ARGUMENT",
          "give either --remove-gpg (every GPG user) or --remove-gpg-user FINGERPRINT, not both",
        );
      }
      const r = await migrateFromGpg({
        members: [...(values.member ?? []), ...positionals],
        keyName,
        gpg: values.gpg ? (values["gpg-home"] ? { gpgHome: values["gpg-home"] } : true) : undefined,
        removeGpg: values["remove-gpg"] ? true : values["remove-gpg-user"],
        commit: !values["no-commit"],
      });
      for (const m of r.members) {
        out(
          `Sealed key(s) ${r.keyNames.join(", ")} for member ${m.memberId}${m.label ? ` (${m.label})` : ""}`,
        );
      }
      for (const u of r.removedGpgUsers)
        out(`Removed GPG user ${u.fingerprint} of key "${u.keyName}"`);
      for (const u of r.remainingGpgUsers)
        out(`GPG user ${u.fingerprint} of key "${u.keyName}" kept`);
      out(r.notice);
      return 0;
    }
    case "remove-user": {
      const member = positionals.join(" ");
      if (!member) throw new GitSecretsError("INVALID_ARGUMENT", "remove-user needs a member");
      const r = await removeUser({
        member,
        force: values.force,
        commit: !values["no-commit"],
        logger,
      });
      for (const rotation of r.rotations) {
        out(
          `Rotated key "${rotation.keyName}" to epoch ${rotation.generation}; ${rotation.files.length} file(s) re-encrypted`,
        );
      }
      out(r.notice);
      return 0;
    }
    case "guard": {
      if (positionals[0] === "install") {
        const r = await installGuard({ command: selfCommand(), force: values.force });
        out(`Installed the git-seal leak guard as ${r.path}`);
        return 0;
      }
      const r = await guard({});
      for (const path of r.plaintext) {
        process.stderr.write(
          `git-seal guard: ${path} is marked encrypted but staged as PLAINTEXT (filter not configured or repository locked): git-seal unlock, then git add ${path}\n`,
        );
      }
      for (const f of r.findings) {
        process.stderr.write(
          `git-seal guard: ${f.path}:${f.line}: ${f.description} (${f.redacted})\n`,
        );
      }
      if (!r.ok) {
        process.stderr.write(
          "git-seal guard: commit blocked. Move secrets into encrypted files, add git-seal:allow to a line that is no secret, or bypass once with git commit --no-verify\n",
        );
        return 1;
      }
      return 0;
    }
    case "scan": {
      const r = await scan({ history: values.history });
      for (const f of r.findings) {
        out(`${f.path}:${f.line}\t${f.rule}\t${f.redacted}${f.blob ? `\tblob ${f.blob}` : ""}`);
      }
      process.stderr.write(
        `git-seal scan: ${r.findings.length} likely secret(s) in ${r.scanned} ${values.history ? "blob(s) of the history" : "file(s)"}\n`,
      );
      for (const line of r.advice) process.stderr.write(`  ${line}\n`);
      return r.findings.length > 0 ? 1 : 0;
    }
    case "config": {
      const [action, ...files] = positionals;
      const schema = values.schema;
      if (!schema) throw new GitSecretsError("INVALID_ARGUMENT", "config needs --schema SCHEMA");
      if (action === "check") {
        if (files.length === 0)
          throw new GitSecretsError("INVALID_ARGUMENT", "config check needs environment files");
        const r = await configCheck({ schema, files, since: values.since });
        for (const f of r.files) {
          const problems = [
            ...f.missing.map((k) => `  missing required: ${k}`),
            ...f.unknown.map((k) => `  unknown: ${k}`),
            ...f.overriding.map((k) => `  overrides default: ${k}`),
          ];
          out(
            `${f.path}: ${f.missing.length === 0 ? "ok" : `${f.missing.length} required key(s) missing`}`,
          );
          if (problems.length) out(problems.join("\n"));
        }
        if (r.addedSince) {
          out(
            `required keys added since ${values.since}: ${r.addedSince.length === 0 ? "none" : ""}`,
          );
          for (const a of r.addedSince)
            out(`  ${a.key}${a.description ? ` — ${a.description}` : ""}`);
        }
        return r.ok ? 0 : 1;
      }
      if (action === "resolve") {
        const file = files[0];
        if (!file || files.length > 1)
          throw new GitSecretsError(
            "INVALID_ARGUMENT",
            "config resolve needs one environment file",
          );
        const resolved = await configResolve({ schema, file });
        if (values.json) out(JSON.stringify(resolved, null, 2));
        else for (const [k, v] of Object.entries(resolved)) out(`${k}=${v}`);
        return 0;
      }
      throw new GitSecretsError("INVALID_ARGUMENT", "config check | config resolve");
    }
    case "filter-process": {
      await serveFilter({
        filter: values.filter ?? "git-seal",
        // Raw descriptors: blocking reads and writes answer git's round trips fastest.
        input: 0,
        output: 1,
      });
      return 0;
    }
    case "clean":
    case "smudge": {
      const codec = await codecFor(values.filter ?? "git-seal");
      const input = await readStdin();
      if (command === "smudge" && !isEncryptedBlob(input)) {
        process.stdout.write(await passPlaintext(input, "", logger));
        return 0;
      }
      process.stdout.write(command === "clean" ? codec.seal(input) : codec.open(input));
      return 0;
    }
    case "merge": {
      // git runs: merge --filter NAME %O %A %B %L %P — the result goes into %A.
      const [base, ours, theirs, markerSize, path] = positionals;
      if (!base || !ours || !theirs) {
        throw new GitSecretsError(
          "INVALID_ARGUMENT",
          "merge needs BASE OURS THEIRS [MARKER_SIZE [PATH]]",
        );
      }
      const codec = await codecFor(values.filter ?? "git-seal");
      const read = async (file: string) => new Uint8Array(await readLocalFile(file));
      const merged = await mergeSealed({
        codec,
        base: await read(base),
        ours: await read(ours),
        theirs: await read(theirs),
        markerSize: markerSize ? Number(markerSize) : undefined,
        path,
      });
      await writeLocalFile(ours, merged.result);
      return merged.conflicts ? 1 : 0;
    }
    case "textconv": {
      const file = positionals[0];
      if (!file) throw new GitSecretsError("INVALID_ARGUMENT", "textconv needs a FILE");
      // git hands textconv the work-tree side of a diff too, which is plaintext by design, so
      // plaintext passes here silently (as in git-crypt); strict mode acts on checkout.
      const codec = await codecFor(values.filter ?? "git-seal");
      process.stdout.write(codec.open(new Uint8Array(await readLocalFile(file)), file));
      return 0;
    }
    case "version":
    case "--version": {
      out(`git-seal ${ownVersion()}`);
      return 0;
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      out(HELP);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`git-seal: unknown command "${command}"\n\n${HELP}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof GitSecretsError) {
      process.stderr.write(`git-seal: ${error.message} [${error.code}]\n`);
      process.exitCode = 1;
    } else if (
      error instanceof Error &&
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      process.stderr.write(`git-seal: ${error.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(
        `git-seal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    }
  },
);
