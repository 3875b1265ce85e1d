import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Predictor } from '../../../model/Predictor.js';
import { generateSampleRecords } from '../../../pipeline/sources/sample-records.js';
import { PACKAGE_ROOT } from '../../../pipeline/util/package-root.js';
import { jsonOf } from '../../support/http.js';
import { trainSmallOutput } from '../../support/trained-output.js';

const OPP = join(PACKAGE_ROOT, 'build', 'pipeline', 'cli', 'opp.js');
const KEY = 'serve-test-key';
let out: string;
let trainedDivisions: number[];
const children: ChildProcess[] = [];

beforeAll(async () => {
  out = await trainSmallOutput();
  const report = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  trainedDivisions = report.models
    .filter((m: { status: string }) => m.status === 'trained')
    .map((m: { division: number }) => m.division);
}, 120_000);

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Starts `opp serve … --json` and resolves with the child and the URL it prints. */
function serve(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [OPP, 'serve', '--port', '0', '--json', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
    });
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      try {
        resolve({ child, url: JSON.parse(stdout).url });
      } catch {
        // not a whole JSON document yet
      }
    });
    child.once('exit', (code) => reject(new Error(`opp serve exited ${code}: ${stderr}`)));
  });
}

const record = (() => {
  const { _sample, ...first } = [...generateSampleRecords({ n: 20, seed: 3 })].find(
    (r) => typeof r.project_size === 'number',
  )!;
  return first;
})();

async function score(url: string, body: unknown) {
  const response = await fetch(`${url}/score`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await jsonOf(response) };
}

describe('opp serve', () => {
  it('serves a training output: raw records scored as the Predictor scores them, divisions routed', async () => {
    const { url } = await serve(['--model', out], { OPP_SCORING_KEYS: `other,${KEY}` });
    const general = await Predictor.load(join(out, '0'));
    const { status, body } = await score(url, { record: { ...record, division: 0 } });
    expect(status).toBe(200);
    expect(body.probability).toBeCloseTo(general.scoreRecord(record).probability, 12);
    expect(body.model.division).toBe(0);

    const own = trainedDivisions.find((d) => d !== 0)!;
    const routed = await score(url, {
      instances: [
        { record: { ...record, division: own } },
        { record: { ...record, division: own === 7 ? 6 : 7 } },
      ],
    });
    expect(routed.status).toBe(200);
    expect(routed.body.predictions[0].model.division).toBe(own);
    expect(routed.body.predictions[1].model.division).toBe(0);
    expect(routed.body.predictions[1].fallback).toMatch(/no model of its own/);
    const ready = await jsonOf(await fetch(`${url}/health/ready`));
    expect(ready.models.map((m: { division: number }) => m.division).sort()).toEqual(trainedDivisions.sort());
  }, 60_000);

  it('reloads on SIGHUP and stops cleanly on SIGTERM', async () => {
    const { child, url } = await serve(['--model', out, '--version', 'v1', '--no-auth']);
    const before = await score(url, { record });
    expect(before.body.model.version).toBe('v1');
    child.kill('SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await score(url, { record })).status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);

  it('finds the model that Azure ML mounts under $AZUREML_MODEL_DIR', async () => {
    const mount = mkdtempSync(join(tmpdir(), 'azureml-models-'));
    mkdirSync(join(mount, 'opp-general'));
    cpSync(out, join(mount, 'opp-general', '3'), { recursive: true });
    const { url } = await serve(['--no-auth'], { AZUREML_MODEL_DIR: mount });
    expect((await score(url, { record })).status).toBe(200);
  }, 60_000);

  it('refuses to start without keys unless authentication is turned off explicitly', () => {
    const run = spawnSync(process.execPath, [OPP, 'serve', '--model', out, '--port', '0'], {
      encoding: 'utf8',
      env: { ...process.env, OPP_SCORING_KEYS: '' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'no scoring keys: set $OPP_SCORING_KEYS (comma-separated), or pass --no-auth for local use',
    );
  });

  it('names the folder when there is no model in it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'opp-empty-'));
    const run = spawnSync(process.execPath, [OPP, 'serve', '--model', empty, '--no-auth'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${empty}: no model here`);
  });
});

describe('the Azure ML container', () => {
  it("starts with the Dockerfile's own command and serves the mounted model", async () => {
    const dockerfile = readFileSync(join(PACKAGE_ROOT, 'model', 'server', 'container', 'Dockerfile'), 'utf8');
    const cmd: string[] = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!);
    expect(cmd.slice(0, 4)).toEqual(['node', 'build/pipeline/cli/opp.js', 'serve', '--host']);
    // As in the container, but on loopback and a free port.
    const args = cmd
      .slice(3)
      .map((arg, i, all) => (all[i - 1] === '--port' ? '0' : all[i - 1] === '--host' ? '127.0.0.1' : arg));
    const mount = mkdtempSync(join(tmpdir(), 'azureml-mount-'));
    cpSync(out, join(mount, 'opp', '1'), { recursive: true });
    const { url } = await serve(args, { AZUREML_MODEL_DIR: mount });
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    expect((await score(url, { record })).status).toBe(200);
  }, 60_000);
});
