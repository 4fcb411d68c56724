// Bundles the studio's front end (page script, preview worker, stylesheet) into a folder the
// server serves. Runs from the package build (tsup.config.ts) and from the browser tests; the
// bundle has no runtime dependencies and loads nothing from the network.
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** Builds `app.js`, `worker.js`, `app.css` and the server's `plan-worker.mjs` into `outDir`. */
export async function buildStudioUi(
  outDir: string,
  options: { minify?: boolean } = {},
): Promise<void> {
  const here = fileURLToPath(new URL(".", import.meta.url));
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: { app: join(here, "main.ts"), worker: join(here, "worker.ts") },
    outdir: outDir,
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "chrome110",
    minify: options.minify ?? true,
    sourcemap: false,
    legalComments: "none",
    logLevel: "warning",
  });
  await copyFile(join(here, "app.css"), join(outDir, "app.css"));
  // the server's planning thread (Node), next to the page it serves
  await build({
    entryPoints: [join(here, "..", "services", "studio", "plan-worker.ts")],
    outfile: join(outDir, "plan-worker.mjs"),
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    minify: false,
    logLevel: "warning",
  });
}
