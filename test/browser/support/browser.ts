import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

/** Debian's chromium (scripts/ensure-chromium.sh puts it there); playwright downloads nothing. */
export const CHROMIUM = '/usr/bin/chromium';

/** Where the browser tests leave screenshots (ignored by git). */
export const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

/**
 * Headless chromium with a fresh profile (playwright makes a temporary one per launch). No
 * sandbox: CI containers run as root, where chromium's sandbox cannot start. The rest keeps it
 * from talking to anything but the server under test (updates, sync, QUIC probes).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Saves a full-page screenshot as test-artifacts/<name>; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}
