import { describe, expect, it } from 'vitest';
import { GateConfigSchema } from '../../../pipeline/config/gate-config.js';
import { isMetricsGateError } from '../../../pipeline/errors/MetricsGateError.js';
import { assertGatePassed } from '../../../pipeline/gate/assert-gate.js';
import { evaluateGate } from '../../../pipeline/gate/evaluate-gate.js';
import { formatGateText } from '../../../pipeline/gate/format-gate.js';
import { mergeGateConfig, resolveDivisionBounds } from '../../../pipeline/gate/gate-bounds.js';
import type { ComparisonReport } from '../../../pipeline/reports/comparison-report.js';
import { fallbackReport, metricSet, metricsReport, modelReport } from '../../support/metrics-fixtures.js';

const config = GateConfigSchema.parse({
  minimum: { accuracy: 0.85, auc: 0.65, precision: 0.8, recall: 0.7, f1: 0.7 },
  maximum: { brier: 0.2 },
  maxDrop: { auc: 0.01 },
  divisions: { '3': { minimum: { auc: 0.6 } } },
});

describe('evaluateGate', () => {
  it('passes a division whose every metric meets its bound, with margins', () => {
    const result = evaluateGate(metricsReport([modelReport(0)]), config);
    expect(result.passed).toBe(true);
    const division = result.divisions[0]!;
    expect(division.outcome).toBe('pass');
    const auc = division.checks.find((c) => c.metric === 'auc' && c.kind === 'minimum')!;
    expect(auc).toMatchObject({ bound: 0.65, actual: 0.75, passed: true });
    expect(auc.margin).toBeCloseTo(0.1, 12);
    const brier = division.checks.find((c) => c.metric === 'brier')!;
    expect(brier).toMatchObject({ kind: 'maximum', bound: 0.2, actual: 0.09, passed: true });
    expect(division.notes).toContain('no production model given: non-regression not checked');
  });

  it('fails a division below a minimum and says which metric and by how much', () => {
    const result = evaluateGate(metricsReport([modelReport(0), modelReport(1, { auc: 0.612 })]), config);
    expect(result.passed).toBe(false);
    expect(result.divisions.map((d) => d.outcome)).toEqual(['pass', 'fail']);
    expect(result.reasons).toEqual([
      'division 1 (division-1): auc 0.6120 < minimum 0.6500 (short by 0.0380)',
    ]);
  });

  it('accepts a metric exactly at its bound', () => {
    const result = evaluateGate(metricsReport([modelReport(0, { accuracy: 0.85 })]), config);
    expect(result.passed).toBe(true);
  });

  it('applies a per-division override to the metric it names only', () => {
    const report = metricsReport([modelReport(3, { auc: 0.62, recall: 0.6 })]);
    const result = evaluateGate(report, config);
    expect(result.reasons).toEqual([
      'division 3 (division-3): recall 0.6000 < minimum 0.7000 (short by 0.1000)',
    ]);
    expect(resolveDivisionBounds(config, 3).minimum).toMatchObject({ auc: 0.6, accuracy: 0.85 });
  });

  it('reports fallback divisions without failing them', () => {
    const result = evaluateGate(metricsReport([modelReport(0), fallbackReport(6)]), config);
    expect(result.passed).toBe(true);
    expect(result.divisions[1]).toMatchObject({ outcome: 'fallback', checks: [], reasons: [] });
    expect(result.divisions[1]!.notes[0]).toContain('only 120 rows');
  });

  it('fails a trained division that has no hold-out metrics', () => {
    const model = modelReport(2);
    delete model.test;
    const result = evaluateGate(metricsReport([model]), config);
    expect(result.passed).toBe(false);
    expect(result.reasons).toEqual(['division 2 (division-2): no hold-out test metrics in the report']);
  });

  it('fails a candidate whose AUC drops more than allowed below production on the same rows', () => {
    const production = metricsReport([modelReport(0, { auc: 0.78 }), modelReport(1, { auc: 0.755 })]);
    const report = metricsReport([modelReport(0, { auc: 0.76 }), modelReport(1, { auc: 0.75 })]);
    const result = evaluateGate(report, config, { production });
    expect(result.baseline).toBe('production-report');
    expect(result.divisions.map((d) => d.outcome)).toEqual(['fail', 'pass']);
    const drop = result.divisions[0]!.checks.find((c) => c.kind === 'maxDrop')!;
    expect(drop).toMatchObject({
      metric: 'auc',
      production: 0.78,
      allowedDrop: 0.01,
      actual: 0.76,
      passed: false,
    });
    expect(drop.bound).toBeCloseTo(0.77, 12);
    expect(drop.margin).toBeCloseTo(-0.01, 12);
    expect(result.reasons[0]).toBe(
      'division 0 (general): auc 0.7600 dropped 0.0200 below production 0.7800 (allowed 0.0100; over by 0.0100)',
    );
  });

  it('refuses to compare with production scored on other rows', () => {
    const production = metricsReport([modelReport(0, { n: 3999 })]);
    const result = evaluateGate(metricsReport([modelReport(0)]), config, { production });
    expect(result.passed).toBe(false);
    expect(result.reasons[0]).toContain('production was scored on other rows');
  });

  it('skips non-regression with a note when production lacks the division', () => {
    const production = metricsReport([modelReport(0)]);
    const result = evaluateGate(metricsReport([modelReport(0), modelReport(4)]), config, { production });
    expect(result.passed).toBe(true);
    expect(result.divisions[1]!.notes).toEqual([
      'no production metrics for this division: non-regression not checked',
    ]);
  });
});

describe('mergeGateConfig', () => {
  it('overrides single metrics and keeps the rest, without changing the base', () => {
    const merged = mergeGateConfig(config, {
      minimum: { auc: 0.7 },
      divisions: { '3': { maxDrop: { auc: 0.05 } } },
    });
    expect(merged.minimum).toMatchObject({ auc: 0.7, accuracy: 0.85 });
    expect(merged.divisions['3']).toMatchObject({ minimum: { auc: 0.6 }, maxDrop: { auc: 0.05 } });
    expect(config.minimum.auc).toBe(0.65);
  });

  it('rejects overrides that name an unknown metric, naming the path', () => {
    expect(() => mergeGateConfig(config, { minimum: { aucc: 0.7 } }, 'input gate-overrides')).toThrow(
      /input gate-overrides.*\n.*\$\.minimum: unknown key "aucc"/,
    );
  });
});

describe('assertGatePassed', () => {
  it('throws a MetricsGateError naming the first failing metric, its bound and value', () => {
    const result = evaluateGate(metricsReport([modelReport(5, { recall: 0.65 })]), config);
    let thrown: unknown;
    try {
      assertGatePassed(result);
    } catch (error) {
      thrown = error;
    }
    expect(isMetricsGateError(thrown)).toBe(true);
    if (!isMetricsGateError(thrown)) return;
    expect(thrown).toMatchObject({ metric: 'recall', threshold: 0.7, actual: 0.65 });
    expect(thrown.message).toContain('metrics gate failed for 1 division:');
    expect(thrown.message).toContain('recall 0.6500 < minimum 0.7000 (short by 0.0500)');
  });

  it('does nothing when the gate passed', () => {
    expect(() => assertGatePassed(evaluateGate(metricsReport([modelReport(0)]), config))).not.toThrow();
  });
});

describe('evaluateGate with a comparison report', () => {
  it('checks the drop against the comparison and notes a significant loss within the allowed drop', () => {
    const production = metricSet({ auc: 0.755 });
    const comparison: ComparisonReport = {
      version: 1,
      createdAt: '2026-11-25T09:00:00.000Z',
      candidate: {},
      comparison: { source: 'registry' },
      divisions: [
        {
          division: 0,
          name: 'general',
          candidate: metricSet(),
          production,
          deltas: {
            accuracy: 0,
            precision: 0,
            recall: 0,
            f1: 0,
            auc: -0.005,
            prAuc: 0,
            brier: 0,
            logLoss: 0,
          },
          aucDifference: {
            estimate: -0.005,
            interval: { low: -0.008, high: -0.002, level: 0.95 },
            resamples: 1000,
            seed: 0,
          },
          verdict: 'worse',
        },
      ],
    };
    const result = evaluateGate(metricsReport([modelReport(0)]), config, { comparison });
    expect(result.baseline).toBe('comparison');
    expect(result.passed).toBe(true);
    expect(result.divisions[0]!.checks.find((c) => c.kind === 'maxDrop')).toMatchObject({
      production: 0.755,
      passed: true,
    });
    expect(result.divisions[0]!.notes).toEqual([
      'AUC is lower than production beyond noise (difference -0.0050, 95% interval [-0.0080, -0.0020])',
    ]);
  });
});

describe('evaluateGate with a comparison and a non-inferiority rule', () => {
  const withRule = GateConfigSchema.parse({ ...config, nonInferiority: { auc: { margin: 0.01 } } });
  /** The PR: division 6 at 0.7171 vs 0.7351, interval [−0.040, +0.003]; division 0 dropped 0.05 clearly. */
  function comparisonOf(): ComparisonReport {
    const division = (
      d: number,
      candidateAuc: number,
      productionAuc: number,
      low: number,
      high: number,
      se: number,
    ) => {
      const estimate = candidateAuc - productionAuc;
      return {
        division: d,
        name: `division-${d}`,
        candidate: metricSet({ auc: candidateAuc }),
        production: metricSet({ auc: productionAuc }),
        deltas: {
          accuracy: 0,
          precision: 0,
          recall: 0,
          f1: 0,
          auc: estimate,
          prAuc: 0,
          brier: 0,
          logLoss: 0,
        },
        aucDifference: { estimate, interval: { low, high, level: 0.95 }, resamples: 1000, seed: 0 },
        aucDelong: { method: 'delong-paired' as const, estimate, se, pValue: 0.1 },
        verdict: 'no-real-change' as const,
      };
    };
    return {
      version: 1,
      createdAt: '2026-11-25T09:00:00.000Z',
      candidate: {},
      comparison: { source: 'base-commit' },
      divisions: [
        division(0, 0.7, 0.75, -0.06, -0.04, 0.005),
        division(6, 0.7171, 0.7351, -0.04, 0.003, 0.011),
      ],
    };
  }
  const report = () => metricsReport([modelReport(0, { auc: 0.7 }), modelReport(6, { auc: 0.7171 })]);

  it('no longer fails a drop within the noise on the point estimate: it is possibly worse, flagged for review', () => {
    // The point rule (maxDrop 0.01) fails division 6: 0.018 below.
    const old = evaluateGate(report(), config, { comparison: comparisonOf() });
    expect(old.divisions[1]!.outcome).toBe('fail');
    expect(old.needsReview).toEqual([]);
    const result = evaluateGate(report(), withRule, { comparison: comparisonOf() });
    const six = result.divisions[1]!;
    expect(six.outcome).toBe('pass');
    expect(six.checks.some((c) => c.kind === 'maxDrop')).toBe(false);
    const check = six.checks.find((c) => c.kind === 'nonInferiority')!;
    expect(check).toMatchObject({ metric: 'auc', bound: -0.01, passed: true });
    // −0.018 is beyond the 0.01 margin, but se 0.011 cannot prove it at Holm's level.
    expect(check.nonInferiority).toMatchObject({ decision: 'possibly-worse', method: 'delong-paired' });
    expect(six.notes).toEqual([
      'possibly worse: AUC change −0.0180 is beyond the margin of 0.01, not provable with this hold-out (smallest detectable change 0.0308); not blocking, review',
    ]);
    expect(six.reasons).toEqual([]);
    // Division 0 failed (worse beyond doubt); only division 6 needs a reviewer's look.
    expect(result.needsReview).toEqual([6]);
    // `opp gate` in a terminal says so on its first line.
    expect(formatGateText(result).split('\n')[0]).toBe(
      'metrics gate: FAILED (baseline: comparison); AUC possibly worse, review: division 6',
    );
    expect(formatGateText(old).split('\n')[0]).toBe('metrics gate: FAILED (baseline: comparison)');
    expect(result.nonInferiority).toEqual({
      margin: 0.01,
      alpha: 0.05,
      correction: 'holm',
      power: 0.8,
      possiblyWorse: 'flag',
      divisions: 2,
    });
  });

  it('fails a division possibly worse where possiblyWorse is "fail", saying it is not proven', () => {
    const failing = GateConfigSchema.parse({
      ...config,
      nonInferiority: { auc: { margin: 0.01, possiblyWorse: 'fail' } },
    });
    const result = evaluateGate(report(), failing, { comparison: comparisonOf() });
    const six = result.divisions[1]!;
    expect(six.outcome).toBe('fail');
    expect(six.notes).toEqual([]);
    expect(six.reasons).toEqual([
      'auc possibly worse: dropped 0.0180 below the comparison model, beyond the allowed 0.0100, not provable with this hold-out (smallest detectable change 0.0308); possiblyWorse is "fail"',
    ]);
    expect(result.needsReview).toEqual([6]);
  });

  it('calls a drop within the margin that the hold-out cannot clear too small to tell, not possibly worse', () => {
    const comparison = comparisonOf();
    const six = comparison.divisions[1]!;
    six.aucDelong = { ...six.aucDelong!, estimate: -0.006 };
    const result = evaluateGate(report(), withRule, { comparison });
    const check = result.divisions[1]!.checks.find((c) => c.kind === 'nonInferiority')!;
    expect(check.nonInferiority!.decision).toBe('inconclusive');
    expect(check.passed).toBe(true);
    expect(result.divisions[1]!.notes.join('\n')).toContain('too small to tell');
    expect(result.needsReview).toEqual([]);
  });

  it('fails a drop beyond the margin beyond doubt, naming the test', () => {
    const result = evaluateGate(report(), withRule, { comparison: comparisonOf() });
    expect(result.divisions[0]!.outcome).toBe('fail');
    expect(result.reasons[0]).toMatch(
      /^division 0 \(general\): auc dropped 0\.0500 below the comparison model, beyond the allowed 0\.0100 \(paired DeLong se 0\.0050, adjusted one-sided p < 0\.001\)$/,
    );
  });

  it('keeps the point maxDrop when there is no comparison report', () => {
    const production = metricsReport([modelReport(0, { auc: 0.75 }), modelReport(6, { auc: 0.7351 })]);
    const result = evaluateGate(report(), withRule, { production });
    expect(result.nonInferiority).toBeUndefined();
    expect(result.divisions.map((d) => d.outcome)).toEqual(['fail', 'fail']);
  });
});
