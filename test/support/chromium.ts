import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium (a downloaded browser cannot install here), headless, with nothing of its own
 * going out (no background networking, updates or sync); `extraArgs` add to the flags.
 */
export function launchDebianChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
