import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ContainerClient } from '@azure/storage-blob';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AzureConnectionOverrides } from '../../../pipeline/azureml/create-client.js';
import { registerAml } from '../../../pipeline/cli/commands/aml.js';
import { registerDeploy } from '../../../pipeline/cli/commands/deploy.js';
import { registerRegister } from '../../../pipeline/cli/commands/register.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';
import { azuriteContainers } from '../../support/azureml-fixture.js';
import { type AzuriteBlob, startAzuriteBlob } from '../../support/azurite-blob.js';
import { makeBundle, writeFixtureGate } from '../../support/bundle-fixture.js';
import {
  FAST_RETRY,
  type FakeAzureMl,
  fakeCredential,
  startFakeAzureMl,
} from '../../support/fake-azureml.js';

let fake: FakeAzureMl;
let azurite: AzuriteBlob;
let deps: AzureConnectionOverrides;
const config = join(mkdtempSync(join(tmpdir(), 'opp-aml-cli-')), 'deployment.json');
const gate = writeFixtureGate(dirname(config));

beforeAll(async () => {
  [fake, azurite] = await Promise.all([startFakeAzureMl(), startAzuriteBlob()]);
  deps = {
    credential: fakeCredential,
    containerFor: azuriteContainers(azurite),
    retryOptions: FAST_RETRY,
    env: {
      AZURE_SUBSCRIPTION_ID: fake.subscriptionId,
      AZURE_RESOURCE_GROUP: fake.resourceGroup,
      AZUREML_WORKSPACE: fake.workspaceName,
      AZURE_ARM_ENDPOINT: fake.url,
    },
  };
  const shipped = JSON.parse(readFileSync(defaultConfigPath('deployment.json'), 'utf8'));
  writeFileSync(
    config,
    JSON.stringify({
      ...shipped,
      target: 'azureml',
      registry: 'azureml',
      endpoint: 'aml-ep',
      traffic: { steps: [10, 100], stepWaitSeconds: 0, healthTimeoutSeconds: 1, healthPollSeconds: 0.05 },
      azureml: { ...shipped.azureml, pollSeconds: 0 },
    }),
  );
});
afterAll(async () => {
  await fake?.close();
  await azurite?.stop();
});

/** Runs an opp command in-process with the Azure dependencies pointed at the fakes; returns its JSON result. */
async function run(...args: string[]): Promise<Record<string, unknown>> {
  const program = new Command('opp').exitOverride();
  registerRegister(program, deps);
  registerDeploy(program, deps);
  registerAml(program, deps);
  const out: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync([...args, '--json'], { from: 'user' });
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return JSON.parse(out.join(''));
}

describe('opp commands on Azure ML (in-process, real SDK against the fakes)', () => {
  it('registers in Azure ML and deploys blue/green to a managed online endpoint', async () => {
    const reg = await run('register', '--bundle', await makeBundle(), '--name', 'opp', '--config', config);
    expect(reg).toMatchObject({ registry: 'azureml', version: '1', lineage: { metrics: { auc: 0.9 } } });
    await run('register', '--bundle', await makeBundle(), '--name', 'opp', '--config', config);
    expect(await run('deploy', '--model', 'opp:1', '--config', config, '--gate-config', gate)).toMatchObject({
      target: 'azureml',
    });
    const second = await run(
      'deploy',
      '--model',
      'opp:2',
      '--config',
      config,
      '--gate-config',
      gate,
      '--promote',
    );
    expect(second).toMatchObject({
      promoted: true,
      endpoints: [{ endpoint: 'aml-ep', traffic: { 'opp-v1': 0, 'opp-v2': 100 } }],
    });
    expect(fake.endpoints.get('aml-ep')).toMatchObject({
      properties: { traffic: { 'opp-v1': 0, 'opp-v2': 100 } },
    });
    expect(fake.violations).toEqual([]);
  });

  it('submits a training job, waits, and downloads the bundle with its metrics', async () => {
    const container = new ContainerClient(`${azurite.url}/azureml-blobstore`, azurite.credential);
    await container.createIfNotExists();
    const bundle = await makeBundle({}, 0.77);
    await container
      .getBlockBlobClient('azureml/cli-train/bundle/metrics.json')
      .uploadFile(join(bundle, 'metrics.json'));
    const result = await run(
      'aml',
      'submit-train',
      '--compute',
      'cpu-cluster',
      '--environment',
      'opp-train:1',
      '--snapshot',
      'azureml://datastores/workspaceblobstore/paths/snapshots/s1/',
      '--name',
      'cli-train',
      '--wait',
      '--poll-seconds',
      '0',
    );
    expect(result).toMatchObject({ job: 'cli-train', status: 'Completed', files: ['metrics.json'] });
    expect((result.metrics as { models: { test: { auc: number } }[] }).models[0]!.test.auc).toBe(0.77);
    expect(typeof result.resumeToken).toBe('string');
  });
});
