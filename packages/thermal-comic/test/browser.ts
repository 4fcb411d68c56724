import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";

/** Where Debian's `chromium` package puts the browser (.ci/apt-packages installs it). */
export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
export const haveChromium = existsSync(CHROMIUM);
/** In CI a missing chromium is a failure (the test runs and its launch fails); elsewhere the test is skipped. */
export const skipBrowser = !haveChromium && process.env.CI !== "true";

/** Starts Debian's chromium through playwright-core with a fresh user-data dir. */
export async function launchChromium(): Promise<{
  context: BrowserContext;
  close: () => Promise<void>;
}> {
  if (!haveChromium)
    throw new Error(
      `${CHROMIUM} is missing: apt-get install chromium (listed in .ci/apt-packages)`,
    );
  const { chromium } = await import("playwright-core");
  const userDataDir = mkdtempSync(join(tmpdir(), "chromium-profile-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 1000 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
