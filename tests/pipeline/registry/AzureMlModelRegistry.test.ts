import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAzureMlError } from '../../../pipeline/errors/AzureMlError.js';
import { AML_TAGS, AzureMlModelRegistry } from '../../../pipeline/registry/AzureMlModelRegistry.js';
import { collect } from '../../../pipeline/registry/paging.js';
import { findVersionOnSnapshot } from '../../../pipeline/registry/same-snapshot.js';
import { azuriteContainers, clientFor } from '../../support/azureml-fixture.js';
import { type AzuriteBlob, startAzuriteBlob } from '../../support/azurite-blob.js';
import { makeBundle } from '../../support/bundle-fixture.js';
import { FAKE_API_VERSION, type FakeAzureMl, startFakeAzureMl } from '../../support/fake-azureml.js';
import { poisonWeights, writeTinyOutput } from '../../support/tiny-bundle.js';

let azurite: AzuriteBlob;
let fake: FakeAzureMl;
let registry: AzureMlModelRegistry;
const lineage = {
  snapshotId: 'snap-7',
  gitSha: 'deadbeef',
  configHash: 'cfg',
  specHash: 'spec',
  metrics: { auc: 0.91 },
};

beforeAll(async () => {
  [azurite, fake] = await Promise.all([startAzuriteBlob(), startFakeAzureMl()]);
  registry = new AzureMlModelRegistry(clientFor(fake), { containerClient: azuriteContainers(azurite) });
});
afterAll(async () => {
  await fake?.close();
  await azurite?.stop();
});

describe('AzureMlModelRegistry (real SDK against the fake ARM server, bundles in Azurite)', () => {
  it('refuses a training output whose model has NaN weights before uploading anything', async () => {
    const out = await writeTinyOutput();
    poisonWeights(join(out, '0'), 0);
    const before = fake.calls('PUT', /.*/).length;
    await expect(registry.registerVersion('opp-nan', out, lineage)).rejects.toMatchObject({
      name: 'NonFiniteModelError',
      division: 0,
      tensor: 'layer 1 weights',
    });
    expect(fake.calls('PUT', /.*/).length).toBe(before);
    expect(await collect(registry.listVersions('opp-nan'))).toEqual([]);
  });

  it('refuses user tags under the reserved opp. prefix before uploading anything', async () => {
    const before = fake.calls('PUT', /.*/).length;
    await expect(
      registry.registerVersion('opp-tags', await makeBundle(), lineage, { tags: { 'opp.gitSha': 'forged' } }),
    ).rejects.toThrow(/tags opp\.gitSha: the opp\. prefix is reserved/);
    expect(fake.calls('PUT', /.*/).length).toBe(before);
  });

  it('uploads the bundle to the default datastore and creates a tagged model version', async () => {
    const bundle = await makeBundle();
    const v = await registry.registerVersion('opp-aml', bundle, lineage, { tags: { team: 'bids' } });
    expect(v).toMatchObject({
      name: 'opp-aml',
      version: '1',
      stage: 'candidate',
      tags: { team: 'bids' },
      lineage,
    });
    expect(v.uri).toMatch(
      /^azureml:\/\/subscriptions\/.*\/datastores\/workspaceblobstore\/paths\/opp-models\/opp-aml\//,
    );
    const put = fake.calls('PUT', /^\/models\/opp-aml\/versions\/1$/)[0]!;
    expect(put.apiVersion).toBe(FAKE_API_VERSION);
    const tags = (put.body as { properties: { tags: Record<string, string> } }).properties.tags;
    expect(tags).toMatchObject({
      [AML_TAGS.stage]: 'candidate',
      [AML_TAGS.gitSha]: 'deadbeef',
      'opp.metric.auc': '0.91',
    });
    expect(fake.calls('GET', /^\/datastores$/)[0]!.query.isDefault).toBe('true');
    const out = await registry.downloadVersion('opp-aml', '1', await mkdtemp(join(tmpdir(), 'opp-dl-')));
    expect(await readFile(join(out, 'model-0', 'weights.bin'))).toEqual(
      await readFile(join(bundle, 'model-0', 'weights.bin')),
    );
    expect(fake.violations).toEqual([]);
  });

  it('numbers versions past earlier ones, lists them across nextLink pages and keeps one production', async () => {
    const bundle = await makeBundle();
    for (let i = 0; i < 4; i++) await registry.registerVersion('paged', bundle, lineage);
    const pages = await collect(registry.listVersions('paged').byPage({ maxPageSize: 2 }));
    expect(pages.map((p) => p.map((v) => v.version))).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    // The second page came from the service's nextLink.
    expect(fake.calls('GET', /^\/models\/paged\/versions$/).some((r) => r.query.$skip === '2')).toBe(true);
    await registry.setStage('paged', '2', 'production');
    await registry.setStage('paged', '4', 'production');
    expect((await registry.getProduction('paged'))?.version).toBe('4');
    expect((await registry.getVersion('paged', '2')).stage).toBe('archived');
    expect(
      fake.calls('GET', /^\/models\/paged\/versions$/).some((r) => r.query.tags === 'opp.stage=production'),
    ).toBe(true);
    expect(fake.violations).toEqual([]);
  });

  it('gives concurrent registrations distinct versions (conditional create, retry on the next number)', async () => {
    const bundles = await Promise.all([1, 2, 3].map((i) => makeBundle({}, i / 10)));
    const versions = await Promise.all(bundles.map((b) => registry.registerVersion('race', b, lineage)));
    expect(versions.map((v) => v.version).sort()).toEqual(['1', '2', '3']);
    for (const v of versions) expect((await registry.getVersion('race', v.version)).uri).toBe(v.uri);
    expect(
      fake.calls('PUT', /^\/models\/race\/versions\/\d+$/).every((r) => r.headers['if-none-match'] === '*'),
    ).toBe(true);
  });

  it('never overwrites a version created between its read and its write (stale read ⇒ next number)', async () => {
    const first = await registry.registerVersion('stale', await makeBundle(), lineage);
    const client = clientFor(fake);
    // A client whose reads miss every version: what a registration sees when it loses a race.
    const stale = new AzureMlModelRegistry(
      {
        ...client,
        getModelVersion: async () => undefined,
        listModelVersionsPage: async () => ({ items: [] }),
      },
      { containerClient: azuriteContainers(azurite) },
    );
    const second = await stale.registerVersion('stale', await makeBundle({}, 0.5), lineage);
    expect(second.version).toBe('2');
    expect((await registry.getVersion('stale', '1')).uri).toBe(first.uri);
  });

  it('retries a 429 with Retry-After and a 503, then succeeds', async () => {
    fake.faults.push(
      {
        method: 'PUT',
        path: /^\/models\/retry\/versions\/1$/,
        status: 429,
        headers: { 'Retry-After': '1', 'retry-after-ms': '20' },
      },
      { method: 'PUT', path: /^\/models\/retry\/versions\/1$/, status: 503 },
    );
    const v = await registry.registerVersion('retry', await makeBundle(), lineage);
    expect(v.version).toBe('1');
    expect(fake.calls('PUT', /^\/models\/retry\/versions\/1$/)).toHaveLength(3);
  });

  it('reports a service error as AzureMlError with its status code', async () => {
    fake.faults.push({ method: 'PUT', path: /^\/models\/broken\/versions\/1$/, status: 500, times: 10 });
    const error = await registry
      .registerVersion('broken', await makeBundle(), lineage)
      .catch((e: unknown) => e);
    expect(isAzureMlError(error) && error.details.statusCode).toBe(500);
  });

  it('finds the live version trained on a snapshot from the stored lineage (retrain.yml skips it)', async () => {
    const first = await registry.registerVersion('opp-snap', await makeBundle(), lineage);
    await registry.setStage('opp-snap', first.version, 'production');
    await registry.registerVersion('opp-snap', await makeBundle(), { ...lineage, snapshotId: 'snap-8' });
    expect(await findVersionOnSnapshot(registry, 'opp-snap', 'snap-7')).toMatchObject({
      version: first.version,
      stage: 'production',
    });
    expect(await findVersionOnSnapshot(registry, 'opp-snap', 'snap-8')).toMatchObject({ version: '2' });
    expect(await findVersionOnSnapshot(registry, 'opp-snap', 'snap-9')).toBeUndefined();
    await registry.setStage('opp-snap', '2', 'archived');
    expect(await findVersionOnSnapshot(registry, 'opp-snap', 'snap-8')).toBeUndefined();
  });
});
