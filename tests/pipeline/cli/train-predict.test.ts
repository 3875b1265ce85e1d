import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateSampleRecords } from '../../../pipeline/sources/sample-records.js';
import { runCli } from '../../support/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'opp-cli-train-'));
const data = join(dir, 'records.jsonl');
const config = join(dir, 'config.json');
const out = join(dir, 'out');

const small = {
  model: { hiddenLayers: [{ units: 8, activation: 'relu', dropout: 0.1 }] },
  training: { learningRate: 0.01, batchSize: 128, maxEpochs: 3, patience: 1, rebalancing: 'class-weight' },
  evaluation: { folds: 2 },
  // Only the general model qualifies: every division falls back.
  divisions: { minRows: 100_000, minPerClass: 10 },
};

const run = runCli;

beforeAll(() => {
  // Tracking writes MLflow's file store under $OPP_HOME: keep it in this test's folder.
  process.env.OPP_HOME = join(dir, 'home');
  writeFileSync(
    data,
    [...generateSampleRecords({ n: 1500, seed: 2 })].map((r) => JSON.stringify(r)).join('\n'),
  );
  writeFileSync(config, JSON.stringify(small));
});

afterEach(() => vi.restoreAllMocks());

describe('opp train and opp predict', () => {
  it('trains, writes metrics.json and bundles, and predict scores with them', async () => {
    const train = await run([
      'train',
      '--data',
      data,
      '--out',
      out,
      '--config',
      config,
      '--workers',
      '1',
      '--backend',
      'wasm',
      '--json',
    ]);
    expect(train.stderr).toMatch(/opp: tfjs backend wasm/);
    expect(train.code).toBe(0);
    const result = JSON.parse(train.stdout);
    expect(result.report.models).toHaveLength(8);
    expect(result.report.models[0]).toMatchObject({ division: 0, status: 'trained' });
    expect(result.report.models[0].test.auc).toBeGreaterThan(0.6);
    expect(result.report.models[5]).toMatchObject({ status: 'fallback' });
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).models).toHaveLength(8);

    // The training is tracked: a parent run, and a child run per model with fold losses and final metrics.
    expect(result.tracking).toBe(`file://${join(dir, 'home', 'mlruns')}`);
    const runs = JSON.parse((await run(['runs', '--json', '--limit', '50'])).stdout).runs;
    const parent = runs.find((r: { parentRunId?: string }) => !r.parentRunId);
    const children = runs.filter((r: { parentRunId?: string }) => r.parentRunId === parent.runId);
    expect(children).toHaveLength(8);
    const general = children.find((r: { params: Record<string, string> }) => r.params.division === '0');
    expect(general.params).toMatchObject({
      seed: String(result.report.seed),
      'training.learningRate': '0.01',
    });
    expect(Object.keys(general.metrics)).toEqual(
      expect.arrayContaining([
        'fold_1/train_loss',
        'fold_2/val_loss',
        'train_loss',
        'final_auc',
        'cv_mean_auc',
      ]),
    );
    expect(general.metrics.final_auc).toBeCloseTo(result.report.models[0].test.auc, 12);

    const scores = join(dir, 'scores.jsonl');
    const predict = await run(['predict', '--model', out, '--in', data, '--out', scores, '--json']);
    expect(predict.code).toBe(0);
    const lines = readFileSync(scores, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1500);
    const summary = JSON.parse(predict.stdout);
    expect(summary.scored + summary.invalid).toBe(1500);
    expect(lines.filter((l) => l.error)).toHaveLength(summary.invalid);
    expect(lines[0]).toEqual(
      expect.objectContaining({
        line: 1,
        model: 0,
        probability: expect.any(Number),
        percentile: expect.any(Number),
      }),
    );
  });

  it('scores a features CSV row by row with the model of its division (fallbacks: the general one)', async () => {
    const features = join(dir, 'features.csv');
    expect((await run(['features', '--in', data, '--out', features, '--json'])).code).toBe(0);
    const scores = join(dir, 'features-scores.jsonl');
    const predict = await run(['predict', '--model', out, '--in', features, '--out', scores, '--json']);
    expect(predict.code).toBe(0);
    const lines = readFileSync(scores, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBe(JSON.parse(predict.stdout).scored);
    expect(new Set(lines.map((l) => l.division)).size).toBeGreaterThan(1);
    for (const l of lines) {
      expect(l.model).toBe(0);
      expect(l.record_id).toEqual(expect.any(String));
    }
    // The same rows scored from the records give the same probabilities.
    const fromRecords = readFileSync(join(dir, 'scores.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const probabilities = new Set(fromRecords.filter((l) => !l.error).map((l) => l.probability));
    expect(lines.filter((l) => probabilities.has(l.probability)).length).toBeGreaterThan(lines.length * 0.9);
  });

  it('refuses an unknown config key, naming it', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...small, training: { ...small.training, epochz: 3 } }));
    const result = await run(['train', '--data', data, '--out', join(dir, 'x'), '--config', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\$\.training: unknown key "epochz"/);
  });
  it('reads the one data file in a folder, as Azure ML mounts a snapshot, and refuses an ambiguous folder', async () => {
    const folder = join(dir, 'snapshot-folder');
    mkdirSync(folder);
    copyFileSync(data, join(folder, 'snapshot.jsonl'));
    const train = await run([
      'train',
      '--data',
      folder,
      '--out',
      join(dir, 'out-folder'),
      '--config',
      config,
      '--workers',
      '1',
      '--division',
      '0',
      '--json',
    ]);
    expect(train.code).toBe(0);
    copyFileSync(data, join(folder, 'other.csv'));
    const ambiguous = await run([
      'train',
      '--data',
      folder,
      '--out',
      join(dir, 'out-2'),
      '--config',
      config,
      '--workers',
      '1',
    ]);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toContain(
      `${folder}: expected one .csv/.jsonl data file in the folder, found other.csv, snapshot.jsonl`,
    );
  });
});
