/**
 * Debian's Chromium for the browser tests, driven by playwright-core: a headless context on a
 * fresh profile, closed and removed by the test's cleanups.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";

/** MPMS_CHROMIUM points elsewhere (e.g. to check a test's skip message). */
export const CHROMIUM = process.env.MPMS_CHROMIUM ?? "/usr/bin/chromium";

/** Launch it; `cleanups` gets the context's close and the profile's removal, in that order. */
export async function launchChromium(
  cleanups: (() => Promise<void> | void)[],
  options: { viewport?: { width: number; height: number }; colorScheme?: "light" | "dark" } = {},
): Promise<BrowserContext> {
  const { chromium } = await import("playwright-core");
  const userDataDir = mkdtempSync(join(tmpdir(), "mpms-chromium-"));
  cleanups.push(() => rmSync(userDataDir, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    ...options,
  });
  cleanups.push(() => context.close());
  return context;
}
