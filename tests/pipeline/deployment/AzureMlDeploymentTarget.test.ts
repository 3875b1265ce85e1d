import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureMlDeploymentTarget } from '../../../pipeline/deployment/AzureMlDeploymentTarget.js';
import { deployModelVersion } from '../../../pipeline/deployment/blue-green.js';
import { createScoringProbe } from '../../../pipeline/deployment/scoring-probe.js';
import { isDeploymentError } from '../../../pipeline/errors/DeploymentError.js';
import type { ModelVersion } from '../../../pipeline/registry/model-registry.js';
import { clientFor } from '../../support/azureml-fixture.js';
import { FAKE_API_VERSION, type FakeAzureMl, startFakeAzureMl } from '../../support/fake-azureml.js';

let fake: FakeAzureMl;
let target: AzureMlDeploymentTarget;
const fast = { stepWaitMs: 0, healthTimeoutMs: 500, healthPollMs: 20, steps: [10, 50, 100] };

function version(v: string): ModelVersion {
  return {
    name: 'opp',
    version: v,
    stage: 'candidate',
    tags: {},
    lineage: {},
    createdAt: '',
    files: [],
    uri: '',
  };
}

beforeAll(async () => {
  fake = await startFakeAzureMl();
  target = new AzureMlDeploymentTarget(clientFor(fake), {
    location: 'westeurope',
    environmentId: 'azureml:opp-serve:1',
    instanceType: 'Standard_DS3_v2',
    instanceCount: 1,
    authMode: 'Key',
    pollIntervalMs: 5,
  });
});
afterAll(async () => fake?.close());

describe('AzureMlDeploymentTarget (real SDK against the fake ARM server)', () => {
  it('creates the endpoint and deployments via Azure-AsyncOperation polling and shifts traffic in steps', async () => {
    await deployModelVersion(target, 'ep-blue', version('1'), fast);
    expect(fake.endpoints.get('ep-blue')).toMatchObject({
      properties: { authMode: 'Key', traffic: { 'opp-v1': 100 } },
    });
    const result = await deployModelVersion(target, 'ep-blue', version('2'), fast);
    expect(result.traffic).toEqual({ 'opp-v1': 0, 'opp-v2': 100 });
    const trafficPuts = fake
      .calls('PUT', /^\/onlineEndpoints\/ep-blue$/)
      .map((r) => (r.body as { properties: { traffic: Record<string, number> } }).properties.traffic);
    expect(trafficPuts.slice(-3)).toEqual([
      { 'opp-v1': 90, 'opp-v2': 10 },
      { 'opp-v1': 50, 'opp-v2': 50 },
      { 'opp-v1': 0, 'opp-v2': 100 },
    ]);
    const deploymentPut = fake.calls('PUT', /^\/onlineEndpoints\/ep-blue\/deployments\/opp-v2$/)[0]!;
    expect(deploymentPut.apiVersion).toBe(FAKE_API_VERSION);
    expect(deploymentPut.body).toMatchObject({
      properties: {
        endpointComputeType: 'Managed',
        model: expect.stringMatching(/\/models\/opp\/versions\/2$/),
        // Configured as `azureml:opp-serve:1` (the CLI shorthand, which REST does not take).
        environmentId: `${fake.prefix}/environments/opp-serve/versions/1`,
      },
    });
    // Every long-running call was followed by polls of its Azure-AsyncOperation URL.
    expect(fake.calls('GET', /mfeOperationsStatus/).length).toBeGreaterThanOrEqual(6);
    expect(fake.violations).toEqual([]);
    expect((await clientFor(fake).listEndpointKeys('ep-blue')).primaryKey).toBe('fake-primary-key');
  });

  it("gives the endpoint's scoring URI as the service reports it, none for an endpoint that does not exist", async () => {
    await deployModelVersion(target, 'ep-uri', version('1'), fast);
    const uri = await target.scoringUri('ep-uri');
    expect(uri).toBe(`${fake.url}/inference/ep-uri/score`);
    expect(uri).toBe(
      (fake.endpoints.get('ep-uri') as { properties: { scoringUri: string } }).properties.scoringUri,
    );
    expect(await target.scoringUri('ep-missing')).toBeUndefined();
  });

  it('fails provisioning ⇒ traffic unchanged, deployment removed, container logs in the error', async () => {
    await deployModelVersion(target, 'ep-fail', version('1'), fast);
    fake.failingDeployments.set('opp-v2', 'Traceback: cannot load model-0/weights.bin\nexit code 1');
    const error = await deployModelVersion(target, 'ep-fail', version('2'), fast).catch((e: unknown) => e);
    expect(isDeploymentError(error)).toBe(true);
    if (!isDeploymentError(error)) return;
    expect(error.details).toMatchObject({ phase: 'create', rolledBack: true, traffic: { 'opp-v1': 100 } });
    expect(error.message).toContain('cannot load model-0/weights.bin');
    expect(fake.endpoints.get('ep-fail')).toMatchObject({ properties: { traffic: { 'opp-v1': 100 } } });
    expect(
      fake.calls('POST', /^\/onlineEndpoints\/ep-fail\/deployments\/opp-v2\/getLogs$/)[0]!.body,
    ).toMatchObject({
      containerType: 'InferenceServer',
      tail: 200,
    });
    expect(fake.deployments.has('ep-fail/opp-v2')).toBe(false);
    fake.failingDeployments.clear();
  });

  it('rolls back when the error rate at a traffic step is too high', async () => {
    const probed = new AzureMlDeploymentTarget(clientFor(fake), {
      location: 'westeurope',
      environmentId: 'azureml:opp-serve:1',
      instanceType: 'Standard_DS3_v2',
      instanceCount: 1,
      authMode: 'Key',
      pollIntervalMs: 5,
      probe: async (_ep, d) => ({
        errorRate: d === 'opp-v2' ? 0.2 : 0,
        detail: '20% of scoring calls failed',
      }),
    });
    await deployModelVersion(probed, 'ep-rate', version('1'), fast);
    fake.logs.set('opp-v2', 'scoring error: shape mismatch');
    const error = await deployModelVersion(probed, 'ep-rate', version('2'), fast).catch((e: unknown) => e);
    expect(isDeploymentError(error) && error.details).toMatchObject({ phase: 'traffic', rolledBack: true });
    expect(isDeploymentError(error) && error.message).toContain('shape mismatch');
    expect(fake.endpoints.get('ep-rate')).toMatchObject({ properties: { traffic: { 'opp-v1': 100 } } });
  });

  it('measures the error rate with real scoring calls routed to the new deployment, and rolls back', async () => {
    const client = clientFor(fake);
    const probed = new AzureMlDeploymentTarget(client, {
      location: 'westeurope',
      environmentId: 'azureml:opp-serve:1',
      instanceType: 'Standard_DS3_v2',
      instanceCount: 1,
      authMode: 'Key',
      pollIntervalMs: 5,
      probe: createScoringProbe(client, { requests: 4, body: { records: [{ id: 'x' }] } }),
    });
    await deployModelVersion(probed, 'ep-score', version('1'), fast);
    fake.failingScoring.add('opp-v2');
    const error = await deployModelVersion(probed, 'ep-score', version('2'), fast).catch((e: unknown) => e);
    expect(isDeploymentError(error) && error.message).toMatch(
      /error rate 1 .*4\/4 scoring calls to opp-v2 failed \(last: HTTP 500\)/,
    );
    expect(fake.endpoints.get('ep-score')).toMatchObject({ properties: { traffic: { 'opp-v1': 100 } } });
    const calls = fake.requests.filter((r) => r.method === 'POST' && r.path === '/inference/ep-score/score');
    expect(new Set(calls.map((r) => r.headers['azureml-model-deployment']))).toEqual(
      new Set(['opp-v1', 'opp-v2']),
    );
  });

  it('retries 429 (Retry-After) and 5xx answers on endpoint and deployment calls', async () => {
    fake.faults.push(
      {
        method: 'PUT',
        path: /^\/onlineEndpoints\/ep-retry$/,
        status: 429,
        headers: { 'Retry-After': '1', 'retry-after-ms': '20' },
      },
      { method: 'PUT', path: /^\/onlineEndpoints\/ep-retry\/deployments\/opp-v1$/, status: 503 },
      { method: 'GET', path: /mfeOperationsStatus/, status: 500 },
    );
    const result = await deployModelVersion(target, 'ep-retry', version('1'), fast);
    expect(result.traffic).toEqual({ 'opp-v1': 100 });
    expect(fake.faults.every((f) => f.times === 0)).toBe(true);
  });
});
