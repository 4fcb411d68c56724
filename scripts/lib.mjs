// Small helpers shared by the repository scripts (test, demo, bench, package checks).
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Workspace folders under `group` ("packages" or "examples") with their package.json. */
export function workspaces(group) {
  return readdirSync(join(root, group), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      const dir = join(root, group, entry.name);
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      return { name: entry.name, dir, pkg };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Runs a command with inherited stdio; resolves with its exit code. */
export function run(command, args, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: "inherit", cwd: root, ...options });
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise(code ?? (signal ? 128 : 1)));
  });
}

/**
 * pnpm as the README runs it: the pnpm that launched this script when there is one, else the
 * pinned version through npx (corepack is not relied on). Returns [command, leading args].
 */
export function pnpmCommand() {
  const execpath = process.env.npm_execpath;
  if (execpath?.includes("pnpm")) return [process.execPath, [execpath]];
  return ["npx", ["-y", "pnpm@10.34.9"]];
}

/** Path of a binary installed in the root node_modules/.bin. */
export const bin = (name) => join(root, "node_modules", ".bin", name);

export function seconds(startMs) {
  return ((performance.now() - startMs) / 1000).toFixed(1);
}
