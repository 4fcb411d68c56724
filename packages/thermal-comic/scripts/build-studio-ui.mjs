// Bundles the studio's page (src/studio-ui: TypeScript, HTML, CSS) into one folder with esbuild:
// index.html, app.js (minified, no external imports), app.css. `pnpm build` runs it after tsup
// (into dist/studio-ui); the tests run it into a temporary folder.
// Run: node packages/thermal-comic/scripts/build-studio-ui.mjs [outDir]
import { copyFile, mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const source = resolve(import.meta.dirname, "..", "src", "studio-ui");

/** Builds the page into `outDir`; returns the file names written. */
export async function buildStudioUi(outDir) {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [join(source, "main.ts")],
    outfile: join(outDir, "app.js"),
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["chrome109", "firefox115", "safari16"],
    minify: true,
    sourcemap: false,
    legalComments: "none",
    logLevel: "warning",
  });
  await copyFile(join(source, "index.html"), join(outDir, "index.html"));
  await copyFile(join(source, "app.css"), join(outDir, "app.css"));
  return ["index.html", "app.js", "app.css"];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href)
  await buildStudioUi(
    resolve(process.argv[2] ?? join(import.meta.dirname, "..", "dist", "studio-ui")),
  );
