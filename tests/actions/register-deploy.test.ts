import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run as deploy } from '../../actions/deploy/src/main.js';
import { run as register } from '../../actions/register/src/main.js';
import { LocalDeploymentTarget } from '../../pipeline/deployment/LocalDeploymentTarget.js';
import { LocalModelRegistry } from '../../pipeline/registry/LocalModelRegistry.js';
import { defaultConfigPath } from '../../pipeline/util/package-root.js';
import { createActionHarness } from '../support/action-run.js';
import { makeBundle, writeFixtureGate } from '../support/bundle-fixture.js';
import { poisonWeights, registerUnchecked, writeTinyOutput } from '../support/tiny-bundle.js';

const harness = createActionHarness();
const home = mkdtempSync(join(tmpdir(), 'opp-action-deploy-'));
const env = { OPP_HOME: home, GITHUB_SHA: 'f'.repeat(40) };
// The shipped config, served by the placeholder server and with fast health checks.
const shipped = JSON.parse(readFileSync(defaultConfigPath('deployment.json'), 'utf8'));
const config = join(home, 'deployment.json');
writeFileSync(
  config,
  JSON.stringify({
    ...shipped,
    endpoint: 'action-ep',
    traffic: { steps: [10, 100], stepWaitSeconds: 0, healthTimeoutSeconds: 1, healthPollSeconds: 0.05 },
    local: {
      ...shipped.local,
      serverCommand: [
        'node',
        '{root}/tests/support/placeholder-server.mjs',
        '--bundle',
        '{bundle}',
        '--port',
        '{port}',
      ],
      healthProbes: 2,
    },
  }),
);

// A gate the fixture bundles (AUC 0.9) pass, and one with AUC 0.7 fails.
const gateConfig = writeFixtureGate(home);

afterAll(async () => {
  const registry = new LocalModelRegistry(join(home, 'registry'));
  const target = new LocalDeploymentTarget(registry, { serverCommand: ['node'] }, join(home, 'endpoints'));
  for (const endpoint of ['action-ep', 'skip-ep']) await target.removeEndpoint(endpoint);
  harness.dispose();
});

describe('register and deploy actions (local registry and target)', () => {
  it('registers a bundle as a candidate with lineage and tags', async () => {
    const result = await harness.run(
      register,
      { bundle: await makeBundle(), name: 'opp', config, tags: 'trigger=schedule\n\nrun=12' },
      env,
    );
    expect(result.errors).toEqual([]);
    expect(result.outputs).toMatchObject({
      name: 'opp',
      version: '1',
      model: 'opp:1',
      stage: 'candidate',
      registry: 'local',
    });
    expect(result.summary).toContain('## opp register: opp:1 (candidate)');
    expect(result.summary).toContain(`| git commit | ${'f'.repeat(40)} |`);
    expect(result.summary).toContain('| tag trigger | schedule |');
  });

  it('fails with the cause when the bundle has no metrics.json, or a tag is malformed', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'opp-empty-bundle-'));
    const result = await harness.run(register, { bundle: empty, name: 'opp', config }, env);
    expect(result.failed).toBe(true);
    expect(result.errors.at(-1)).toMatch(/metrics\.json/);
    const tag = await harness.run(register, { bundle: empty, name: 'opp', config, tags: 'oops' }, env);
    expect(tag.errors.at(-1)).toBe('Input tags: expected key=value lines, but got "oops"');
  });

  it('with skip-same-snapshot registers nothing when a live version has the snapshot, and registers a new one', async () => {
    const snapA = 'a'.repeat(64);
    const snapB = 'b'.repeat(64);
    const registry = new LocalModelRegistry(join(home, 'registry'));
    const inputs = { name: 'weekly', config, 'skip-same-snapshot': 'true' };
    const first = await harness.run(
      register,
      { ...inputs, bundle: await makeBundle(), 'snapshot-id': snapA },
      env,
    );
    expect(first.errors).toEqual([]);
    expect(first.outputs).toMatchObject({ skipped: 'false', model: 'weekly:1' });
    await registry.setStage('weekly', '1', 'production');

    // The next week, the same snapshot: the production version already is that training.
    const same = await harness.run(
      register,
      { ...inputs, bundle: await makeBundle(), 'snapshot-id': snapA },
      env,
    );
    expect(same.errors).toEqual([]);
    expect(same.failed).toBe(false);
    expect(same.outputs).toMatchObject({ skipped: 'true', model: 'weekly:1', stage: 'production' });
    expect(same.summary).toContain('skipped, weekly:1 (production) has the same snapshot');

    // New data: registered; without the input, the same snapshot registers again as before.
    const next = await harness.run(
      register,
      { ...inputs, bundle: await makeBundle(), 'snapshot-id': snapB },
      env,
    );
    expect(next.outputs).toMatchObject({ skipped: 'false', model: 'weekly:2', stage: 'candidate' });
    const again = await harness.run(
      register,
      { ...inputs, bundle: await makeBundle(), 'snapshot-id': snapB },
      env,
    );
    expect(again.outputs).toMatchObject({ skipped: 'true', model: 'weekly:2', stage: 'candidate' });
    const forced = await harness.run(
      register,
      { name: 'weekly', config, bundle: await makeBundle(), 'snapshot-id': snapB },
      env,
    );
    expect(forced.outputs).toMatchObject({ skipped: 'false', model: 'weekly:3' });
    const versions = [];
    for await (const version of registry.listVersions('weekly')) versions.push(version.version);
    expect(versions).toEqual(['1', '2', '3']);
  });

  it('deploys v1, promotes it, then fails v2 on health with the logs in the summary and v1 kept at 100%', async () => {
    const d1 = await harness.run(
      deploy,
      { model: 'opp:1', config, 'gate-config': gateConfig, promote: 'true' },
      env,
    );
    expect(d1.errors).toEqual([]);
    expect(d1.outputs).toMatchObject({
      model: 'opp:1',
      version: '1',
      endpoints: '["action-ep"]',
      deployments: '["opp-v1"]',
      traffic: JSON.stringify({ 'action-ep': { 'opp-v1': 100 } }),
      promoted: 'true',
      'gate-passed': 'true',
    });
    expect(d1.summary).toContain('## opp deploy: ✅ opp:1');
    // What was rolled out: a first deployment (no old one); the local target has no scoring URI.
    expect(d1.outputs).not.toHaveProperty('scoring-uri');
    expect(d1.summary).toContain('\n| action-ep | - | opp-v1 | - | opp-v1 100% | - |\n');
    // Each traffic step as it happened: share, split, the probe's result, the time.
    expect(d1.summary).toMatch(
      /\n\| action-ep \| opp-v1 \| 100% \| opp-v1 100% \| ✅ error rate 0\.0%: [^|\n]*\/health\/ready ok \| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \|\n/,
    );
    // The gate it re-checked: verdict and the comment's compact table.
    expect(d1.summary).toContain('### Gate re-checked on `opp:1`: ✅ passed');
    expect(d1.summary).toContain(
      '\n| division | AUC | gate |\n| --- | --- | --- |\n| 0 general | 0.900 | ✅ pass |\n',
    );
    expect(d1.summary).not.toContain('### Rollback');

    const bad = await makeBundle({ 'placeholder-fail-health': '' });
    const r2 = await harness.run(register, { bundle: bad, name: 'opp', config }, env);
    expect(r2.outputs.version).toBe('2');
    const d2 = await harness.run(
      deploy,
      { model: 'opp:2', config, 'gate-config': gateConfig, traffic: '50,100' },
      env,
    );
    expect(d2.failed).toBe(true);
    expect(d2.errors.at(-1)).toMatch(/traffic unchanged/);
    expect(d2.summary).toContain('## opp deploy: ❌ opp:2');
    expect(d2.summary).toContain('| rolled back | yes |');
    expect(d2.summary).toContain('| traffic now | opp-v1 100% |');
    expect(d2.summary).toContain('### Traffic steps\n\nNo traffic moved.');
    expect(d2.summary).toMatch(
      /### Rollback\n\n- \d{4}-\d\d-\d\dT[\d:.]+Z: action-ep rolled back from opp-v2: not healthy after 1 s: [^\n]*answered 503\. Traffic restored to opp-v1 100%\.\n/,
    );
    expect(d2.summary).toContain('### Gate re-checked on `opp:2`: ✅ passed');
    expect(d2.summary).toContain('### Logs of the failed deployment');
    expect(d2.summary).toMatch(/readiness probe \d+ failed/);
    expect(d2.outputs).toEqual({ 'gate-passed': 'true' });

    const production = await harness.run(
      deploy,
      { model: 'opp:production', config, 'gate-config': gateConfig, 'step-wait': '0' },
      env,
    );
    expect(production.errors).toEqual([]);
    expect(production.outputs.version).toBe('1');
  });

  it('re-checks the gate on the registered metrics and stops before any traffic moves when it fails', async () => {
    const weak = await harness.run(
      register,
      { bundle: await makeBundle({}, 0.7), name: 'weak', config },
      env,
    );
    expect(weak.outputs.model).toBe('weak:1');
    const result = await harness.run(deploy, { model: 'weak:1', config, 'gate-config': gateConfig }, env);
    expect(result.failed).toBe(true);
    expect(result.errors.at(-1)).toMatch(/^metrics gate failed for 1 division:\n.*auc/);
    expect(result.outputs).toEqual({ 'gate-passed': 'false' });
    expect(result.stdout).not.toMatch(/deploying weak:1/);
    // The summary says why: the gate's verdict, the compact table and the reason.
    expect(result.summary).toContain('## opp deploy: ❌ weak:1 refused by the gate\n\nNothing was deployed');
    expect(result.summary).toContain('### Gate re-checked on `weak:1`: ❌ failed');
    expect(result.summary).toContain('| 0 general | 0.700 | ❌ fail |');
    expect(result.summary).toContain('- ❌ AUC below the minimum 0.800: division 0 (0.700)');
  });

  it('with skip-gate deploys without the re-check, and the summary says the gate was not re-checked', async () => {
    const result = await harness.run(
      deploy,
      { model: 'weak:1', config, 'gate-config': gateConfig, 'skip-gate': 'true', endpoint: 'skip-ep' },
      env,
    );
    expect(result.errors).toEqual([]);
    expect(result.outputs).toMatchObject({ model: 'weak:1', endpoints: '["skip-ep"]' });
    expect(result.outputs).not.toHaveProperty('gate-passed');
    expect(result.stdout).toContain('::warning::skip-gate: deploying weak:1 without re-checking the gate');
    expect(result.summary).toContain(
      '### Gate not re-checked\n\n`skip-gate` was set: the gate was not re-checked on `weak:1`.',
    );
    expect(result.summary).not.toContain('### Gate re-checked');
  });

  it('refuses a model with NaN weights: register stores nothing, deploy creates no deployment', async () => {
    const out = await writeTinyOutput();
    poisonWeights(join(out, '0'), 0);
    const registered = await harness.run(register, { bundle: out, name: 'nan', config }, env);
    expect(registered.failed).toBe(true);
    expect(registered.errors.at(-1)).toMatch(/\(division 0\): layer 1 weights holds NaN at index 0/);
    // One registered before the registry checked (or by another tool) is refused at deploy.
    const version = await registerUnchecked(join(home, 'registry'), 'nan', out);
    const result = await harness.run(deploy, { model: `nan:${version}`, config }, env);
    expect(result.failed).toBe(true);
    expect(result.errors.at(-1)).toMatch(/\(division 0\): layer 1 weights holds NaN at index 0/);
    expect(result.stdout).not.toMatch(/deploying nan:/);
  });

  it('refuses malformed model and traffic inputs, naming them', async () => {
    const model = await harness.run(deploy, { model: 'opp', config }, env);
    expect(model.errors.at(-1)).toMatch(/^Input model: expected <name>:<version>/);
    const traffic = await harness.run(deploy, { model: 'opp:1', config, traffic: '50,20' }, env);
    expect(traffic.errors.at(-1)).toMatch(/^Input traffic: expected ascending percents/);
    const division = await harness.run(
      deploy,
      { model: 'opp:1', config, 'gate-config': gateConfig, division: '3' },
      env,
    );
    expect(division.errors.at(-1)).toMatch(/^division 3: the deployment config is single-endpoint/);
  });
});
