import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * A file shipped in the package (assets/, pool/). The sources live in src/adapters/ and the
 * build in dist/, so the package root is one or two folders up depending on which runs.
 */
export function packageFile(relative: string): string {
  for (const up of ["../", "../../"]) {
    const candidate = fileURLToPath(new URL(`${up}${relative}`, import.meta.url));
    if (existsSync(candidate)) return candidate;
  }
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}

/** The folder of the example pool shipped with the package (drawn by the project as SVG, CC0). */
export function examplePoolDir(): string {
  return packageFile("pool");
}
