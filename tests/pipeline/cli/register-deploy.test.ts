import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalDeploymentTarget } from '../../../pipeline/deployment/LocalDeploymentTarget.js';
import { LocalModelRegistry } from '../../../pipeline/registry/LocalModelRegistry.js';
import { PACKAGE_ROOT } from '../../../pipeline/util/package-root.js';
import { makeBundle, placeholderDeploymentConfig, writeFixtureGate } from '../../support/bundle-fixture.js';

const OPP = join(PACKAGE_ROOT, 'build', 'pipeline', 'cli', 'opp.js');
const home = mkdtempSync(join(tmpdir(), 'opp-cli-deploy-'));
const config = join(home, 'deployment.json');
const gate = writeFixtureGate(home);
const shipped = placeholderDeploymentConfig();
writeFileSync(
  config,
  JSON.stringify({
    ...shipped,
    endpoint: 'cli-ep',
    traffic: { steps: [10, 100], stepWaitSeconds: 0, healthTimeoutSeconds: 1, healthPollSeconds: 0.05 },
    local: { ...shipped.local, healthProbes: 2 },
  }),
);

function opp(...args: string[]) {
  const run = spawnSync(process.execPath, [OPP, ...args], {
    encoding: 'utf8',
    cwd: PACKAGE_ROOT,
    env: { ...process.env, OPP_HOME: home },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

afterAll(async () => {
  const registry = new LocalModelRegistry(join(home, 'registry'));
  const target = new LocalDeploymentTarget(registry, { serverCommand: ['node'] }, join(home, 'endpoints'));
  await target.removeEndpoint('cli-ep');
  await target.removeEndpoint('cli-gate-ep');
});

describe('opp register / opp deploy (local)', () => {
  it.each([[['register']], [['deploy']], [['aml', 'submit-train']], [['endpoint', 'serve']]])(
    'prints help for %j',
    (command) => {
      const run = opp(...command, '--help');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: opp/);
    },
  );

  it('registers with lineage from metrics.json, deploys v1, and keeps v1 at 100% when v2 fails health', async () => {
    const reg1 = opp(
      'register',
      '--bundle',
      await makeBundle(),
      '--name',
      'opp',
      '--config',
      config,
      '--git-sha',
      'abc',
      '--json',
    );
    expect(reg1.code).toBe(0);
    expect(JSON.parse(reg1.stdout)).toMatchObject({
      registry: 'local',
      version: '1',
      stage: 'candidate',
      lineage: { gitSha: 'abc', specHash: 'spec-hash', configHash: 'config-hash', metrics: { auc: 0.9 } },
    });
    const bad = await makeBundle({ 'placeholder-fail-health': '' });
    expect(
      JSON.parse(opp('register', '--bundle', bad, '--name', 'opp', '--config', config, '--json').stdout)
        .version,
    ).toBe('2');

    const d1 = opp(
      'deploy',
      '--model',
      'opp:1',
      '--target',
      'local',
      '--config',
      config,
      '--gate-config',
      gate,
      '--json',
    );
    expect(d1.code).toBe(0);
    expect(JSON.parse(d1.stdout).endpoints[0]).toMatchObject({
      endpoint: 'cli-ep',
      deployment: 'opp-v1',
      traffic: { 'opp-v1': 100 },
    });

    const d2 = opp(
      'deploy',
      '--model',
      'opp:2',
      '--traffic',
      '10,100',
      '--config',
      config,
      '--gate-config',
      gate,
      '--json',
    );
    expect(d2.code).toBe(1);
    const error = JSON.parse(d2.stdout).error;
    expect(error.name).toBe('DeploymentError');
    expect(error.message).toMatch(/traffic unchanged/);
    expect(error.message).toMatch(/model failed to load/);
    expect(error.details).toMatchObject({ phase: 'health', rolledBack: true, traffic: { 'opp-v1': 100 } });
    expect(error.details.logs).toMatch(/model failed to load/);
    expect(d2.stderr).toMatch(/rolling back/);
    const state = JSON.parse(readFileSync(join(home, 'endpoints', 'cli-ep', 'state.json'), 'utf8'));
    expect(state.traffic).toEqual({ 'opp-v1': 100 });
  });

  it('--skip-same-snapshot registers nothing when a candidate or production version has the snapshot', async () => {
    const register = async (snapshot: string, ...extra: string[]) =>
      JSON.parse(
        opp(
          'register',
          '--bundle',
          await makeBundle(),
          '--name',
          'same-snap',
          '--config',
          config,
          '--snapshot-id',
          snapshot,
          '--json',
          ...extra,
        ).stdout,
      );
    expect(await register('s1', '--skip-same-snapshot')).toMatchObject({ skipped: false, version: '1' });
    expect(await register('s1', '--skip-same-snapshot')).toMatchObject({
      skipped: true,
      version: '1',
      stage: 'candidate',
      lineage: { snapshotId: 's1' },
    });
    expect(await register('s2', '--skip-same-snapshot')).toMatchObject({ skipped: false, version: '2' });
    expect(await register('s1')).toMatchObject({ skipped: false, version: '3' });
  });

  it('retrain-check says changed=false only when every named model has a live version on the snapshot', async () => {
    const check = (snapshot: string, ...names: string[]) =>
      JSON.parse(
        opp(
          'retrain-check',
          '--snapshot-id',
          snapshot,
          ...names.flatMap((name) => ['--name', name]),
          '--config',
          config,
          '--json',
        ).stdout,
      );
    const registry = new LocalModelRegistry(join(home, 'registry'));
    await registry.registerVersion('check-a', await makeBundle(), { snapshotId: 'k1' });
    await registry.registerVersion(
      'check-b',
      await makeBundle(),
      { snapshotId: 'k1' },
      { stage: 'archived' },
    );
    expect(check('k1', 'check-a')).toEqual({
      registry: 'local',
      snapshotId: 'k1',
      changed: false,
      models: [{ name: 'check-a', version: '1', stage: 'candidate' }],
    });
    // An archived version on the snapshot does not count (it may have been rolled back).
    expect(check('k1', 'check-a', 'check-b')).toMatchObject({
      changed: true,
      models: [{ name: 'check-a', version: '1' }, { name: 'check-b' }],
    });
    expect(check('k2', 'check-a')).toMatchObject({ changed: true, models: [{ name: 'check-a' }] });
  });

  it('re-checks the gate before any traffic moves: a version it refuses is not deployed unless --skip-gate', async () => {
    // AUC 0.6 is below the shipped gate's minimum (configs/gate.json: 0.65), and other bounds.
    const weak = opp('register', '--bundle', await makeBundle({}, 0.6), '--name', 'weak', '--config', config);
    expect(weak.code).toBe(0);
    const deploy = (...extra: string[]) =>
      opp('deploy', '--model', 'weak:1', '--endpoint', 'cli-gate-ep', '--config', config, '--json', ...extra);

    const refused = deploy();
    expect(refused.code).toBe(1);
    const error = JSON.parse(refused.stdout).error;
    expect(error.name).toBe('MetricsGateError');
    expect(error.message).toMatch(/^metrics gate failed for 1 division:\n/);
    expect(error.message).toContain('division 0 (general): auc 0.6000 < minimum 0.6500 (short by 0.0500)');
    expect(refused.stderr).toContain('gate re-checked on weak:1: failed');
    expect(refused.stderr).not.toMatch(/deploying weak:1/);
    expect(existsSync(join(home, 'endpoints', 'cli-gate-ep'))).toBe(false);

    // A gate file it passes lets it through; --skip-gate deploys it without the check, and says so.
    const looser = join(home, 'looser-gate.json');
    writeFileSync(looser, JSON.stringify({ minimum: { auc: 0.55 }, maximum: {}, maxDrop: {} }));
    const passed = deploy('--gate-config', looser);
    expect(passed.code).toBe(0);
    expect(passed.stderr).toContain('gate re-checked on weak:1: passed');
    expect(JSON.parse(passed.stdout)).toMatchObject({
      gateRechecked: true,
      endpoints: [{ endpoint: 'cli-gate-ep' }],
    });
    const skipped = deploy('--skip-gate');
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toContain('skip-gate: deploying weak:1 without re-checking the gate');
    expect(JSON.parse(skipped.stdout)).toMatchObject({
      gateRechecked: false,
      endpoints: [{ endpoint: 'cli-gate-ep' }],
    });
  });

  it('refuses a malformed --model and --traffic with exit code 2', () => {
    expect(opp('deploy', '--model', 'opp', '--config', config).code).toBe(2);
    expect(opp('deploy', '--model', 'opp:1', '--traffic', '50,20', '--config', config).code).toBe(2);
  });
});
