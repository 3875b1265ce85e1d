import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MetricSet, ModelReport } from '../../../model/metrics-report.js';
import { compareRuns, headlineMetrics } from '../../../pipeline/tracking/compare-runs.js';
import { FileStoreTracker } from '../../../pipeline/tracking/FileStoreTracker.js';
import { listFileStoreRuns } from '../../../pipeline/tracking/read-file-store.js';
import {
  epochMetricKeys,
  finalMetricKeys,
  flattenParams,
  logGateDecision,
  logModelReport,
  logTrainingParams,
  withTrackedRun,
} from '../../../pipeline/tracking/training-logging.js';

const metricSet = (auc: number): MetricSet => ({
  n: 100,
  positives: 20,
  accuracy: 0.87,
  precision: 0.8,
  recall: 0.7,
  f1: 0.75,
  auc,
  prAuc: 0.5,
  brier: 0.1,
  logLoss: 0.3,
  threshold: 0.4,
  confusion: { tp: 14, fp: 3, tn: 77, fn: 6 },
});

const model: ModelReport = {
  division: 3,
  name: 'Healthcare',
  status: 'trained',
  rows: { train: 80, test: 20, trainPositives: 16, testPositives: 4 },
  rebalancing: {
    method: 'none',
    before: { positives: 16, negatives: 64 },
    after: { positives: 16, negatives: 64 },
  },
  threshold: 0.4,
  epochs: 12,
  test: metricSet(0.74),
};

describe('training logging', () => {
  it('flattens a config to dotted param keys, skipping $schema and description', () => {
    expect(
      flattenParams({
        $schema: 'x',
        description: 'y',
        model: { hiddenLayers: [{ units: 384, dropout: 0.1 }] },
        training: { learningRate: 7e-4, optimizer: 'adam' },
        evaluation: { threshold: { strategy: 'max-f1' }, sizes: [1, 2] },
      }),
    ).toEqual({
      'model.hiddenLayers.0.units': '384',
      'model.hiddenLayers.0.dropout': '0.1',
      'training.learningRate': '0.0007',
      'training.optimizer': 'adam',
      'evaluation.threshold.strategy': 'max-f1',
      'evaluation.sizes': '[1,2]',
    });
  });

  it('names per-epoch metrics fold_<k>/<name>, or plain for the final fit', () => {
    expect(epochMetricKeys({ fold: 2, epoch: 5, trainLoss: 0.4, valLoss: 0.5, valAuc: 0.7 })).toEqual({
      'fold_2/train_loss': 0.4,
      'fold_2/val_loss': 0.5,
      'fold_2/val_auc': 0.7,
    });
    expect(epochMetricKeys({ epoch: 0, trainAuc: 0.6 })).toEqual({ train_auc: 0.6 });
  });

  it('logs final_<metric> in snake case as the seed did, and cv_mean/cv_std when there was CV', () => {
    const keys = finalMetricKeys({
      ...model,
      cv: { folds: [], mean: { ...metricSet(0.72) }, std: { ...metricSet(0.02) } },
    });
    expect(keys).toMatchObject({
      final_auc: 0.74,
      final_accuracy: 0.87,
      final_pr_auc: 0.5,
      final_log_loss: 0.3,
      cv_mean_auc: 0.72,
      cv_std_auc: 0.02,
      threshold: 0.4,
      epochs: 12,
    });
    expect(Object.keys(finalMetricKeys(model)).filter((k) => k.startsWith('cv_'))).toEqual([]);
  });

  it('writes a whole training run that `opp runs` can compare', async () => {
    const root = join(mkdtempSync(join(tmpdir(), 'opp-log-')), 'mlruns');
    const tracker = new FileStoreTracker(root, { experimentName: 'opp' });
    for (const [lr, auc, passed] of [
      [1e-3, 0.74, true],
      [1e-2, 0.61, false],
    ] as const) {
      const { runId } = await tracker.startRun();
      await logTrainingParams(tracker, runId, {
        config: { training: { learningRate: lr } },
        seed: 42,
        backend: 'tfjs-wasm',
        dataSnapshotId: 's1',
        gitSha: 'g1',
        division: 3,
      });
      await logModelReport(tracker, runId, { ...model, test: metricSet(auc) });
      await logGateDecision(tracker, runId, { passed, reasons: passed ? [] : ['auc 0.61 < 0.65'] });
      await tracker.endRun(runId);
    }
    const [b, a] = await listFileStoreRuns(root, 'opp');
    expect(a!.params).toMatchObject({
      seed: '42',
      backend: 'tfjs-wasm',
      data_snapshot_id: 's1',
      git_sha: 'g1',
      division: '3',
    });
    expect(b!.tags).toMatchObject({
      'opp.gate.decision': 'failed',
      'opp.gate.reasons': 'auc 0.61 < 0.65',
      'opp.division': '3',
      'mlflow.source.git.commit': 'g1',
    });
    const diff = compareRuns(a!, b!);
    expect(diff.params).toEqual([{ key: 'training.learningRate', a: '0.001', b: '0.01' }]);
    expect(diff.metrics.find((m) => m.key === 'final_auc')).toMatchObject({ a: 0.74, b: 0.61 });
    expect(diff.metrics.find((m) => m.key === 'gate_passed')).toMatchObject({ a: 1, b: 0, delta: -1 });
    expect(headlineMetrics([a!, b!])).toEqual(['final_accuracy', 'final_auc', 'final_brier', 'final_f1']);
  });
});

describe('withTrackedRun', () => {
  it('ends the run FINISHED with the work done, or FAILED and rethrows', async () => {
    const root = join(mkdtempSync(join(tmpdir(), 'opp-with-')), 'mlruns');
    const tracker = new FileStoreTracker(root);
    expect(await withTrackedRun(tracker, { runName: 'ok', startTime: 2 }, async () => 7)).toBe(7);
    await expect(
      withTrackedRun(tracker, { runName: 'bad', startTime: 1 }, async () => {
        throw new Error('diverged');
      }),
    ).rejects.toThrow('diverged');
    const runs = await listFileStoreRuns(root, 'Default');
    expect(runs.map((r) => [r.runName, r.status])).toEqual([
      ['ok', 'FINISHED'],
      ['bad', 'FAILED'],
    ]);
  });
});
