import { cpSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDeploymentConfig } from '../../../pipeline/config/deployment-config.js';
import { deployModelVersion } from '../../../pipeline/deployment/blue-green.js';
import { LocalDeploymentTarget } from '../../../pipeline/deployment/LocalDeploymentTarget.js';
import { isDeploymentError } from '../../../pipeline/errors/DeploymentError.js';
import { LocalModelRegistry } from '../../../pipeline/registry/LocalModelRegistry.js';
import { generateSampleRecords } from '../../../pipeline/sources/sample-records.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';
import { jsonOf } from '../../support/http.js';
import { poisonWeights, registerUnchecked } from '../../support/tiny-bundle.js';
import { trainSmallOutput } from '../../support/trained-output.js';

/** The shipped deployment config: its local server command is `opp serve` (built). */
const config = loadDeploymentConfig(defaultConfigPath('deployment.json'));
const serverCommand = config.local!.serverCommand;
const fast = { stepWaitMs: 0, healthTimeoutMs: 20_000, healthPollMs: 100, steps: [10, 100] };
let target: LocalDeploymentTarget;
let registry: LocalModelRegistry;
let trained: string;

beforeAll(async () => {
  trained = await trainSmallOutput();
  const home = await mkdtemp(join(tmpdir(), 'opp-deploy-serve-'));
  registry = new LocalModelRegistry(join(home, 'registry'));
  target = new LocalDeploymentTarget(
    registry,
    { serverCommand: serverCommand, healthProbes: 2 },
    join(home, 'endpoints'),
  );
}, 120_000);

afterAll(async () => {
  await target.removeEndpoint('serve-twin');
});

describe('local deployment with the real scoring server', () => {
  it('deploys a trained model with `opp serve`, and keeps it when a broken version fails to start', async () => {
    expect(serverCommand.slice(1, 3)).toEqual(['{root}/build/pipeline/cli/opp.js', 'serve']);
    const v1 = await registry.registerVersion('opp', trained, {});
    const result = await deployModelVersion(target, 'serve-twin', v1, fast);
    expect(result.traffic).toEqual({ 'opp-v1': 100 });

    const { deployments } = await target.getEndpointState('serve-twin');
    const url = deployments['opp-v1']!.url;
    const { _sample, ...record } = [...generateSampleRecords({ n: 5, seed: 2 })].find(
      (r) => typeof r.project_size === 'number',
    )!;
    const answer = await fetch(`${url}/score`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ record }),
    });
    expect(answer.status).toBe(200);
    expect((await jsonOf(answer)).model).toMatchObject({ version: '1', division: 0 });

    const broken = await mkdtemp(join(tmpdir(), 'opp-broken-'));
    cpSync(trained, broken, { recursive: true });
    writeFileSync(join(broken, '0', 'bundle.json'), '{"version": 1');
    // The registry refuses a bundle it cannot load; one registered before it checked (or by
    // another tool) still reaches a deployment, whose server must fail to start: rolled back.
    await expect(registry.registerVersion('opp', broken, {})).rejects.toThrow(/bundle\.json/);
    const v2 = await registry.getVersion('opp', await registerUnchecked(registry.root, 'opp', broken));
    const error = await deployModelVersion(target, 'serve-twin', v2, fast).catch((e: unknown) => e);
    expect(isDeploymentError(error)).toBe(true);
    if (!isDeploymentError(error)) return;
    expect(error.details).toMatchObject({ rolledBack: true, traffic: { 'opp-v1': 100 } });
    expect(error.message).toMatch(/bundle\.json/);
    expect(await target.getTraffic('serve-twin')).toEqual({ 'opp-v1': 100 });
  }, 120_000);

  it('rolls back a version with NaN weights before it takes traffic: its server refuses to start', async () => {
    const poisoned = await mkdtemp(join(tmpdir(), 'opp-nan-'));
    cpSync(trained, poisoned, { recursive: true });
    poisonWeights(join(poisoned, '0'), 0);
    const version = await registry.getVersion('opp', await registerUnchecked(registry.root, 'opp', poisoned));
    const before = await target.getTraffic('serve-twin');
    const error = await deployModelVersion(target, 'serve-twin', version, fast).catch((e: unknown) => e);
    expect(isDeploymentError(error)).toBe(true);
    if (!isDeploymentError(error)) return;
    expect(error.details).toMatchObject({ rolledBack: true, traffic: before });
    expect(error.details.logs).toMatch(/\(division 0\): layer 1 weights holds NaN at index 0/);
    expect(await target.getTraffic('serve-twin')).toEqual(before);
  }, 120_000);
});
