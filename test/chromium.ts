// Debian's chromium driven by playwright-core, for the packages' browser tests (the studios): the
// flags the studios issue names, a fresh user-data dir per launch, and never a browser download.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";

/** Where Debian's `chromium` package puts the browser (.ci/apt-packages installs it); `CHROMIUM_PATH` names another. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/**
 * Why the browser tests cannot run here, or undefined when they can. In CI a missing chromium is
 * a failure (the tests run and the launch fails), never a skip.
 */
export const chromiumMissing =
  process.env.CI === "true" || existsSync(CHROMIUM_PATH)
    ? undefined
    : `chromium is not installed at ${CHROMIUM_PATH} (apt-get install chromium)`;

/** Starts chromium with a fresh user-data dir; `close()` stops it and removes the dir. */
export async function launchChromium(
  options: { viewport?: { width: number; height: number }; acceptDownloads?: boolean } = {},
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `${CHROMIUM_PATH} is missing: apt-get install chromium (listed in .ci/apt-packages)`,
    );
  const { chromium } = await import("playwright-core");
  const userDataDir = mkdtempSync(join(tmpdir(), "tinkerbox-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options.viewport ?? { width: 1280, height: 1000 },
    acceptDownloads: options.acceptDownloads ?? false,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
