import { randomBytes } from "node:crypto";
import { chmod, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { GitSecretsError } from "../errors.js";

/**
 * Writes a secret file atomically with mode 0600: a temporary file created exclusively with
 * that mode in the same directory, then renamed over the target, so a reader never sees a
 * half-written key and a failure leaves the old file intact.
 */
export async function writeSecretFile(path: string, data: Uint8Array): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(temp, data, { mode: 0o600, flag: "wx" });
    await chmod(temp, 0o600);
    await rename(temp, path);
  } catch (cause) {
    await rm(temp, { force: true });
    throw new GitSecretsError(
      "INVALID_ARGUMENT",
      `cannot write ${path}: ${(cause as Error).message}`,
      {
        cause,
        path,
      },
    );
  }
}
