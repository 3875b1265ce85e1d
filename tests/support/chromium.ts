/** Debian's Chromium (`.ci/install-system-packages` installs it). */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags that run Debian's Chromium headless on these machines (`../shared/FACTS.md`), with a fresh profile. */
export function chromiumArgs(profileDir: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--hide-scrollbars',
    `--user-data-dir=${profileDir}`,
  ];
}
