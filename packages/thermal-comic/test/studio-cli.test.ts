import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { buildStudioUi } from "../scripts/build-studio-ui.mjs";
import { poolCopy, tempDir } from "./helpers.js";
import { rawRequest } from "./studio-helpers.js";

const root = join(import.meta.dirname, "..", "..", "..");
const tsx = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
const cli = join(import.meta.dirname, "..", "src", "cli.ts");

function studio(
  args: string[],
  cwd: string,
): { child: ChildProcess; url: Promise<string>; output: () => string } {
  const child = spawn(process.execPath, ["--import", tsx, cli, "studio", ...args], { cwd });
  let out = "";
  const url = new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (c) => {
      out += c;
      const match = /comic studio on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (match) resolve(match[1] as string);
    });
    child.stderr?.on("data", (c) => {
      out += c;
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
  return { child, url, output: () => out };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  return exited;
}

describe("thermal-comic studio (CLI)", { tags: ["slow"], timeout: 120_000 }, () => {
  // The CLI serves the page built into the package (dist/studio-ui), as an installed package does.
  beforeAll(async () => {
    await buildStudioUi(join(import.meta.dirname, "..", "dist", "studio-ui"));
  });

  it("serves the studio on loopback until stopped; the page's token makes a comic", async () => {
    const run = studio(["--pool", poolCopy(), "--port", "0", "--profile", "58mm"], tempDir());
    try {
      const url = await run.url;
      const page = await rawRequest(url);
      const token = /name="studio-token" content="([^"]+)"/.exec(page.body.toString())?.[1] ?? "";
      expect(token.length).toBeGreaterThan(20);
      const comic = await rawRequest(`${url}api/comics`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-studio-token": token },
        body: JSON.stringify({ seed: 9 }),
      });
      expect(comic.status).toBe(200);
      expect(comic.json()).toMatchObject({
        seed: 9,
        width: 384,
        print: { ok: true, printer: "virtual" },
      });
      expect(run.output()).toMatch(/printer virtual at tcp:\/\/127\.0\.0\.1:\d+/);
    } finally {
      expect(await stop(run.child)).toBe(0);
    }
  });

  it("without --pool it creates ./comic-pool from the example pool", async () => {
    const dir = tempDir();
    const run = studio([], dir);
    try {
      const url = await run.url;
      const pool = (await rawRequest(`${url}api/pool`)).json();
      expect(pool.images.map((e: { name: string }) => e.name)).toContain("robot.svg");
      expect(existsSync(join(dir, "comic-pool", "robot.yaml"))).toBe(true);
    } finally {
      expect(await stop(run.child)).toBe(0);
    }
  });

  it("a bad port is a usage error (2); a missing pool folder an IO_ERROR (1)", async () => {
    const bad = studio(["--port", "many"], tempDir());
    await expect(bad.url).rejects.toThrow(/exited with 2: .*--port must be a number/s);
    const missing = studio(["--pool", join(tempDir(), "nothing")], tempDir());
    await expect(missing.url).rejects.toThrow(/exited with 1: .*IO_ERROR: cannot read the folder/s);
  });
});
