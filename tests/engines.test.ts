import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * The runtime (issue 25): package.json's `engines` is what the locked packages need, and the
 * workflows set up the Node the actions run on (`runs.using`).
 */

type Version = [number, number, number];

function version(text: string): Version {
  const [major = 0, minor = 0, patch = 0] = text.split('.').map(Number);
  return [major, minor, patch];
}
function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}
/** The lowest version a range of `^X.Y.Z` and `>=X.Y.Z` alternatives admits. */
function lowest(range: string): Version {
  const bounds = range.split('||').map((part) => {
    const match = /^\s*(?:\^|>=)\s*(\d+(?:\.\d+){0,2})\s*$/.exec(part);
    if (!match) throw new Error(`not a ^ or >= range: ${part}`);
    return version(match[1]!);
  });
  return bounds.sort(compare)[0]!;
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[] }>;
};

describe('engines', () => {
  it("admits no Node that a locked package's plain lower bound (>=X) rules out", () => {
    const declared = lowest(pkg.engines.node);
    const tooOld = Object.entries(lock.packages).flatMap(([path, entry]) => {
      const node = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      const match = node === undefined ? null : /^\s*>=\s*(\d+(?:\.\d+){0,2})\s*$/.exec(node);
      return match && compare(version(match[1]!), declared) > 0 ? [`${path} (${node})`] : [];
    });
    expect(tooOld, `engines.node "${pkg.engines.node}" admits Node older than these need`).toEqual([]);
  });

  it('matches the lock file', () => {
    expect((lock.packages[''] as { engines?: { node?: string } }).engines?.node).toBe(pkg.engines.node);
  });
});

describe('the Node the workflows set up', () => {
  const runtimes = new Set(
    readdirSync('actions', { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .flatMap((entry) => {
        try {
          return [readFileSync(join('actions', entry.name, 'action.yml'), 'utf8')];
        } catch {
          return [];
        }
      })
      .map((text) => (parse(text) as { runs: { using: string } }).runs.using),
  );

  it('is the one the actions run on, and one engines admits', () => {
    expect([...runtimes]).toEqual(['node24']);
    const major = Number([...runtimes][0]!.replace('node', ''));
    expect(compare([major, 99, 99], lowest(pkg.engines.node))).toBeGreaterThan(0);
    const versions = readdirSync('.github/workflows').flatMap((file) => {
      const workflow = parse(readFileSync(join('.github/workflows', file), 'utf8')) as {
        jobs: Record<string, { steps?: { uses?: string; with?: Record<string, unknown> }[] }>;
      };
      return Object.entries(workflow.jobs).flatMap(([job, { steps = [] }]) =>
        steps
          .filter((step) => step.uses?.startsWith('actions/setup-node@'))
          .map((step) => `${file} ${job}: ${String(step.with?.['node-version'])}`),
      );
    });
    expect(versions.length).toBeGreaterThan(0);
    expect(versions.filter((line) => !line.endsWith(`: ${major}`))).toEqual([]);
  });
});
