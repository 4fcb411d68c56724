import { addToBlobCache, readBlobCache } from "../adapters/blob-cache.js";
import { type GitOptions, type RepoPaths, readBlobs, runGit, splitNul } from "../adapters/git.js";
import { startsWith } from "../core/bytes.js";
import { parseFilterName } from "../core/filter-name.js";
import { GITCRYPT_BLOB_MAGIC } from "../core/gitcrypt-format.js";
import type { SealFormat } from "../core/keys.js";
import { NATIVE_BLOB_MAGIC, nativeBlobKeyId } from "../core/native-format.js";

/** What git-seal knows about one file of the work tree. */
export interface FileInfo {
  path: string;
  /** The filter attribute's value when it names a git-seal/git-crypt driver. */
  filterName: string | undefined;
  keyName: string | undefined;
  format: SealFormat | undefined;
  /** The staged blob: encrypted, plaintext, or not in the index at all. */
  staged: "encrypted" | "plaintext" | "untracked";
  /** For a staged git-seal blob: the key id in its header. */
  blobKeyId: string | undefined;
  /** The staged blob's object id. */
  oid: string | undefined;
}

/**
 * One pass over the repository with three git processes however many files (ls-files,
 * check-attr, and cat-file --batch only for blobs not already known to be encrypted): this is
 * why `status` is fast.
 */
export async function scanFiles(
  start: string,
  repo: Promise<RepoPaths> | RepoPaths,
  git: GitOptions,
  options: { untracked?: boolean; cache?: boolean } = {},
): Promise<FileInfo[]> {
  // ls-files runs from wherever we are (`:/` = the whole work tree, full names), so it does
  // not wait for rev-parse; check-attr needs the top and starts once both are known.
  const everything = ["--full-name", "--", ":/"];
  // One ls-files lists both: staged entries as "mode oid stage<TAB>path", untracked files
  // (with -o) as bare paths.
  const args = options.untracked
    ? ["ls-files", "-z", "-s", "-o", "--exclude-standard", ...everything]
    : ["ls-files", "-z", "-s", ...everything];
  const [listing, { top, gitDir }] = await Promise.all([runGit(start, args, git), repo]);
  const staged = new Map<string, string>();
  const untracked: string[] = [];
  for (const record of splitNul(listing.stdout)) {
    const entry = STAGED.exec(record);
    if (!entry) {
      untracked.push(record);
      continue;
    }
    const [, mode, oid, stage, path] = entry as unknown as [string, string, string, string, string];
    if (stage !== "0" && staged.has(path)) continue;
    // Submodules have no content here, and git never runs filters on symbolic links.
    if (mode === "160000" || mode === "120000") continue;
    staged.set(path, oid);
  }
  const paths = [...staged.keys(), ...untracked.filter((p) => !staged.has(p))];
  if (paths.length === 0) return [];

  const [attrs, known] = await Promise.all([
    runGit(top, ["check-attr", "-z", "--stdin", "filter"], {
      ...git,
      input: `${paths.join("\0")}\0`,
    }),
    options.cache ? readBlobCache(gitDir) : new Map<string, string>(),
  ]);
  const filterOf = new Map<string, string>();
  const fields = splitNul(attrs.stdout);
  for (let i = 0; i + 2 < fields.length; i += 3) {
    filterOf.set(fields[i] as string, fields[i + 2] as string);
  }

  // Only blobs of files that should be encrypted and that are not known to be encrypted are read.
  const unknown = paths
    .filter(
      (p) =>
        staged.has(p) &&
        parseFilterName(filterOf.get(p) ?? "") &&
        !known.has(staged.get(p) as string),
    )
    .map((p) => staged.get(p) as string);
  const heads = await blobHeads(top, git, unknown);
  const learned: { oid: string; keyId: string | undefined }[] = [];

  const infos = paths.map((path) => {
    const parsed = parseFilterName(filterOf.get(path) ?? "");
    const oid = staged.get(path);
    let state: FileInfo["staged"] = oid ? "plaintext" : "untracked";
    let blobKeyId: string | undefined;
    const head = oid ? heads.get(oid) : undefined;
    const cached = oid === undefined ? undefined : known.get(oid);
    if (cached !== undefined) {
      state = "encrypted";
      blobKeyId = cached || undefined;
    } else if (
      head &&
      (startsWith(head, NATIVE_BLOB_MAGIC) || startsWith(head, GITCRYPT_BLOB_MAGIC))
    ) {
      state = "encrypted";
      blobKeyId = nativeBlobKeyId(head);
      learned.push({ oid: oid as string, keyId: blobKeyId });
    }
    return {
      path,
      filterName: parsed ? filterOf.get(path) : undefined,
      keyName: parsed?.keyName,
      format: parsed?.format,
      staged: state,
      blobKeyId,
      oid,
    };
  });
  if (options.cache) await addToBlobCache(gitDir, learned);
  return infos;
}

const STAGED = /^([0-7]{6}) ([0-9a-f]{40}|[0-9a-f]{64}) ([0-3])\t(.*)$/s;

/** The first bytes of each blob (enough for either header), from one `git cat-file --batch`. */
async function blobHeads(
  top: string,
  git: GitOptions,
  oids: string[],
): Promise<Map<string, Uint8Array>> {
  const heads = new Map<string, Uint8Array>();
  for (const [oid, blob] of await readBlobs(top, git, oids)) {
    heads.set(oid, blob.slice(0, HEAD_BYTES)); // a copy: the batch's buffer can go
  }
  return heads;
}

/** The longest prefix a status decision reads: the git-seal magic and the key id it carries. */
const HEAD_BYTES = 17;
