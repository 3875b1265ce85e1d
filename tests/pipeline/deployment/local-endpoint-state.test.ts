import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalDeploymentTarget } from '../../../pipeline/deployment/LocalDeploymentTarget.js';
import { serverEnvironment } from '../../../pipeline/deployment/local-server-env.js';
import { isConfigError } from '../../../pipeline/errors/ConfigError.js';
import { LocalModelRegistry } from '../../../pipeline/registry/LocalModelRegistry.js';
import type { ModelVersion } from '../../../pipeline/registry/model-registry.js';
import { makeBundle } from '../../support/bundle-fixture.js';
import { runCli } from '../../support/run-cli.js';

/** A "server" that prints its URL and the names of the variables it was given, then exits. */
const ENV_DUMP = [
  process.execPath,
  '-e',
  "console.log('http://127.0.0.1:1'); console.log('ENV ' + JSON.stringify(process.env))",
];

async function setUp() {
  const home = await mkdtemp(join(tmpdir(), 'opp-state-'));
  const registry = new LocalModelRegistry(join(home, 'registry'));
  const model: ModelVersion = await registry.registerVersion('opp', await makeBundle(), {});
  const root = join(home, 'endpoints');
  const target = (command = ENV_DUMP) =>
    new LocalDeploymentTarget(registry, { serverCommand: command }, root);
  return { home, root, model, target };
}

const saved = { ...process.env };
afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
});

describe('local endpoint state', () => {
  it('keeps every deployment when several are created on one endpoint at once (no lost update)', async () => {
    const { model, target } = await setUp();
    const targets = [target(), target()];
    const names = Array.from({ length: 10 }, (_, i) => `opp-v${i}`);
    await Promise.all(
      names.map((name, i) =>
        targets[i % 2]!.createDeployment('twin', {
          name,
          model,
        }),
      ),
    );
    expect(Object.keys((await target().getEndpointState('twin')).deployments).sort()).toEqual(
      [...names].sort(),
    );
  });

  it("waits for another process's lock on the endpoint state before changing it", async () => {
    const { root, target } = await setUp();
    await mkdir(join(root, 'twin'), { recursive: true });
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600)']);
    await writeFile(join(root, 'twin', 'state.json.lock'), String(other.pid));
    const started = performance.now();
    await target().setTraffic('twin', {});
    expect(performance.now() - started).toBeGreaterThan(300);
    expect(existsSync(join(root, 'twin', 'state.json.lock'))).toBe(false);
    expect(await target().getTraffic('twin')).toEqual({});
  });

  it('refuses endpoint names that would leave the endpoints folder', async () => {
    const { home, model, target } = await setUp();
    for (const name of ['../../../x', '..', 'a/b', '.hidden', '']) {
      const error = await target()
        .createDeployment(name, { name: 'opp-v1', model })
        .catch((e: unknown) => e);
      expect(isConfigError(error), name).toBe(true);
      expect((error as Error).message).toContain('endpoint name');
    }
    expect(existsSync(join(home, 'x'))).toBe(false);
    expect(existsSync(join(home, '..', 'x'))).toBe(false);
  });

  it('opp deploy and opp endpoint serve refuse --endpoint ../../../x, naming the option', async () => {
    for (const args of [
      ['deploy', '--model', 'opp:1', '--endpoint', '../../../x'],
      ['endpoint', 'serve', '--endpoint', '../../../x'],
    ]) {
      const { code, stderr } = await runCli(args);
      expect(code).not.toBe(0);
      expect(stderr).toMatch(/--endpoint <name>.*'\.\.\/\.\.\/\.\.\/x' is invalid/);
      expect(stderr).toContain('expected an endpoint name of 3-32 letters');
    }
  });

  it("starts deployment servers with an allow-listed environment, not the deployer's secrets", async () => {
    process.env.AZURE_CLIENT_SECRET = 'azure-secret';
    process.env.OPP_STORAGE_CONNECTION_STRING = 'AccountKey=storage-secret';
    process.env.OPP_RECORD_API_KEY = 'record-secret';
    process.env.GITHUB_TOKEN = 'github-secret';
    process.env.OPP_BACKEND = 'wasm';
    const { model, target } = await setUp();
    const local = target();
    await local.createDeployment('twin', {
      name: 'opp-v1',
      model,
    });
    const log = await local.getLogs('twin', 'opp-v1', 10);
    const env = JSON.parse(/^ENV (.*)$/m.exec(log)![1]!) as Record<string, string>;
    expect(Object.keys(env).sort()).toEqual(
      expect.arrayContaining(['OPP_BACKEND', 'OPP_MODEL', 'OPP_MODEL_VERSION', 'PATH']),
    );
    expect(log).not.toMatch(/secret/);
    expect(serverEnvironment({ PATH: '/bin', AZURE_TENANT_ID: 't', OPP_HOME: '/h' })).toEqual({
      PATH: '/bin',
      OPP_HOME: '/h',
    });
  });
});
