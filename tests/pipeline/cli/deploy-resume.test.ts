import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registerDeploy, rolloutFile } from '../../../pipeline/cli/commands/deploy.js';
import { beginDeploy, deployModelVersion } from '../../../pipeline/deployment/blue-green.js';
import { LocalDeploymentTarget } from '../../../pipeline/deployment/LocalDeploymentTarget.js';
import { AtomicFile } from '../../../pipeline/io/AtomicFile.js';
import { LocalModelRegistry } from '../../../pipeline/registry/LocalModelRegistry.js';
import { OPP_HOME_ENV } from '../../../pipeline/util/opp-home.js';
import { makeBundle, placeholderDeploymentConfig, writeFixtureGate } from '../../support/bundle-fixture.js';

const home = mkdtempSync(join(tmpdir(), 'opp-deploy-resume-'));
const shipped = placeholderDeploymentConfig();
const registry = new LocalModelRegistry(join(home, 'registry'));
const target = new LocalDeploymentTarget(
  registry,
  { serverCommand: shipped.local.serverCommand, healthProbes: 2 },
  join(home, 'endpoints'),
);

afterAll(async () => {
  await target.removeEndpoint('resume-ep');
  vi.unstubAllEnvs();
});

describe('opp deploy --resume', () => {
  it('continues an interrupted rollout from the token saved for the endpoint', async () => {
    vi.stubEnv(OPP_HOME_ENV, home);
    const bundle = await makeBundle();
    const v1 = await registry.registerVersion('opp', bundle, {});
    const v2 = await registry.registerVersion('opp', bundle, {});
    const fast = { stepWaitMs: 100, healthTimeoutMs: 1000, healthPollMs: 50 };
    await deployModelVersion(target, 'resume-ep', v1, fast);
    // A rollout of v2 that stopped at its 10% step (say, the CI job timed out), token saved.
    const interrupted = beginDeploy(target, 'resume-ep', v2, { ...fast, steps: [10, 100] });
    while (interrupted.getOperationState().phase !== 'check') await interrupted.poll();
    await AtomicFile.write(rolloutFile('resume-ep'), interrupted.toString());

    const config = join(home, 'deployment.json');
    writeFileSync(config, JSON.stringify({ ...shipped, endpoint: 'resume-ep' }));
    const program = new Command('opp').exitOverride();
    registerDeploy(program);
    const out: string[] = [];
    const notes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((c) => out.push(String(c)) > 0);
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => notes.push(String(c)) > 0);
    try {
      await program.parseAsync(
        [
          'deploy',
          '--model',
          'opp:2',
          '--config',
          config,
          '--gate-config',
          writeFixtureGate(home),
          '--resume',
          '--json',
        ],
        {
          from: 'user',
        },
      );
    } finally {
      vi.restoreAllMocks();
    }
    expect(notes.join('')).toMatch(/resuming the rollout/);
    expect(JSON.parse(out.join('')).endpoints[0]).toMatchObject({
      previousTraffic: { 'opp-v1': 100 },
      traffic: { 'opp-v1': 0, 'opp-v2': 100 },
    });
    expect(existsSync(rolloutFile('resume-ep'))).toBe(false);
  });
});
