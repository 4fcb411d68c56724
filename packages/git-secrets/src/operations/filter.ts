import type { Readable, Writable } from "node:stream";
import { addToBlobCache, blobOid } from "../adapters/blob-cache.js";
import { readStrict } from "../adapters/filter-config.js";
import { runFilterProcess } from "../adapters/filter-process.js";
import { readStoredKey } from "../adapters/key-store.js";
import { type Codec, createCodec } from "../core/codec.js";
import { requireFilterName } from "../core/filter-name.js";
import { nativeBlobKeyId } from "../core/native-format.js";
import { GitSecretsError } from "../errors.js";
import type { Logger } from "../logger.js";
import { openRepo, type RepoOptions } from "./context.js";

/** Options of {@link filterCodec} and {@link serveFilter}. */
export interface FilterOptions extends RepoOptions {
  /** The driver name git was configured with: `git-seal`, `git-seal-<key>`, `git-crypt`, … */
  filter: string;
}

/** The codec of the key a filter driver name stands for, from the repository's key store. */
export async function filterCodec(options: FilterOptions): Promise<Codec> {
  const { format, keyName } = requireFilterName(options.filter);
  const repo = await openRepo(options);
  const stored = await readStoredKey(repo.gitDir, format, keyName, repo.worktreeGitDir);
  if (!stored) {
    throw new GitSecretsError(
      "KEY_NOT_FOUND",
      `no ${format} key "${keyName}" is stored in this repository: run git-seal unlock <key file> (or remove filter.${options.filter} from .git/config)`,
    );
  }
  return createCodec(stored.key);
}

/** The repository's strict setting (`git-seal.strict`), off when unset. */
export async function strictMode(options: RepoOptions): Promise<boolean> {
  const repo = await openRepo(options);
  return (await readStrict(repo.top, repo.git)) ?? false;
}

/**
 * Serves git's long-running filter protocol for one driver until git closes the pipe, with
 * the repository's stored key, and records the ids of the blobs it produced so `status` need
 * not read them back. What `git-seal filter-process` runs.
 */
export async function serveFilter(
  options: FilterOptions & {
    /** What git writes: a stream, or a file descriptor read with blocking calls (the CLI passes 0). */
    input: Readable | number;
    /** Where git reads answers: a stream, or a file descriptor (the CLI passes 1). */
    output: Writable | number;
    /**
     * Refuse plaintext blobs in encrypted paths instead of passing them through with a warning.
     * @defaultValue the repository's `git-seal.strict` setting (off when unset)
     */
    strict?: boolean | undefined;
    /**
     * Receives the filter's messages (failed files, plaintext blobs in encrypted paths).
     * @defaultValue `git-seal: …` lines on stderr
     */
    logger?: Logger | undefined;
  },
): Promise<{ files: number }> {
  const produced: { oid: string; keyId: string | undefined }[] = [];
  const result = await runFilterProcess({
    input: options.input,
    output: options.output,
    codec: () => filterCodec(options),
    strict: options.strict ?? (() => strictMode(options)),
    ...(options.logger ? { logger: options.logger } : {}),
    onFile: (event) => {
      if (event.command === "clean") {
        produced.push({ oid: blobOid(event.result), keyId: nativeBlobKeyId(event.result) });
      }
    },
  });
  if (produced.length > 0) await addToBlobCache((await openRepo(options)).gitDir, produced);
  return result;
}
