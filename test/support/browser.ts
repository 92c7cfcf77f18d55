import { accessSync, constants } from 'node:fs';
import { Browser, chromium } from 'playwright-core';
import type { Requirement } from './required-tools';

/** Debian's chromium (scripts/ci-install-tools.sh installs it); tests never download a browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless chromium for browser tests, with the flags a CI container needs. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** For describeWithRequirements: skipped with a warning outside CI when chromium is missing. */
export function chromiumRequirement(): Requirement {
  let available = true;
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    available = false;
  }
  return { name: 'chromium', available, hint: `run scripts/ci-install-tools.sh (Debian: apt-get install chromium), or set CHROMIUM_PATH; looked for ${CHROMIUM}` };
}
