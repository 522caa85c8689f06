/**
 * What the dashboard's browser tests share: the page built as `npm run build` builds it, Debian's
 * Chromium driven by playwright-core (or a note saying why the tests skip), a page that records
 * every console error and uncaught exception, and the folder the screenshots go to
 * (test-output/dashboard/, one PNG per state a test reaches).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SCREENSHOTS = `${ROOT}test-output/dashboard`;

/** Why the browser tests skip, or false when Chromium is there. */
export const skipBrowser: string | false = existsSync(CHROMIUM) ? false : `no ${CHROMIUM}: scripts/install-test-tools.sh installs it`;

/** Builds the page into dist/dashboard-page/, as `npm run build` does. */
export async function buildDashboard(): Promise<void> {
  await promisify(execFile)(process.execPath, [`${ROOT}scripts/build-dashboard.mjs`], { cwd: ROOT });
}

/** Launches Chromium headless, as CI runs it. */
export function launchBrowser(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page at 1280×800 and the console errors and uncaught exceptions it meets. */
export async function openPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return { page, errors };
}

/** Writes a screenshot of what `page` shows now as test-output/dashboard/{name}.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png` });
}
