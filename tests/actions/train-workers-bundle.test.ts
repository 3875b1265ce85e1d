import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: the bundler is plain JavaScript (actions/bundle.mjs), without types.
import { bundleAction } from '../../actions/bundle.mjs';
import { generateSampleRecords } from '../../pipeline/sources/sample-records.js';
import { defaultConfigPath } from '../../pipeline/util/package-root.js';
import { parseOutputs } from '../support/action-run.js';
import { checkoutWorkingTree } from '../support/workflow-run.js';

/**
 * The train action with `workers` > 1 (issue 25): its fit worker threads are part of the
 * bundle (dist/fit-worker.js), so the action runs on a checkout with neither build/ nor
 * node_modules, and never mixes dist/ with a build/ of other code. The bundle is built fresh
 * into the checkout (tests/actions/dist.test.ts holds the committed one to the same bytes).
 */

const bundleAction_ = bundleAction as (name: string, outFile: string) => Promise<string[]>;
let dir: string;
let workspace: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opp-train-workers-'));
  workspace = join(dir, 'workspace');
  checkoutWorkingTree(resolve('.'), workspace);
  rmSync(join(workspace, 'actions', 'train', 'dist'), { recursive: true, force: true });
  await bundleAction_('train', join(workspace, 'actions', 'train', 'dist', 'index.js'));
  writeFileSync(
    join(dir, 'records.jsonl'),
    `${[...generateSampleRecords({ n: 1500, seed: 4 })].map((r) => JSON.stringify(r)).join('\n')}\n`,
  );
  // The production config, made small: a few seconds on 2 cores. Only the general model trains.
  const shipped = JSON.parse(readFileSync(defaultConfigPath('production.json'), 'utf8'));
  writeFileSync(
    join(dir, 'small.json'),
    JSON.stringify({
      ...shipped,
      model: { hiddenLayers: [{ units: 8, activation: 'relu', dropout: 0 }] },
      training: { ...shipped.training, maxEpochs: 2 },
      evaluation: { ...shipped.evaluation, folds: 2 },
      divisions: { minRows: 1_000_000, minPerClass: 25 },
    }),
  );
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('train action bundle with workers: 2', () => {
  it('ships its fit worker and trains from a checkout without build/ or node_modules', async () => {
    expect(existsSync(join(workspace, 'actions', 'train', 'dist', 'fit-worker.js'))).toBe(true);
    expect(existsSync(join(workspace, 'build'))).toBe(false);
    expect(existsSync(join(workspace, 'node_modules'))).toBe(false);
    const temp = join(dir, 'runner-temp');
    mkdirSync(temp);
    const outputFile = join(temp, 'output');
    writeFileSync(outputFile, '');
    writeFileSync(join(temp, 'summary.md'), '');
    const inputs = {
      DATA: join(dir, 'records.jsonl'),
      OUT: join(dir, 'out'),
      CONFIG: join(dir, 'small.json'),
      WORKERS: '2',
      BACKEND: 'wasm',
      SEED: '7',
    };
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: temp,
      RUNNER_TEMP: temp,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: join(temp, 'summary.md'),
      ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k}`, v])),
    };
    let printed: string;
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        ['actions/train/dist/index.js'],
        { cwd: workspace, env, maxBuffer: 64 * 1024 * 1024 },
      );
      printed = stdout + stderr;
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      throw new Error(`the bundled train action failed:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
    }
    expect(printed).not.toContain('::error::');
    const outputs = parseOutputs(readFileSync(outputFile, 'utf8'));
    expect(outputs).toMatchObject({ 'trained-divisions': '[0]', backend: 'wasm', seed: '7' });
    expect(existsSync(join(dir, 'out', 'metrics.json'))).toBe(true);
  }, 120_000);
});
