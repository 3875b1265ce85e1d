import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LocalModelRegistry } from '../../../pipeline/registry/LocalModelRegistry.js';
import { collect } from '../../../pipeline/registry/paging.js';
import { PACKAGE_ROOT } from '../../../pipeline/util/package-root.js';
import { makeBundle } from '../../support/bundle-fixture.js';

/** The built registry module (`npm test` builds first), so plain node processes can load it. */
const BUILT = pathToFileURL(
  join(PACKAGE_ROOT, 'build', 'pipeline', 'registry', 'LocalModelRegistry.js'),
).href;

function registerIn(root: string, bundle: string, count: number): Promise<string[]> {
  const script = `
    const { LocalModelRegistry } = await import(${JSON.stringify(BUILT)});
    const registry = new LocalModelRegistry(${JSON.stringify(root)});
    const out = [];
    for (let i = 0; i < ${count}; i++) out.push((await registry.registerVersion('opp', ${JSON.stringify(bundle)}, {})).version);
    process.stdout.write(JSON.stringify(out));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`exit ${code}`)),
    );
  });
}

describe('LocalModelRegistry across processes', () => {
  it('gives two processes registering at once distinct, gap-free version numbers', async () => {
    const root = await mkdtemp(join(tmpdir(), 'opp-registry-proc-'));
    const bundle = await makeBundle();
    const [a, b] = await Promise.all([registerIn(root, bundle, 5), registerIn(root, bundle, 5)]);
    const all = [...a, ...b].map(Number).sort((x, y) => x - y);
    expect(all).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const listed = await collect(new LocalModelRegistry(root).listVersions('opp'));
    expect(listed.map((v) => v.version)).toEqual(all.map(String));
  });
});
