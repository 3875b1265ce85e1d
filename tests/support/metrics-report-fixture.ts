import type { MetricSet, MetricsReport, ModelReport } from '../../model/metrics-report.js';
import { Random } from '../../pipeline/util/random.js';

/** A plausible metric set around an AUC, for report rendering tests. */
export function metricSet(auc: number, random: Random): MetricSet {
  const n = 2000;
  const positives = 500;
  const tp = Math.round(positives * (0.6 + random.next() * 0.2));
  const fp = Math.round((n - positives) * 0.1);
  return {
    n,
    positives,
    accuracy: (tp + n - positives - fp) / n,
    precision: tp / (tp + fp),
    recall: tp / positives,
    f1: (2 * tp) / (2 * tp + fp + positives - tp),
    auc,
    prAuc: auc - 0.2,
    brier: 0.15,
    logLoss: 0.45,
    threshold: 0.31,
    confusion: { tp, fp, tn: n - positives - fp, fn: positives - tp },
  };
}

/** A metrics report of a general model, some division models and one fallback division. */
export function metricsReportFixture(seed = 1): MetricsReport {
  const random = new Random(seed);
  const model = (division: number, auc: number): ModelReport => ({
    division,
    name: division === 0 ? 'general' : `division-${division}`,
    status: 'trained',
    rows: { train: 8000, test: 2000, trainPositives: 2000, testPositives: 500 },
    rebalancing: {
      method: 'class-weight',
      before: { positives: 2000, negatives: 6000 },
      after: { positives: 6000, negatives: 6000 },
    },
    threshold: 0.31,
    epochs: 12,
    cv: {
      folds: [0, 1, 2, 3, 4].map(() => metricSet(auc + (random.next() - 0.5) * 0.02, random)),
      mean: {
        accuracy: 0.8,
        precision: 0.6,
        recall: 0.7,
        f1: 0.65,
        auc,
        prAuc: auc - 0.2,
        brier: 0.15,
        logLoss: 0.45,
      },
      std: {
        accuracy: 0.01,
        precision: 0.02,
        recall: 0.02,
        f1: 0.01,
        auc: 0.008,
        prAuc: 0.01,
        brier: 0.003,
        logLoss: 0.01,
      },
    },
    test: metricSet(auc, random),
    curves: {
      roc: Array.from({ length: 21 }, (_, i) => ({
        fpr: i / 20,
        tpr: Math.min(1, (i / 20) ** (1 - auc + 0.2)),
      })),
      calibration: Array.from({ length: 10 }, (_, i) => ({
        predicted: (i + 0.5) / 10,
        observed: Math.min(1, ((i + 0.5) / 10) * (0.9 + random.next() * 0.2)),
        count: 100 + i,
      })),
    },
    aucInterval: { low: auc - 0.02, high: auc + 0.02, level: 0.95 },
  });
  return {
    version: 1,
    createdAt: '2026-11-25T09:00:00.000Z',
    gitSha: '0123456789abcdef0123456789abcdef01234567',
    snapshotId: 'sha256-abc123',
    specHash: 'aabc02e6bfca0000',
    configHash: 'ffee00112233',
    seed: 42,
    backend: 'wasm',
    models: [
      model(0, 0.76),
      model(1, 0.74),
      model(3, 0.79),
      {
        division: 7,
        name: 'division-7 <"big">',
        status: 'fallback',
        fallbackReason: 'only 120 labelled rows (minimum 500): the general model serves it',
        rows: { train: 100, test: 20, trainPositives: 30, testPositives: 5 },
        rebalancing: {
          method: 'none',
          before: { positives: 30, negatives: 70 },
          after: { positives: 30, negatives: 70 },
        },
        threshold: 0.31,
        epochs: 0,
      },
    ],
  };
}
