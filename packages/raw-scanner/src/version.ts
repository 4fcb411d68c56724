import { readFileSync } from "node:fs";

/**
 * This package's version, from its own package.json (found next to the running file: in `src/`
 * or `dist/`, one level down). XML output names it as the scanner's version.
 */
export const VERSION: string = (() => {
  for (const up of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "@tinkerbox/raw-scanner" && pkg.version) return pkg.version;
    } catch {
      // not this level
    }
  }
  return "0.0.0";
})();
