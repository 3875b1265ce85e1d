import type { MetricsReport } from '../../model/metrics-report.js';
import { GateConfigSchema } from '../../pipeline/config/gate-config.js';
import { evaluateGate } from '../../pipeline/gate/evaluate-gate.js';
import type { ComparisonReport } from '../../pipeline/reports/comparison-report.js';
import type { MetricsCommentInput } from '../../pipeline/reports/pr-comment.js';
import { metricSet, metricsReport, modelReport } from './metrics-fixtures.js';

/** configs/gate.json's bounds: most generated divisions miss several of them. */
export const REPO_GATE_CONFIG = GateConfigSchema.parse({
  minimum: { accuracy: 0.85, auc: 0.65, precision: 0.8, recall: 0.7, f1: 0.7 },
  maxDrop: { auc: 0.01 },
  nonInferiority: { auc: { margin: 0.01, alpha: 0.05, correction: 'holm', power: 0.8 } },
});

/**
 * The PR comment's inputs for `count` divisions (0 = general), deterministic: each division
 * has its own AUC, precision and recall, many miss several minimums (so the gate has 30+
 * reasons at 8 divisions), and the comparison report and the comparison model's metrics
 * report (with ROC curves) cover every division.
 */
export function commentInputs(count: number): MetricsCommentInput & {
  comparison: ComparisonReport;
  production: MetricsReport;
} {
  const auc = (d: number) => 0.62 + ((d * 37) % 17) / 100;
  const candidateSet = (d: number) =>
    metricSet({
      auc: auc(d),
      accuracy: 0.8 + ((d * 7) % 9) / 100,
      precision: 0.7 + ((d * 11) % 13) / 100,
      recall: 0.62 + ((d * 5) % 11) / 100,
      f1: 0.66 + ((d * 3) % 7) / 100,
      confusion: { tp: 380 + d, fp: 80 + d, tn: 3400 - 2 * d, fn: 140 + d },
    });
  const productionSet = (d: number) => metricSet({ auc: auc(d) + (d % 3 === 0 ? 0 : 0.02) });
  const report = metricsReport(
    Array.from({ length: count }, (_, d) => ({ ...modelReport(d), test: candidateSet(d) })),
  );
  const production = metricsReport(
    Array.from({ length: count }, (_, d) => {
      const model = modelReport(d, productionSet(d));
      const roc = model.curves!.roc.map((p) => ({ fpr: p.fpr, tpr: Math.min(1, p.fpr ** 0.5) }));
      return { ...model, curves: { ...model.curves!, roc } };
    }),
    { gitSha: '0123456789abcdef0123456789abcdef01234567' },
  );
  const comparison: ComparisonReport = {
    version: 1,
    createdAt: '2026-11-25T09:00:00.000Z',
    candidate: {},
    comparison: { source: 'base-commit', gitSha: '0123456789abcdef0123456789abcdef01234567' },
    divisions: report.models.map((model) => {
      const candidate = model.test!;
      const prod = productionSet(model.division);
      const estimate = candidate.auc - prod.auc;
      return {
        division: model.division,
        name: model.name,
        candidate,
        production: prod,
        deltas: {
          accuracy: candidate.accuracy - prod.accuracy,
          precision: candidate.precision - prod.precision,
          recall: candidate.recall - prod.recall,
          f1: candidate.f1 - prod.f1,
          auc: estimate,
          prAuc: candidate.prAuc - prod.prAuc,
          brier: candidate.brier - prod.brier,
          logLoss: candidate.logLoss - prod.logLoss,
        },
        aucDifference: {
          estimate,
          interval: { low: estimate - 0.02, high: estimate + 0.02, level: 0.95 },
          resamples: 1000,
          seed: 0,
        },
        aucDelong: { method: 'delong-paired', estimate, se: 0.01, pValue: 0.5 },
        verdict: 'no-real-change',
      };
    }),
  };
  const gate = evaluateGate(report, REPO_GATE_CONFIG, { comparison });
  return { report, gate, comparison, production, artifactUrl: 'https://example.test/artifact/1' };
}
