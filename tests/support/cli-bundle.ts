import { join } from 'node:path';
import { build } from 'esbuild';
import { PACKAGE_ROOT } from '../../pipeline/util/package-root.js';

let bundled: Promise<string> | undefined;

/**
 * Bundles the `opp` CLI from source into build/.test/ (node_modules stay external), so tests
 * can run it as a child process without a prior `npm run build`. Once per test process.
 */
export function bundleCli(): Promise<string> {
  bundled ??= (async () => {
    const outfile = join(PACKAGE_ROOT, 'build', '.test', `opp-${process.pid}.mjs`);
    await build({
      entryPoints: [join(PACKAGE_ROOT, 'pipeline', 'cli', 'opp.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    });
    return outfile;
  })();
  return bundled;
}
