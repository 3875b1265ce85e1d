import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../../pipeline/errors/RegistryError.js';
import { LocalModelRegistry } from '../../../pipeline/registry/LocalModelRegistry.js';
import { collect } from '../../../pipeline/registry/paging.js';
import { makeBundle } from '../../support/bundle-fixture.js';
import { poisonWeights, writeTinyOutput } from '../../support/tiny-bundle.js';

async function newRegistry(): Promise<LocalModelRegistry> {
  return new LocalModelRegistry(await mkdtemp(join(tmpdir(), 'opp-registry-')));
}

const lineage = {
  snapshotId: 'snap-1',
  gitSha: 'abc123',
  configHash: 'c1',
  specHash: 's1',
  metrics: { auc: 0.9 },
};

describe('LocalModelRegistry', () => {
  it('registers a bundle as version 1 with lineage, tags and candidate stage', async () => {
    const registry = await newRegistry();
    const v = await registry.registerVersion('opp', await makeBundle(), lineage, { tags: { team: 'bids' } });
    expect(v).toMatchObject({
      name: 'opp',
      version: '1',
      stage: 'candidate',
      tags: { team: 'bids' },
      lineage,
    });
    expect(v.files.map((f) => f.path)).toEqual(['metrics.json', 'model-0/model.json', 'model-0/weights.bin']);
    expect(await registry.getVersion('opp', '1')).toEqual(v);
  });

  it('refuses user tags under the reserved opp. prefix and bad names, writing nothing', async () => {
    const registry = await newRegistry();
    const bundle = await makeBundle();
    await expect(
      registry.registerVersion('opp', bundle, lineage, { tags: { team: 'bids', 'opp.stage': 'production' } }),
    ).rejects.toThrow(/tags opp\.stage: the opp\. prefix is reserved/);
    await expect(registry.registerVersion('../up', bundle, lineage)).rejects.toThrow(/bad model name/);
    expect(await readdir(registry.root)).toEqual([]);
  });

  it('stores identical files once (content-addressed)', async () => {
    const registry = await newRegistry();
    const bundle = await makeBundle();
    await registry.registerVersion('opp', bundle, lineage);
    await registry.registerVersion('opp', bundle, lineage);
    const shards = await readdir(join(registry.root, 'blobs', 'sha256'), { recursive: true });
    expect(shards.filter((p) => p.includes('/')).length).toBe(3);
  });

  it('refuses a training output whose model has NaN weights, and registers nothing', async () => {
    const registry = await newRegistry();
    const out = await writeTinyOutput();
    expect((await registry.registerVersion('opp', out, lineage)).version).toBe('1');
    poisonWeights(join(out, '0'), 2);
    await expect(registry.registerVersion('opp', out, lineage)).rejects.toMatchObject({
      name: 'NonFiniteModelError',
      bundle: join(out, '0'),
      division: 0,
      tensor: 'layer 1 weights',
    });
    expect((await collect(registry.listVersions('opp'))).map((v) => v.version)).toEqual(['1']);
  });

  it('refuses a folder without metrics.json', async () => {
    const registry = await newRegistry();
    const dir = await mkdtemp(join(tmpdir(), 'opp-empty-'));
    await writeFile(join(dir, 'weights.bin'), 'x');
    const error = await registry.registerVersion('opp', dir, {}).catch((e: unknown) => e);
    expect(error instanceof RegistryError && error.message).toMatch(/no metrics\.json/);
  });

  it('gives distinct versions to concurrent registrations from separate registry instances', async () => {
    const root = await mkdtemp(join(tmpdir(), 'opp-registry-'));
    const bundles = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => makeBundle({}, i / 10)));
    const versions = await Promise.all(
      bundles.map((b) => new LocalModelRegistry(root).registerVersion('opp', b, lineage)),
    );
    expect(versions.map((v) => v.version).sort()).toEqual(['1', '2', '3', '4', '5', '6']);
    // Each version holds its own bundle's content.
    for (const [i, v] of versions.entries()) {
      const out = await new LocalModelRegistry(root).downloadVersion('opp', v.version, join(root, `dl-${i}`));
      expect(JSON.parse(await readFile(join(out, 'model-0', 'model.json'), 'utf8')).auc).toBe((i + 1) / 10);
    }
  });

  it('lists versions oldest first in pages with an opaque continuation token', async () => {
    const registry = await newRegistry();
    const bundle = await makeBundle();
    for (let i = 0; i < 5; i++) await registry.registerVersion('opp', bundle, lineage);
    const pages = await collect(registry.listVersions('opp').byPage({ maxPageSize: 2 }));
    expect(pages.map((p) => p.map((v) => v.version))).toEqual([['1', '2'], ['3', '4'], ['5']]);
    const resumed = await collect(
      registry
        .listVersions('opp')
        .byPage({ maxPageSize: 2, continuationToken: pages[0]!.continuationToken! }),
    );
    expect(resumed.flat().map((v) => v.version)).toEqual(['3', '4', '5']);
    expect(await collect(registry.listVersions('unknown'))).toEqual([]);
  });

  it('keeps one production version per model: promoting one archives the previous', async () => {
    const registry = await newRegistry();
    const bundle = await makeBundle();
    await registry.registerVersion('opp', bundle, lineage, { stage: 'production' });
    await registry.registerVersion('opp', bundle, lineage);
    expect((await registry.getProduction('opp'))?.version).toBe('1');
    await registry.setStage('opp', '2', 'production');
    expect((await registry.getProduction('opp'))?.version).toBe('2');
    expect((await registry.getVersion('opp', '1')).stage).toBe('archived');
    const all = await collect(registry.listVersions('opp', { stage: 'production' }));
    expect(all.map((v) => v.version)).toEqual(['2']);
  });

  it('keeps one production version when two promotions race', async () => {
    const registry = await newRegistry();
    const bundle = await makeBundle();
    for (let i = 0; i < 4; i++) await registry.registerVersion('opp', bundle, lineage);
    await Promise.all(
      ['1', '2', '3', '4'].map((v) => new LocalModelRegistry(registry.root).setStage('opp', v, 'production')),
    );
    expect(await collect(registry.listVersions('opp', { stage: 'production' }))).toHaveLength(1);
  });

  it('downloads a version byte for byte and reports an unknown version', async () => {
    const registry = await newRegistry();
    const bundle = await makeBundle();
    await registry.registerVersion('opp', bundle, lineage);
    const out = await registry.downloadVersion('opp', '1', join(registry.root, 'out'));
    for (const path of ['metrics.json', 'model-0/weights.bin']) {
      expect(await readFile(join(out, path))).toEqual(await readFile(join(bundle, path)));
    }
    await expect(registry.getVersion('opp', '9')).rejects.toThrow(/has no version 9/);
  });
});
