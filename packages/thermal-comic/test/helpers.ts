import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { examplePoolDir, type ThermalComicError } from "../src/index.js";
import { type RunningVirtualPrinter, startVirtualPrinter } from "../src/virtual-printer.js";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

/** Closes `resource` after the test (servers, printers), in the order they were added. */
export function closeAfterTest<T extends { close(): Promise<void> }>(resource: T): T {
  running.push(resource);
  return resource;
}

/** A virtual printer on a free loopback port, 384 dots wide unless told, closed after the test. */
export async function printer(options = {}): Promise<RunningVirtualPrinter> {
  return closeAfterTest(await startVirtualPrinter({ port: 0, width: 384, ...options }));
}

/** The error `promise` rejects with; throws when it resolves. */
export async function failure(promise: Promise<unknown>): Promise<ThermalComicError> {
  try {
    await promise;
  } catch (error) {
    return error as ThermalComicError;
  }
  throw new Error("expected a rejection");
}

/** A fresh temporary folder, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "thermal-comic-"));
  made.push(dir);
  return dir;
}

/** A copy of the shipped example pool, to break on purpose. */
export function poolCopy(): string {
  const dir = tempDir();
  cpSync(examplePoolDir(), dir, { recursive: true });
  return dir;
}

/**
 * A solid-colour SVG picture with a black square at the region of interest, so a test can see
 * in the pixels whether the region stayed visible.
 */
export function markerSvg(
  width: number,
  height: number,
  roi?: { x: number; y: number; width: number; height: number },
): Buffer {
  const square = roi
    ? `<rect x="${roi.x}" y="${roi.y}" width="${roi.width}" height="${roi.height}" fill="#000"/>`
    : "";
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="${width}" height="${height}" fill="#b0b0b0"/>${square}</svg>`,
  );
}
