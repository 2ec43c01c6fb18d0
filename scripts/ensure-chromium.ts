/**
 * Runs before `npm test`: the dashboard test drives Debian's Chromium (a downloaded browser
 * cannot install here). Installs it with apt when missing and allowed (root), else explains.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

if (!existsSync(CHROMIUM)) {
  if (process.getuid?.() !== 0) {
    console.error(
      `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH`,
    );
    process.exit(1);
  }
  console.log('installing chromium from Debian for the dashboard test...');
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-q', 'chromium'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}
