import { createHash } from "node:crypto";
import { appendFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Object ids of blobs known to be encrypted, one a line (`<oid>` or `<oid> <key id>` for a
 * git-seal blob), in
 * `.git/git-seal/encrypted-blobs`. A blob id names its content forever, so an entry can never
 * go stale: `status` reads only blobs it has not seen, and the filter process adds the blobs
 * it produces. Losing the file costs one slower `status`, nothing else.
 */
const MAX_BYTES = 8 << 20;

function cachePath(gitDir: string): string {
  return join(gitDir, "git-seal", "encrypted-blobs");
}

/** Known encrypted blobs: object id → the key id in a git-seal blob's header ("" for git-crypt). */
export async function readBlobCache(gitDir: string): Promise<Map<string, string>> {
  const known = new Map<string, string>();
  let text: string;
  try {
    text = await readFile(cachePath(gitDir), "latin1");
  } catch {
    return known;
  }
  if (text.length > MAX_BYTES) {
    await rm(cachePath(gitDir), { force: true });
    return known;
  }
  const lines = text.split("\n");
  for (const line of lines) {
    // Cheap shape checks first; the full pattern only for lines of a possible length.
    if (!LENGTHS.has(line.length) || !LINE.test(line)) continue;
    const space = line.indexOf(" ");
    if (space < 0) known.set(line, "");
    else known.set(line.slice(0, space), line.slice(space + 1));
  }
  // Appends repeat ids (git re-cleans racily clean files); compact once it doubles.
  if (lines.length > 2 * known.size + 256) await compact(gitDir, known);
  return known;
}

const LINE = /^[0-9a-f]{40}(?:[0-9a-f]{24})?(?: [0-9a-f]{16})?$/;
const LENGTHS = new Set([40, 57, 64, 81]);

async function compact(gitDir: string, known: Map<string, string>): Promise<void> {
  const temp = `${cachePath(gitDir)}.${process.pid}.tmp`;
  const body = [...known].map(([oid, keyId]) => (keyId ? `${oid} ${keyId}` : oid)).join("\n");
  try {
    await writeFile(temp, `${body}\n`, { mode: 0o600 });
    await rename(temp, cachePath(gitDir));
  } catch {
    await rm(temp, { force: true });
  }
}

export async function addToBlobCache(
  gitDir: string,
  entries: Iterable<{ oid: string; keyId?: string | undefined }>,
): Promise<void> {
  const lines = [...entries]
    .map((e) => (e.keyId ? `${e.oid} ${e.keyId}` : e.oid))
    .filter((line) => LINE.test(line));
  if (lines.length === 0) return;
  try {
    await mkdir(join(gitDir, "git-seal"), { recursive: true, mode: 0o700 });
    await appendFile(cachePath(gitDir), `${lines.join("\n")}\n`, { mode: 0o600 });
  } catch {
    // A cache that cannot be written only makes the next status slower.
  }
}

/** The SHA-1 blob id git gives `data`. */
export function blobOid(data: Uint8Array): string {
  return createHash("sha1").update(`blob ${data.length}\0`).update(data).digest("hex");
}
