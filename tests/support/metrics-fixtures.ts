import type { MetricSet, MetricsReport, ModelReport } from '../../model/metrics-report.js';

/** A plausible hold-out metric set; `overrides` replace single metrics. */
export function metricSet(overrides: Partial<MetricSet> = {}): MetricSet {
  return {
    n: 4000,
    positives: 520,
    accuracy: 0.88,
    precision: 0.83,
    recall: 0.74,
    f1: 0.78,
    auc: 0.75,
    prAuc: 0.5,
    brier: 0.09,
    logLoss: 0.31,
    threshold: 0.42,
    confusion: { tp: 385, fp: 79, tn: 3401, fn: 135 },
    ...overrides,
  };
}

/** One trained division's report with ROC and calibration curves. */
export function modelReport(
  division: number,
  test: Partial<MetricSet> = {},
  extra: Partial<ModelReport> = {},
): ModelReport {
  const roc = Array.from({ length: 41 }, (_, i) => {
    const fpr = i / 40;
    return { fpr, tpr: Math.min(1, fpr ** 0.45) };
  });
  const calibration = Array.from({ length: 10 }, (_, i) => ({
    predicted: (i + 0.5) / 10,
    observed: Math.min(1, ((i + 0.5) / 10) * 0.9 + 0.02),
    count: 400 - i * 20,
  }));
  return {
    division,
    name: division === 0 ? 'general' : `division-${division}`,
    status: 'trained',
    rows: { train: 16_000, test: 4000, trainPositives: 2080, testPositives: 520 },
    rebalancing: {
      method: 'class-weight',
      before: { positives: 2080, negatives: 13_920 },
      after: { positives: 8000, negatives: 8000 },
    },
    threshold: 0.42,
    epochs: 17,
    test: metricSet(test),
    curves: { roc, calibration },
    aucInterval: { low: 0.73, high: 0.77, level: 0.95 },
    ...extra,
  };
}

/** A division too small to train: served by the general model. */
export function fallbackReport(division: number): ModelReport {
  return {
    division,
    name: `division-${division}`,
    status: 'fallback',
    fallbackReason: 'only 120 rows (needs 500)',
    rows: { train: 96, test: 24, trainPositives: 9, testPositives: 2 },
    rebalancing: {
      method: 'none',
      before: { positives: 9, negatives: 87 },
      after: { positives: 9, negatives: 87 },
    },
    threshold: 0.5,
    epochs: 0,
  };
}

/** A metrics report holding `models`. */
export function metricsReport(models: ModelReport[], extra: Partial<MetricsReport> = {}): MetricsReport {
  return {
    version: 1,
    createdAt: '2026-11-25T09:00:00.000Z',
    gitSha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    snapshotId: 'snap-2026-11-24T00-00Z',
    specHash: 'f'.repeat(64),
    configHash: 'c'.repeat(64),
    seed: 42,
    backend: 'wasm',
    models,
    ...extra,
  };
}
