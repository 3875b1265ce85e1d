import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding opp's package.json, found from this module's location (source or build). */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** A path inside opp's own `configs/` folder: the embedded defaults. */
export function defaultConfigPath(name: string): string {
  return join(PACKAGE_ROOT, 'configs', name);
}

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'configs'))) return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find opp's package root above ${start}`);
  }
}
