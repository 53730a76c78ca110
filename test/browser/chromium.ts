// Debian's Chromium driven by playwright-core (`npx playwright install` cannot download
// browsers here). Tests skip, with a notice, where it is missing; .ci/run installs it.
// Every Chromium test opens its page the same way (openPage): a fresh headless browser,
// one page at the test server's URL, and every console error, page error and crash kept in
// `problems`, which each file finally expects to be empty.

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { it } from 'vitest';

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

export interface OpenedPage extends LaunchedBrowser {
  page: Page;
  /** Console errors, uncaught page errors and crashes, in the order they happened. */
  problems: string[];
}

/** A fresh headless Chromium with one page opened at `url` (see the file comment). */
export async function openPage(url: string): Promise<OpenedPage> {
  const browser = await launchChromium();
  const problems: string[] = [];
  try {
    const page = await browser.context.newPage();
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('crash', () => problems.push('page crashed'));
    await page.goto(url);
    return { ...browser, page, problems };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

/** Where Chromium is missing: one notice on the console and one skipped test naming `what`. */
export function noteMissingChromium(what: string): void {
  if (HAVE_CHROMIUM) return;
  console.warn(`\n[${what} skipped] ${INSTALL_HINT}\n`);
  it.skip(`${what}: ${INSTALL_HINT}`, () => undefined);
}
