import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { GitSecretsError } from "../errors.js";

/** How to run the system `gpg`. */
export interface GpgOptions {
  /**
   * The gpg executable.
   * @defaultValue `"gpg"` (from PATH; Debian package gnupg)
   */
  gpg?: string | undefined;
  /**
   * The GnuPG home (`GNUPGHOME`) holding your secret key.
   * @defaultValue gpg's own (`$GNUPGHOME`, else `~/.gnupg`)
   */
  gpgHome?: string | undefined;
}

/** Decrypts `data` with the secret keys gpg has; undefined when none of them opens it. */
export function gpgDecrypt(
  data: Uint8Array,
  options: GpgOptions & { signal?: AbortSignal | undefined } = {},
): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.gpg ?? "gpg", ["--batch", "--quiet", "--yes", "--decrypt"], {
      env: { ...process.env, ...(options.gpgHome ? { GNUPGHOME: options.gpgHome } : {}) },
      stdio: ["pipe", "pipe", "pipe"],
      signal: options.signal,
    });
    const out: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", () => {});
    child.stdin.on("error", () => {});
    child.on("error", (cause) =>
      reject(
        new GitSecretsError(
          cause.name === "AbortError" ? "ABORTED" : "INVALID_ARGUMENT",
          `cannot run ${options.gpg ?? "gpg"}: ${cause.message} (install gnupg)`,
          { cause },
        ),
      ),
    );
    child.on("close", (code) =>
      resolve(code === 0 ? new Uint8Array(Buffer.concat(out)) : undefined),
    );
    child.stdin.end(data);
  });
}

/** git-crypt's GPG-shared keys in a work tree: `.git-crypt/keys/<key name>/0/<fingerprint>.gpg`. */
export async function gitCryptGpgFiles(
  top: string,
): Promise<{ keyName: string; fingerprint: string; path: string }[]> {
  const found: { keyName: string; fingerprint: string; path: string }[] = [];
  const base = join(top, ".git-crypt", "keys");
  let names: string[];
  try {
    names = (await readdir(base)).sort();
  } catch {
    return found;
  }
  for (const keyName of names) {
    let files: string[];
    try {
      files = (await readdir(join(base, keyName, "0"))).sort();
    } catch {
      continue;
    }
    for (const file of files) {
      if (!file.endsWith(".gpg")) continue;
      found.push({ keyName, fingerprint: file.slice(0, -4), path: join(base, keyName, "0", file) });
    }
  }
  return found;
}

/** The git-crypt key files of the repository that your GPG keys open, one per key name. */
export async function openGitCryptGpgKeys(
  top: string,
  options: GpgOptions & { signal?: AbortSignal | undefined },
): Promise<{ keyName: string; fingerprint: string; bytes: Uint8Array }[]> {
  const files = await gitCryptGpgFiles(top);
  if (files.length === 0) {
    throw new GitSecretsError(
      "KEY_NOT_FOUND",
      "this repository has no GPG-shared git-crypt keys (.git-crypt/keys/<name>/0/<fingerprint>.gpg)",
    );
  }
  const opened = new Map<string, { keyName: string; fingerprint: string; bytes: Uint8Array }>();
  for (const file of files) {
    if (opened.has(file.keyName)) continue;
    const bytes = await gpgDecrypt(new Uint8Array(await readFile(file.path)), options);
    if (bytes)
      opened.set(file.keyName, { keyName: file.keyName, fingerprint: file.fingerprint, bytes });
  }
  if (opened.size === 0) {
    throw new GitSecretsError(
      "MEMBER_NOT_FOUND",
      `none of the repository's GPG-encrypted keys (${files.map((f) => f.fingerprint).join(", ")}) opens with the secret keys gpg has${options.gpgHome ? ` in ${options.gpgHome}` : ""}`,
    );
  }
  return [...opened.values()];
}
