import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { pnpmCommand, root } from "../scripts/lib.mjs";

export { pnpmCommand, root as repoRoot };

export const execFileAsync = promisify(execFile);

/** Builds the packages if any has no dist yet (tests that consume the built output call this). */
export async function ensureBuilt(): Promise<void> {
  const packagesDir = join(root, "packages");
  const unbuilt = readdirSync(packagesDir).some(
    (name) => !existsSync(join(packagesDir, name, "dist", "index.js")),
  );
  if (!unbuilt) return;
  const [pnpm, pnpmArgs] = pnpmCommand();
  await execFileAsync(pnpm, [...pnpmArgs, "run", "build"], { cwd: root });
}

/** A free TCP port on loopback, for a child process that cannot be told to use port 0. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Polls `url` until it answers 2xx or `timeoutMs` passes; fails early if `child` exits. */
export async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`process for ${url} exited before it answered`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

export function spawnLogged(command: string, args: string[], options: Parameters<typeof spawn>[2]) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  return { child, output: () => output };
}
