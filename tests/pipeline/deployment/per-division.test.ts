import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registerDeploy } from '../../../pipeline/cli/commands/deploy.js';
import { LocalDeploymentTarget } from '../../../pipeline/deployment/LocalDeploymentTarget.js';
import { LocalModelRegistry } from '../../../pipeline/registry/LocalModelRegistry.js';
import { OPP_HOME_ENV } from '../../../pipeline/util/opp-home.js';
import { makeBundle, placeholderDeploymentConfig, writeFixtureGate } from '../../support/bundle-fixture.js';

const home = mkdtempSync(join(tmpdir(), 'opp-per-division-'));
const registry = new LocalModelRegistry(join(home, 'registry'));
const target = new LocalDeploymentTarget(registry, { serverCommand: ['node'] }, join(home, 'endpoints'));

afterAll(async () => {
  for (const ep of ['div-d0', 'div-d3']) await target.removeEndpoint(ep);
  vi.unstubAllEnvs();
});

describe('per-division mode', () => {
  it('rolls the bundle out to one endpoint per division, each deployment told its division', async () => {
    vi.stubEnv(OPP_HOME_ENV, home);
    await registry.registerVersion('opp', await makeBundle(), {});
    const shipped = placeholderDeploymentConfig();
    const config = join(home, 'deployment.json');
    writeFileSync(
      config,
      JSON.stringify({
        ...shipped,
        endpoint: 'div',
        divisions: { mode: 'per-division' },
        traffic: { steps: [100], stepWaitSeconds: 0, healthTimeoutSeconds: 1, healthPollSeconds: 0.05 },
      }),
    );
    const divisions = join(home, 'divisions.json');
    writeFileSync(
      divisions,
      JSON.stringify({
        divisions: [
          { id: 0, name: 'general' },
          { id: 3, name: 'three' },
        ],
      }),
    );
    const program = new Command('opp').exitOverride();
    registerDeploy(program);
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((c) => out.push(String(c)) > 0);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await program.parseAsync(
        [
          'deploy',
          '--model',
          'opp:1',
          '--config',
          config,
          '--gate-config',
          writeFixtureGate(home),
          '--divisions-config',
          divisions,
          '--json',
        ],
        {
          from: 'user',
        },
      );
    } finally {
      vi.restoreAllMocks();
    }
    const result = JSON.parse(out.join(''));
    expect(
      result.endpoints.map((e: { endpoint: string; deployment: string }) => [e.endpoint, e.deployment]),
    ).toEqual([
      ['div-d0', 'opp-v1-d0'],
      ['div-d3', 'opp-v1-d3'],
    ]);
    expect(await target.getTraffic('div-d3')).toEqual({ 'opp-v1-d3': 100 });
    const state = JSON.parse(readFileSync(join(home, 'endpoints', 'div-d3', 'state.json'), 'utf8'));
    expect(state.deployments['opp-v1-d3'].division).toBe(3);
  });
});
