import { describe, expect, it } from 'vitest';
import {
  compareDivision,
  createComparisonReport,
  judgeDifference,
} from '../../../pipeline/reports/compare-division.js';
import { ComparisonReportSchema } from '../../../pipeline/reports/comparison-report.js';
import { sortScores, weightedAuc } from '../../../pipeline/reports/internal/auc.js';
import { pairedBootstrapAucDifference, quantile } from '../../../pipeline/reports/paired-bootstrap.js';
import { Random } from '../../../pipeline/util/random.js';
import { metricSet } from '../../support/metrics-fixtures.js';
import { rankAuc } from '../../support/rank-auc.js';

/** Labels, plus scores of a model that separates classes by `strength` (0 = coin toss). */
function scored(n: number, seed: number) {
  const random = new Random(seed);
  const labels = Float64Array.from({ length: n }, () => (random.chance(0.3) ? 1 : 0));
  const noise = Float64Array.from({ length: n }, () => random.normal());
  const model = (strength: number, extraSeed: number) => {
    const own = new Random(extraSeed);
    return Float64Array.from(labels, (y, i) => strength * y + noise[i]! + 0.3 * own.normal());
  };
  return { labels, model };
}

describe('pairedBootstrapAucDifference', () => {
  it('finds a clearly better model better, with the estimate inside its interval', () => {
    const { labels, model } = scored(1500, 1);
    const better = model(1.5, 2);
    const worse = model(0.5, 3);
    const diff = pairedBootstrapAucDifference(labels, better, worse, { resamples: 300, seed: 7 });
    expect(diff.estimate).toBeCloseTo(rankAuc(labels, better) - rankAuc(labels, worse), 12);
    expect(diff.estimate).toBeGreaterThan(0.1);
    expect(diff.interval.low).toBeGreaterThan(0);
    expect(diff.interval.low).toBeLessThan(diff.estimate);
    expect(diff.interval.high).toBeGreaterThan(diff.estimate);
    expect(judgeDifference(diff)).toBe('better');
  });

  it('cannot tell apart two equally good models', () => {
    const { labels, model } = scored(1500, 4);
    const diff = pairedBootstrapAucDifference(labels, model(1, 5), model(1, 6), {
      resamples: 300,
      seed: 7,
    });
    expect(diff.interval.low).toBeLessThan(0);
    expect(diff.interval.high).toBeGreaterThan(0);
    expect(judgeDifference(diff)).toBe('no-real-change');
  });

  it('gives the same interval for the same seed and a different one for another seed', () => {
    const { labels, model } = scored(400, 8);
    const a = model(1, 9);
    const b = model(0.8, 10);
    const options = { resamples: 100 };
    const first = pairedBootstrapAucDifference(labels, a, b, { ...options, seed: 1 });
    expect(pairedBootstrapAucDifference(labels, a, b, { ...options, seed: 1 })).toEqual(first);
    expect(pairedBootstrapAucDifference(labels, a, b, { ...options, seed: 2 }).interval).not.toEqual(
      first.interval,
    );
  });

  it('keeps both classes in every resample even when positives are rare', () => {
    const labels = Float64Array.from({ length: 300 }, (_, i) => (i < 2 ? 1 : 0));
    const scores = Float64Array.from({ length: 300 }, (_, i) => (i < 2 ? 0.9 : (i % 10) / 10));
    const diff = pairedBootstrapAucDifference(labels, scores, scores, { resamples: 50 });
    expect(diff).toMatchObject({ estimate: 0, interval: { low: 0, high: 0 } });
  });

  it('rejects score arrays of another length and data with one class', () => {
    const labels = [1, 0, 1];
    expect(() => pairedBootstrapAucDifference(labels, [0.1, 0.2], [0.1, 0.2, 0.3])).toThrow(
      /3 labels, 2 candidate and 3 production/,
    );
    expect(() => pairedBootstrapAucDifference([1, 1], [0.1, 0.2], [0.1, 0.2])).toThrow(
      /needs both classes: got 2 positive and 0 negative/,
    );
  });
});

describe('weightedAuc (internal, for the bootstrap)', () => {
  it('agrees with the rank (Mann-Whitney) AUC, ties counted half', () => {
    const random = new Random(3);
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + random.int(300);
      const labels = Array.from({ length: n }, () => (random.chance(0.3) ? 1 : 0));
      // Coarse scores make many ties.
      const scores = labels.map((y) => Math.round((y * 0.8 + random.normal()) * 4) / 4);
      expect(weightedAuc(sortScores(scores), labels)).toBeCloseTo(rankAuc(labels, scores), 12);
    }
  });

  it('counts a row of weight k as k copies of it', () => {
    const random = new Random(5);
    const labels = Array.from({ length: 80 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const scores = labels.map((y) => Math.round((y + random.normal()) * 3) / 3);
    const weights = labels.map(() => random.int(4));
    const copiedLabels = labels.flatMap((y, i) => Array<number>(weights[i]!).fill(y));
    const copiedScores = scores.flatMap((s, i) => Array<number>(weights[i]!).fill(s));
    expect(weightedAuc(sortScores(scores), labels, weights)).toBeCloseTo(
      rankAuc(copiedLabels, copiedScores),
      12,
    );
  });
});

describe('quantile', () => {
  it('interpolates between neighbours', () => {
    expect(quantile([0, 10, 20, 30], 0.5)).toBe(15);
    expect(quantile([0, 10, 20, 30], 0)).toBe(0);
    expect(quantile([0, 10, 20, 30], 1)).toBe(30);
  });
});

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
