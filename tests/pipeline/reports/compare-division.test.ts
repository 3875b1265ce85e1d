import { describe, expect, it } from 'vitest';
import { compareDivision, createComparisonReport } from '../../../pipeline/reports/compare-division.js';
import { ComparisonReportSchema } from '../../../pipeline/reports/comparison-report.js';
import { metricSet } from '../../support/metrics-fixtures.js';

describe('compareDivision', () => {
  const aucDifference = {
    estimate: -0.03,
    interval: { low: -0.05, high: -0.01, level: 0.95 },
    resamples: 1000,
    seed: 0,
  };

  it('computes candidate-minus-production deltas and a verdict that validates against the schema', () => {
    const division = compareDivision({
      division: 1,
      name: 'division-1',
      candidate: metricSet({ auc: 0.72, brier: 0.1 }),
      production: metricSet({ auc: 0.75, brier: 0.09 }),
      aucDifference,
    });
    expect(division.deltas.auc).toBeCloseTo(-0.03, 12);
    expect(division.deltas.brier).toBeCloseTo(0.01, 12);
    expect(division.verdict).toBe('worse');
    const report = createComparisonReport([division], {
      comparison: { source: 'base-commit', gitSha: 'ab'.repeat(20) },
      createdAt: new Date('2026-11-25T09:00:00Z'),
    });
    expect(report).toMatchObject({ version: 1, createdAt: '2026-11-25T09:00:00.000Z', candidate: {} });
    expect(ComparisonReportSchema.parse(JSON.parse(JSON.stringify(report))).divisions[0]!.verdict).toBe(
      'worse',
    );
  });

  it('refuses metric sets from different rows', () => {
    expect(() =>
      compareDivision({
        division: 2,
        name: 'd',
        candidate: metricSet(),
        production: metricSet({ n: 10 }),
        aucDifference,
      }),
    ).toThrow(/were not scored on the same rows/);
  });
});
