import { existsSync, rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Codec } from "../core/codec.js";
import { GitSecretsError } from "../errors.js";
import { type GitOptions, runGit } from "./git.js";

/** Inputs of {@link mergeSealed}: the three versions as git stores them (ciphertext). */
export interface MergeSealedOptions extends GitOptions {
  codec: Codec;
  base: Uint8Array;
  ours: Uint8Array;
  theirs: Uint8Array;
  /**
   * Conflict marker length git asks for (`%L`).
   * @defaultValue `7`
   */
  markerSize?: number | undefined;
  /**
   * Where the private directory for the three plaintexts is made (mode 0700, removed on every
   * exit path, also when the process is interrupted).
   * @defaultValue `/dev/shm` when it exists (memory, never written to disk), else `os.tmpdir()`
   */
  tempDir?: string | undefined;
  /**
   * The file's path, for messages and conflict labels.
   * @defaultValue `"file"` in labels
   */
  path?: string | undefined;
}

/**
 * A three-way merge of encrypted files as git's merge driver (`merge=git-seal`): the three
 * versions are decrypted, merged by `git merge-file` in a private temporary directory (mode
 * 0700, removed afterwards) and the result sealed again, so git stores ciphertext even for a
 * conflicted result, and the work tree shows plaintext conflict markers.
 */
export async function mergeSealed(
  options: MergeSealedOptions,
): Promise<{ result: Uint8Array; conflicts: boolean }> {
  const { codec } = options;
  const [base, ours, theirs] = [options.base, options.ours, options.theirs].map((blob) =>
    codec.open(blob, options.path),
  ) as [Uint8Array, Uint8Array, Uint8Array];
  const dir = await mkdtemp(join(options.tempDir ?? defaultTempDir(), "git-seal-merge-"));
  // An interrupted merge (Ctrl-C, git killing the driver) must not leave plaintext behind.
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const onSignal = (signal: NodeJS.Signals) => {
    cleanup();
    process.kill(process.pid, signal);
  };
  process.once("exit", cleanup);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  process.once("SIGHUP", onSignal);
  try {
    await Promise.all([
      writeFile(join(dir, "base"), base, { mode: 0o600 }),
      writeFile(join(dir, "ours"), ours, { mode: 0o600 }),
      writeFile(join(dir, "theirs"), theirs, { mode: 0o600 }),
    ]);
    const label = options.path ?? "file";
    const merged = await runGit(
      dir,
      [
        "merge-file",
        "-p",
        `--marker-size=${options.markerSize ?? 7}`,
        "-L",
        `${label} (ours)`,
        "-L",
        `${label} (base)`,
        "-L",
        `${label} (theirs)`,
        "ours",
        "base",
        "theirs",
      ],
      { ...options, allowFailure: true },
    );
    // merge-file exits with the number of conflicts (capped at 127), or 255 on an error such
    // as binary content: then keep ours and report a conflict, as git does for binaries.
    if (merged.code > 127 || merged.code < 0) {
      return { result: options.ours, conflicts: true };
    }
    return { result: codec.seal(new Uint8Array(merged.stdout)), conflicts: merged.code !== 0 };
  } catch (cause) {
    if (cause instanceof GitSecretsError) throw cause;
    throw new GitSecretsError(
      "GIT_FAILED",
      `cannot merge ${options.path ?? "the file"}: ${String(cause)}`,
      {
        cause,
      },
    );
  } finally {
    process.off("exit", cleanup);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("SIGHUP", onSignal);
    await rm(dir, { recursive: true, force: true });
  }
}

function defaultTempDir(): string {
  return existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
}
