import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { examplePoolDir } from "../src/index.js";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

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
