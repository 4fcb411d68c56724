import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { exampleMachine, type Machine, parseMachine } from "../../core/machine.js";
import { isPolargraphError, PolargraphError } from "../../errors.js";

/**
 * Reads a machine JSON file; a file that does not exist yet gives the example machine (the first
 * save creates it). Throws `INVALID_MACHINE` for a file that fails validation, `INVALID_ARGUMENT`
 * for one that cannot be read.
 */
export async function loadMachineFile(
  path: string,
): Promise<{ machine: Machine; exists: boolean }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT")
      return { machine: exampleMachine, exists: false };
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `cannot read machine file ${path}: ${(cause as Error).message}`,
      { cause },
    );
  }
  try {
    return { machine: parseMachine(text), exists: true };
  } catch (error) {
    if (isPolargraphError(error))
      throw new PolargraphError("INVALID_MACHINE", `${path}: ${error.message}`, {
        cause: error,
        path: error.path,
      });
    throw error;
  }
}

/**
 * Validates a machine and writes it to `path` atomically: a temporary file in the same folder,
 * flushed to disk, then renamed over the old one, so a crash or a bad value never leaves a half
 * written or invalid file. Throws `INVALID_MACHINE` (with the field's `path`) before touching the
 * file; returns the machine as saved, defaults filled in.
 */
export async function saveMachineFile(path: string, input: unknown): Promise<Machine> {
  const machine = parseMachine(input);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(tmp, "wx", 0o644);
  } catch (cause) {
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `cannot write next to ${path}: ${(cause as Error).message}`,
      { cause },
    );
  }
  try {
    await handle.writeFile(`${JSON.stringify(machine, null, 2)}\n`);
    await handle.sync();
  } catch (cause) {
    await handle.close();
    await rm(tmp, { force: true });
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `cannot write ${path}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (cause) {
    await rm(tmp, { force: true });
    throw new PolargraphError(
      "INVALID_ARGUMENT",
      `cannot replace ${path}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  return machine;
}
