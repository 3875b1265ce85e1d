import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalModelRegistry } from '../../../pipeline/registry/LocalModelRegistry.js';
import { generateSampleRecords } from '../../../pipeline/sources/sample-records.js';
import { defaultConfigPath, PACKAGE_ROOT } from '../../../pipeline/util/package-root.js';
import { jsonOf } from '../../support/http.js';
import { poisonWeights, registerUnchecked, writeTinyOutput } from '../../support/tiny-bundle.js';

const OPP = join(PACKAGE_ROOT, 'build', 'pipeline', 'cli', 'opp.js');
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

const { _sample, ...record } = [...generateSampleRecords({ n: 1, seed: 3 })][0]!;

/** Starts `opp serve --json --no-auth` on a free port; `stderr()` reads what it logged so far. */
function serve(dir: string): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(
    process.execPath,
    [OPP, 'serve', '--model', dir, '--port', '0', '--json', '--no-auth'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      try {
        resolve({ child, url: JSON.parse(stdout).url, stderr: () => stderr });
      } catch {
        // not a whole JSON document yet
      }
    });
    child.once('exit', (code) => reject(new Error(`opp serve exited ${code}: ${stderr}`)));
  });
}

async function score(url: string): Promise<{ probability: number; model: { version: string } }> {
  const response = await fetch(`${url}/score`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ record: { ...record, division: 0 } }),
  });
  expect(response.status).toBe(200);
  return jsonOf(response);
}

async function waitFor(condition: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('models with NaN weights (opp serve, opp deploy)', () => {
  it('opp serve refuses to start on one', async () => {
    const out = await writeTinyOutput();
    poisonWeights(join(out, '0'), 1);
    const run = spawnSync(process.execPath, [OPP, 'serve', '--model', out, '--no-auth', '--port', '0'], {
      encoding: 'utf8',
      // Without the gate the server would start and run on: give up rather than hang.
      timeout: 15_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/\(division 0\): layer 1 weights holds NaN at index 1/);
  }, 30_000);

  it('a SIGHUP reload keeps the old model on one, and a reload with changed weights gets a new version', async () => {
    const out = await writeTinyOutput();
    const server = await serve(out);
    const before = await score(server.url);
    expect(Number.isFinite(before.probability)).toBe(true);

    poisonWeights(join(out, '0'), 0);
    server.child.kill('SIGHUP');
    await waitFor(() => server.stderr().includes('reload failed'));
    expect(server.stderr()).toMatch(
      /reload failed, still serving the previous models: .*\(division 0\): layer 1 weights holds NaN at index 0/,
    );
    expect(await score(server.url)).toEqual(before);

    poisonWeights(join(out, '0'), 0, 0.25);
    server.child.kill('SIGHUP');
    await waitFor(() => server.stderr().includes('reloaded models'));
    const after = await score(server.url);
    expect(Number.isFinite(after.probability)).toBe(true);
    expect(after.model.version).not.toBe(before.model.version);
  }, 30_000);

  it('opp deploy refuses a registered version with NaN weights before creating a deployment', async () => {
    const home = mkdtempSync(join(tmpdir(), 'opp-nan-deploy-'));
    const out = await writeTinyOutput();
    poisonWeights(join(out, '0'), 3);
    const registry = new LocalModelRegistry(join(home, 'registry'));
    const version = await registerUnchecked(registry.root, 'opp', out);
    const run = spawnSync(
      process.execPath,
      [
        OPP,
        'deploy',
        '--model',
        `opp:${version}`,
        '--target',
        'local',
        '--registry',
        'local',
        '--config',
        defaultConfigPath('deployment.json'),
      ],
      { encoding: 'utf8', cwd: PACKAGE_ROOT, env: { ...process.env, OPP_HOME: home }, timeout: 30_000 },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/\(division 0\): layer 1 weights holds NaN at index 3/);
    expect(existsSync(join(home, 'endpoints'))).toBe(false);
  }, 60_000);
});
