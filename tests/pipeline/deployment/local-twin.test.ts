import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { beginDeploy, deployModelVersion } from '../../../pipeline/deployment/blue-green.js';
import { LocalDeploymentTarget } from '../../../pipeline/deployment/LocalDeploymentTarget.js';
import {
  DEPLOYMENT_HEADER,
  startLocalEndpointRouter,
} from '../../../pipeline/deployment/LocalEndpointRouter.js';
import { isDeploymentError } from '../../../pipeline/errors/DeploymentError.js';
import { LocalModelRegistry } from '../../../pipeline/registry/LocalModelRegistry.js';
import { makeBundle, PLACEHOLDER_SERVER_COMMAND } from '../../support/bundle-fixture.js';

const serverCommand = PLACEHOLDER_SERVER_COMMAND;
const fast = { stepWaitMs: 0, healthTimeoutMs: 600, healthPollMs: 50, steps: [10, 100] };
const targets: LocalDeploymentTarget[] = [];

async function setUp() {
  const home = await mkdtemp(join(tmpdir(), 'opp-twin-'));
  const registry = new LocalModelRegistry(join(home, 'registry'));
  const target = new LocalDeploymentTarget(
    registry,
    { serverCommand, healthProbes: 3 },
    join(home, 'endpoints'),
  );
  targets.push(target);
  return { registry, target };
}

afterEach(async () => {
  for (const t of targets.splice(0)) await t.removeEndpoint('twin');
});

describe('local twin: blue/green on local server processes', () => {
  it('register → deploy v1 → deploy v2 with a failing health check ⇒ v1 keeps 100%, error has the logs', async () => {
    const { registry, target } = await setUp();
    const v1 = await registry.registerVersion('opp', await makeBundle(), {});
    const v2 = await registry.registerVersion('opp', await makeBundle({ 'placeholder-fail-health': '' }), {});
    const first = await deployModelVersion(target, 'twin', v1, fast);
    expect(first.traffic).toEqual({ 'opp-v1': 100 });

    const error = await deployModelVersion(target, 'twin', v2, fast).catch((e: unknown) => e);
    expect(isDeploymentError(error)).toBe(true);
    if (!isDeploymentError(error)) return;
    expect(error.details).toMatchObject({ phase: 'health', rolledBack: true, traffic: { 'opp-v1': 100 } });
    expect(error.message).toContain('model failed to load');
    expect(await target.getTraffic('twin')).toEqual({ 'opp-v1': 100 });
    expect((await target.listDeployments('twin')).map((d) => d.name)).toEqual(['opp-v1']);
    expect((await target.checkHealth('twin', 'opp-v1')).healthy).toBe(true);
  });

  it('treats deploying the version that already has 100% as done, leaving its server alone', async () => {
    const { registry, target } = await setUp();
    const v1 = await registry.registerVersion('opp', await makeBundle(), {});
    await deployModelVersion(target, 'twin', v1, fast);
    const before = await target.listDeployments('twin');
    const again = await deployModelVersion(target, 'twin', v1, fast);
    expect(again).toMatchObject({ traffic: { 'opp-v1': 100 }, deleted: [] });
    expect(await target.listDeployments('twin')).toEqual(before);
  });

  it('brings the version that has 100% up again when its server died, instead of reporting it deployed', async () => {
    const { registry, target } = await setUp();
    const v1 = await registry.registerVersion('opp', await makeBundle(), {});
    await deployModelVersion(target, 'twin', v1, fast);
    const dead = (await target.getEndpointState('twin')).deployments['opp-v1']!;
    // As a machine restart or a killed demo leaves it: the state still says v1 serves everything.
    process.kill(dead.pid, 'SIGKILL');
    await waitFor(async () => !(await target.checkHealth('twin', 'opp-v1')).healthy);

    const again = await deployModelVersion(target, 'twin', v1, fast);
    expect(again.traffic).toEqual({ 'opp-v1': 100 });
    const revived = (await target.getEndpointState('twin')).deployments['opp-v1']!;
    expect(revived.pid).not.toBe(dead.pid);
    expect((await target.checkHealth('twin', 'opp-v1')).healthy).toBe(true);
    expect(await target.getTraffic('twin')).toEqual({ 'opp-v1': 100 });
  });

  it('resumes a rollout from its poller token in a new poller (as a later CI job would)', async () => {
    const { registry, target } = await setUp();
    const bundle = await makeBundle();
    const v1 = await registry.registerVersion('opp', bundle, {});
    const v2 = await registry.registerVersion('opp', bundle, {});
    await deployModelVersion(target, 'twin', v1, fast);
    const first = beginDeploy(target, 'twin', v2, { ...fast, stepWaitMs: 200 });
    while (first.getOperationState().phase !== 'check') await first.poll();
    expect(await target.getTraffic('twin')).toEqual({ 'opp-v1': 90, 'opp-v2': 10 });
    const token = first.toString();
    // The first poller is abandoned here; a fresh one picks the rollout up at the 10% check.
    const stages: string[] = [];
    const resumed = beginDeploy(target, 'twin', v2, {
      resumeFrom: token,
      onProgress: (e) => stages.push(e.stage),
    });
    const result = await resumed.pollUntilDone();
    expect(stages).toEqual(['traffic', 'traffic', 'cleanup']);
    expect(result).toMatchObject({
      deployment: 'opp-v2',
      previousTraffic: { 'opp-v1': 100 },
      traffic: { 'opp-v1': 0, 'opp-v2': 100 },
    });
    expect((await target.listDeployments('twin')).map((d) => d.name).sort()).toEqual(['opp-v1', 'opp-v2']);
  });

  it('reports a server that exits at start with its output, traffic untouched', async () => {
    const home = await mkdtemp(join(tmpdir(), 'opp-twin-'));
    const registry = new LocalModelRegistry(join(home, 'registry'));
    const crashing = ['node', '-e', 'console.error("cannot bind: address in use"); process.exit(3)'];
    const target = new LocalDeploymentTarget(registry, { serverCommand: crashing }, join(home, 'endpoints'));
    targets.push(target);
    const v1 = await registry.registerVersion('opp', await makeBundle(), {});
    const error = await deployModelVersion(target, 'twin', v1, fast).catch((e: unknown) => e);
    expect(isDeploymentError(error) && error.details).toMatchObject({
      phase: 'create',
      rolledBack: true,
      traffic: {},
    });
    expect(isDeploymentError(error) && error.message).toMatch(
      /exited with 3[\s\S]*cannot bind: address in use/,
    );
    expect(await target.listDeployments('twin')).toEqual([]);
  });

  it('routes requests through the local endpoint by the traffic split, or to a pinned deployment', async () => {
    const { registry, target } = await setUp();
    const bundle = await makeBundle();
    const v1 = await registry.registerVersion('opp', bundle, {});
    const v2 = await registry.registerVersion('opp', bundle, {});
    await deployModelVersion(target, 'twin', v1, fast);
    // Stop the v2 rollout at its 10% step.
    const rollout = beginDeploy(target, 'twin', v2, { ...fast, stepWaitMs: 60_000 });
    while (rollout.getOperationState().phase !== 'check') await rollout.poll();
    const router = await startLocalEndpointRouter(() => target.getEndpointState('twin'));
    try {
      const served: Record<string, number> = {};
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${router.url}/health/ready`);
        expect(res.status).toBe(200);
        const by = res.headers.get(DEPLOYMENT_HEADER)!;
        served[by] = (served[by] ?? 0) + 1;
        await res.arrayBuffer();
      }
      expect(served).toEqual({ 'opp-v1': 18, 'opp-v2': 2 });
      const pinned = await fetch(`${router.url}/health/live`, { headers: { [DEPLOYMENT_HEADER]: 'opp-v2' } });
      expect(pinned.headers.get(DEPLOYMENT_HEADER)).toBe('opp-v2');
    } finally {
      await router.close();
    }
  });

  it('rolls traffic back when the new deployment starts failing at a traffic step', async () => {
    const { registry, target } = await setUp();
    const v1 = await registry.registerVersion('opp', await makeBundle(), {});
    // Healthy for the first 3 probes (the readiness wait), failing from the 10% step on.
    const v2 = await registry.registerVersion('opp', await makeBundle({ 'placeholder-fail-after': '3' }), {});
    await deployModelVersion(target, 'twin', v1, fast);
    const progress: string[] = [];
    const error = await deployModelVersion(target, 'twin', v2, {
      ...fast,
      onProgress: (e) => progress.push(e.stage === 'traffic' ? `traffic ${e.percent}` : e.stage),
    }).catch((e: unknown) => e);
    expect(isDeploymentError(error) && error.details).toMatchObject({ phase: 'traffic', rolledBack: true });
    expect(progress).toEqual(['create', 'healthy', 'traffic 10', 'rollback']);
    expect(await target.getTraffic('twin')).toEqual({ 'opp-v1': 100 });
  });

  it('shifts traffic in steps and deletes deployments past keepDeployments', async () => {
    const { registry, target } = await setUp();
    const bundle = await makeBundle();
    const versions = [];
    for (let i = 0; i < 3; i++) versions.push(await registry.registerVersion('opp', bundle, {}));
    await deployModelVersion(target, 'twin', versions[0]!, { ...fast, keepDeployments: 2 });
    const seen: Record<string, number>[] = [];
    const second = await deployModelVersion(target, 'twin', versions[1]!, {
      ...fast,
      keepDeployments: 2,
      onProgress: (e) => e.stage === 'traffic' && seen.push(e.traffic),
    });
    expect(seen).toEqual([
      { 'opp-v1': 90, 'opp-v2': 10 },
      { 'opp-v1': 0, 'opp-v2': 100 },
    ]);
    expect(second.deleted).toEqual([]);
    const third = await deployModelVersion(target, 'twin', versions[2]!, { ...fast, keepDeployments: 2 });
    expect(third.deleted).toEqual(['opp-v1']);
    expect((await target.listDeployments('twin')).map((d) => d.name).sort()).toEqual(['opp-v2', 'opp-v3']);
    expect(await target.getTraffic('twin')).toEqual({ 'opp-v3': 100 });
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
