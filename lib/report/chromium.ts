// Headless Debian chromium through playwright-core: a fresh profile per launch, offline-friendly
// flags, never a browser download. Used for figure export and the real-browser report tests.

import { existsSync } from "node:fs";
import type { BrowserContext } from "playwright-core";

/** Chromium flags for a quiet, offline, sandbox-free headless browser. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** Default browser: Debian's chromium package. */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/**
 * Why chromium cannot be used, or undefined when the binary exists.
 * @example const why = chromiumUnavailable(); if (why) console.log(why);
 */
export function chromiumUnavailable(path: string = DEFAULT_CHROMIUM): string | undefined {
  if (existsSync(path)) return undefined;
  return `no browser at ${path} (install Debian chromium: apt-get install --no-install-recommends chromium)`;
}

/**
 * Starts chromium with a fresh temporary profile (--user-data-dir), runs `fn` with its context,
 * then closes it and removes the profile, also when `fn` throws.
 * @example
 * const title = await withChromium(async (ctx) => {
 *   const page = await ctx.newPage();
 *   await page.setContent("<title>hi</title>");
 *   return await page.title();
 * });
 */
export async function withChromium<T>(
  fn: (context: BrowserContext) => Promise<T>,
  opts: { chromiumPath?: string } = {},
): Promise<T> {
  // Loaded lazily: playwright-core reads os.homedir() at import (needs --allow-sys).
  const { chromium } = await import("playwright-core");
  const profile = await Deno.makeTempDir({ prefix: "convrec-chromium-" });
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: opts.chromiumPath ?? DEFAULT_CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
    try {
      return await fn(context);
    } finally {
      await context.close();
    }
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}
