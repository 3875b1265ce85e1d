import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cell } from '../../actions/shared/outcome.js';
import { run } from '../../actions/train/src/main.js';
import { generateSampleRecords } from '../../pipeline/sources/sample-records.js';
import { listFileStoreRuns } from '../../pipeline/tracking/read-file-store.js';
import { defaultConfigPath } from '../../pipeline/util/package-root.js';
import { type ActionHarness, createActionHarness, parseOutputs } from '../support/action-run.js';
import { startFakeMlflow } from '../support/fake-mlflow.js';

let harness: ActionHarness;
let records: string;
let config: string;

beforeAll(() => {
  harness = createActionHarness();
  records = join(harness.dir, 'records.jsonl');
  writeFileSync(
    records,
    `${[...generateSampleRecords({ n: 1500, seed: 4 })].map((r) => JSON.stringify(r)).join('\n')}\n`,
  );
  // The production config, made small: a few seconds on 2 cores. Only the general model trains.
  const shipped = JSON.parse(readFileSync(defaultConfigPath('production.json'), 'utf8'));
  config = join(harness.dir, 'small.json');
  writeFileSync(
    config,
    JSON.stringify({
      ...shipped,
      model: { hiddenLayers: [{ units: 8, activation: 'relu', dropout: 0 }] },
      training: { ...shipped.training, maxEpochs: 2 },
      evaluation: { ...shipped.evaluation, folds: 2 },
      divisions: { minRows: 1_000_000, minPerClass: 25 },
    }),
  );
});
afterAll(() => harness.dispose());

describe('train action', () => {
  it('trains on records, writes bundles and metrics.json, sets outputs and the summary', async () => {
    const out = join(harness.dir, 'out');
    const home = join(harness.dir, 'home');
    const result = await harness.run(
      run,
      { data: records, out, config, backend: 'wasm', seed: '7' },
      { OPP_HOME: home, MLFLOW_TRACKING_URI: '' },
    );
    expect(result.errors).toEqual([]);
    expect(result.failed).toBe(false);
    expect(result.outputs).toMatchObject({
      out,
      metrics: join(out, 'metrics.json'),
      'trained-divisions': '[0]',
      bundles: JSON.stringify([join(out, '0')]),
      backend: 'wasm',
      seed: '7',
    });
    const report = JSON.parse(readFileSync(result.outputs.metrics!, 'utf8'));
    expect(report.seed).toBe(7);
    expect(existsSync(join(out, '0'))).toBe(true);
    // The summary is the gate report's sections, from this run's metrics.json, with no verdict.
    const { summary } = result;
    expect(summary.startsWith('## opp train: 1 division trained, not gated yet\n')).toBe(true);
    expect(summary).toContain('**Not gated yet.**');
    expect(summary).not.toMatch(/opp metrics gate|✅ pass|❌ fail|### Gate reasons/);
    expect(summary).toContain('| seed | 7 |');
    const general = report.models.find((m: { division: number }) => m.division === 0);
    const { auc, threshold, confusion } = general.test;
    expect(summary).toContain('\n| division | AUC | status |\n');
    expect(summary).toMatch(
      new RegExp(`\\n\\| 0 general \\| ${auc.toFixed(3)}( \\[[^\\]]+\\])? \\| trained \\|\\n`),
    );
    expect(summary).toContain(
      `| 0 general | ${threshold.toFixed(3)} | ${confusion.tp} | ${confusion.fn} | ${confusion.fp} | ${confusion.tn} |`,
    );
    expect(summary).toContain(
      '<details><summary>Class balance, thresholds, confusion matrices and cross-validation</summary>',
    );
    expect(summary).toContain('<details><summary>Charts: division 0 (general)</summary>');
    expect(summary.match(/```mermaid/g)).toHaveLength(
      2 * report.models.filter((m: { curves?: unknown }) => m.curves).length,
    );
    expect(summary).toContain('### Provenance');

    // Recorded as `opp train` records it, by default in the MLflow file store under $OPP_HOME.
    const store = join(home, 'mlruns');
    expect(result.outputs.tracking).toBe(`file://${store}`);
    const runs = await listFileStoreRuns(store, 'opp');
    expect(runs.filter((r) => !r.parentRunId)).toHaveLength(1);
    const parent = runs.find((r) => !r.parentRunId);
    expect(parent).toMatchObject({ status: 'FINISHED', params: { seed: '7', backend: report.backend } });
    const children = runs.filter((r) => r.parentRunId === parent!.runId);
    // A child run per model of the report (the divisions' fallbacks too), as `opp train` logs them.
    expect(children.map((r) => r.runName).sort()).toEqual(
      report.models.map((m: { division: number; name: string }) => `division ${m.division} ${m.name}`).sort(),
    );
    const generalRun = children.find((r) => r.runName === 'division 0 general');
    expect(generalRun!.metrics.final_auc).toBeCloseTo(auc, 12);
    expect(summary).toContain(`| tracking | ${cell(`file://${store}`)} |`);
  });

  it('records the run on the MLflow server $MLFLOW_TRACKING_URI names, parent and child with fold losses', async () => {
    const server = await startFakeMlflow();
    try {
      const out = join(harness.dir, 'tracked-out');
      const result = await harness.run(
        run,
        { data: records, out, config, backend: 'wasm', seed: '3' },
        { OPP_HOME: join(harness.dir, 'tracked-home'), MLFLOW_TRACKING_URI: server.url },
      );
      expect(result.errors).toEqual([]);
      expect(result.outputs.tracking).toBe(server.url);
      expect(server.violations).toEqual([]);
      const runs = [...server.runs.values()];
      const parents = runs.filter((r) => !r.tags.has('mlflow.parentRunId'));
      expect(parents).toHaveLength(1);
      const parent = parents[0];
      expect(parent?.info.status).toBe('FINISHED');
      expect(parent?.params.get('seed')).toBe('3');
      const child = runs.find(
        (r) =>
          r.tags.get('mlflow.parentRunId') === parent!.info.run_id &&
          r.info.run_name === 'division 0 general',
      );
      expect(child?.info.status).toBe('FINISHED');
      const keys = new Set(child!.metrics.map((m) => m.key));
      for (const key of ['fold_1/train_loss', 'fold_2/val_loss', 'final_auc']) expect(keys).toContain(key);
    } finally {
      await server.close();
    }
  });

  it('does not fail the training when the MLflow server is down: a warning, and the run waits in the outbox', async () => {
    const server = await startFakeMlflow();
    server.down = true;
    try {
      const home = join(harness.dir, 'down-home');
      const result = await harness.run(
        run,
        { data: records, out: join(harness.dir, 'down-out'), config, backend: 'wasm' },
        { OPP_HOME: home, MLFLOW_TRACKING_URI: server.url },
      );
      expect(result.errors).toEqual([]);
      expect(result.failed).toBe(false);
      expect(result.outputs['trained-divisions']).toBe('[0]');
      expect(result.stdout).toContain(
        `::warning::tracking: tracking server ${server.url} failed (GET /api/2.0/mlflow/experiments/get-by-name: HTTP 503`,
      );
      expect(result.stdout).toContain(
        `the run is kept in ${join(home, 'tracking', 'outbox')} and uploaded later`,
      );
      expect(server.runs.size).toBe(0);
      expect(readdirSync(join(home, 'tracking', 'outbox')).length).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });

  it('fails naming the input when the data file or the backend is wrong', async () => {
    const missing = await harness.run(run, { data: join(harness.dir, 'nope.csv') });
    expect(missing.failed).toBe(true);
    expect(missing.errors.at(-1)).toBe(`Input data: file not found: ${join(harness.dir, 'nope.csv')}`);
    const backend = await harness.run(run, { data: records, backend: 'gpu' });
    expect(backend.errors.at(-1)).toMatch(/^Input backend: expected one of auto, wasm/);
    const division = await harness.run(run, { data: records, division: 'some' });
    expect(division.errors.at(-1)).toMatch(/^Input division: expected "all" or a division number/);
  });

  it('runs bundled from dist/, where the wasm backend loads the .wasm files copied beside the bundle', async () => {
    const out = join(harness.dir, 'bundled-out');
    const files = {
      output: join(harness.dir, 'bundled-output'),
      summary: join(harness.dir, 'bundled-summary'),
    };
    writeFileSync(files.output, '');
    writeFileSync(files.summary, '');
    const { stdout } = await promisify(execFile)(process.execPath, ['actions/train/dist/index.js'], {
      env: {
        PATH: process.env.PATH,
        INPUT_DATA: records,
        INPUT_OUT: out,
        INPUT_CONFIG: config,
        INPUT_BACKEND: 'wasm',
        OPP_HOME: join(harness.dir, 'bundled-home'),
        GITHUB_OUTPUT: files.output,
        GITHUB_STEP_SUMMARY: files.summary,
      },
    });
    expect(stdout).not.toContain('::error::');
    expect(stdout).toContain('tfjs backend wasm');
    expect(existsSync('actions/train/dist/tfjs-backend-wasm-simd.wasm')).toBe(true);
    expect(parseOutputs(readFileSync(files.output, 'utf8'))).toMatchObject({
      backend: 'wasm',
      metrics: join(out, 'metrics.json'),
    });
    expect(readFileSync(files.summary, 'utf8')).toContain('## opp train');
  });
});
