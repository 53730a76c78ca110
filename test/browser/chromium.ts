// Debian's Chromium driven by playwright-core (`npx playwright install` cannot download
// browsers here). Tests skip, with a notice, where it is missing; .ci/run installs it.

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env['AE_WASM_CHROMIUM'] || '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const INSTALL_HINT = `Chromium not found at ${CHROMIUM}: install it with \`apt-get update && apt-get install -y chromium\` (or set AE_WASM_CHROMIUM) to run the browser tests`;

export interface LaunchedBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * A headless Chromium with a fresh profile (a persistent context is how Playwright takes
 * --user-data-dir), deleted on close.
 */
export async function launchChromium(): Promise<LaunchedBrowser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'ae-wasm-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
