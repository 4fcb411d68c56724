import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

/**
 * Starts the session worker (./session-worker.ts). From a build it is the sibling file
 * `dev-server-worker.js` (ESM) or `.cjs` (CommonJS), emitted as its own tsup entry. From the
 * TypeScript sources (tests, the monorepo's tools) the `.ts` module is loaded through tsx, a
 * development dependency of the workspace.
 */
export function startSessionWorker(): Worker {
  const here = import.meta.url;
  const options = { stdout: true, stderr: true } as const;
  if (here.endsWith(".ts")) {
    const source = fileURLToPath(new URL("./session-worker.ts", here));
    const tsx = createRequire(here).resolve("tsx/cjs/api");
    const boot = `require(${JSON.stringify(tsx)}).require(${JSON.stringify(source)}, ${JSON.stringify(source)});`;
    return new Worker(boot, { ...options, eval: true });
  }
  const extension = here.endsWith(".cjs") ? "cjs" : "js";
  return new Worker(new URL(`./dev-server-worker.${extension}`, here), options);
}
