import { execFileSync } from 'node:child_process';
import { PACKAGE_ROOT } from '../../pipeline/util/package-root.js';

export { hashJson } from '../../pipeline/util/canonical-json.js';

/** The commit the code runs from: `$GITHUB_SHA` in Actions, else `git rev-parse HEAD`, else undefined. */
export function currentGitSha(): string | undefined {
  if (process.env.GITHUB_SHA) return process.env.GITHUB_SHA;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}
