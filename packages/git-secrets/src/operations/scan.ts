import { type GitOptions, runGit, splitNul } from "../adapters/git.js";
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
 * One pass over the repository with three git processes in total (ls-files, check-attr,
 * cat-file --batch), however many files: this is why `status` is fast.
 */
export async function scanFiles(
  top: string,
  git: GitOptions,
  options: { untracked?: boolean } = {},
): Promise<FileInfo[]> {
  const staged = new Map<string, string>();
  const listing = await runGit(top, ["ls-files", "-z", "-s", "--full-name"], git);
  for (const record of splitNul(listing.stdout)) {
    const tab = record.indexOf("\t");
    const [mode, oid, stage] = record.slice(0, tab).split(" ");
    if (stage !== "0" && staged.has(record.slice(tab + 1))) continue;
    if (mode === "160000" || !oid) continue; // submodules have no content here
    staged.set(record.slice(tab + 1), oid);
  }
  const paths = [...staged.keys()];
  if (options.untracked) {
    const others = await runGit(
      top,
      ["ls-files", "-z", "-o", "--exclude-standard", "--full-name"],
      git,
    );
    paths.push(...splitNul(others.stdout));
  }
  if (paths.length === 0) return [];

  const attrs = await runGit(top, ["check-attr", "-z", "--stdin", "filter"], {
    ...git,
    input: `${paths.join("\0")}\0`,
  });
  const filterOf = new Map<string, string>();
  const fields = splitNul(attrs.stdout);
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const [path, , value] = [fields[i], fields[i + 1], fields[i + 2]];
    if (path !== undefined && value !== undefined) filterOf.set(path, value);
  }

  // Only the blobs of files that should be encrypted are read.
  const wanted = paths.filter((p) => staged.has(p) && parseFilterName(filterOf.get(p) ?? ""));
  const heads = await blobHeads(
    top,
    git,
    wanted.map((p) => staged.get(p) as string),
  );

  return paths.map((path) => {
    const parsed = parseFilterName(filterOf.get(path) ?? "");
    const oid = staged.get(path);
    let state: FileInfo["staged"] = oid ? "plaintext" : "untracked";
    let blobKeyId: string | undefined;
    const head = oid ? heads.get(oid) : undefined;
    if (head && (startsWith(head, NATIVE_BLOB_MAGIC) || startsWith(head, GITCRYPT_BLOB_MAGIC))) {
      state = "encrypted";
      blobKeyId = nativeBlobKeyId(head);
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
}

/** The first bytes of each blob, read through one `git cat-file --batch`. */
async function blobHeads(
  top: string,
  git: GitOptions,
  oids: string[],
): Promise<Map<string, Uint8Array>> {
  const heads = new Map<string, Uint8Array>();
  const unique = [...new Set(oids)];
  if (unique.length === 0) return heads;
  const { stdout } = await runGit(top, ["cat-file", "--batch"], {
    ...git,
    input: `${unique.join("\n")}\n`,
  });
  let offset = 0;
  while (offset < stdout.length) {
    const newline = stdout.indexOf(0x0a, offset);
    if (newline < 0) break;
    const [oid, type, size] = stdout.toString("latin1", offset, newline).split(" ");
    offset = newline + 1;
    if (type === "missing" || !oid) continue;
    const length = Number(size);
    heads.set(oid, new Uint8Array(stdout.subarray(offset, offset + Math.min(length, 17))));
    offset += length + 1;
  }
  return heads;
}
