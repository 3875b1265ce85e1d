import { describe, expect, it } from 'vitest';
import { type BootstrapResult, bootstrapAucDifference } from '../../../model/metrics/bootstrap.js';
import { rocAuc } from '../../../model/metrics/ranking.js';
import { quantileSorted } from '../../../model/metrics/summary.js';
import { judgeDifference } from '../../../pipeline/reports/compare-division.js';
import { Random } from '../../../pipeline/util/random.js';
import { rankAuc } from '../../support/rank-auc.js';

/** The comparison report's shape of a result, for the verdict. */
function asPaired(diff: BootstrapResult) {
  return {
    estimate: diff.estimate,
    interval: { low: diff.low, high: diff.high, level: diff.level },
    resamples: diff.resamples,
    seed: 0,
  };
}

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

describe('bootstrapAucDifference', () => {
  it('finds a clearly better model better, with the estimate inside its interval', () => {
    const { labels, model } = scored(1500, 1);
    const better = model(1.5, 2);
    const worse = model(0.5, 3);
    const diff = bootstrapAucDifference(labels, better, worse, { resamples: 300, seed: 7 });
    expect(diff.estimate).toBeCloseTo(rankAuc(labels, better) - rankAuc(labels, worse), 12);
    expect(diff.estimate).toBeGreaterThan(0.1);
    expect(diff.low).toBeGreaterThan(0);
    expect(diff.low).toBeLessThan(diff.estimate);
    expect(diff.high).toBeGreaterThan(diff.estimate);
    expect(judgeDifference(asPaired(diff))).toBe('better');
  });

  it('cannot tell apart two equally good models', () => {
    const { labels, model } = scored(1500, 4);
    const diff = bootstrapAucDifference(labels, model(1, 5), model(1, 6), {
      resamples: 300,
      seed: 7,
    });
    expect(diff.low).toBeLessThan(0);
    expect(diff.high).toBeGreaterThan(0);
    expect(judgeDifference(asPaired(diff))).toBe('no-real-change');
  });

  it('gives the same interval for the same seed and a different one for another seed', () => {
    const { labels, model } = scored(400, 8);
    const a = model(1, 9);
    const b = model(0.8, 10);
    const options = { resamples: 100 };
    const first = bootstrapAucDifference(labels, a, b, { ...options, seed: 1 });
    expect(bootstrapAucDifference(labels, a, b, { ...options, seed: 1 })).toEqual(first);
    const other = bootstrapAucDifference(labels, a, b, { ...options, seed: 2 });
    expect([other.low, other.high]).not.toEqual([first.low, first.high]);
  });

  it('keeps both classes in every resample even when positives are rare', () => {
    const labels = Float64Array.from({ length: 300 }, (_, i) => (i < 2 ? 1 : 0));
    const scores = Float64Array.from({ length: 300 }, (_, i) => (i < 2 ? 0.9 : (i % 10) / 10));
    const diff = bootstrapAucDifference(labels, scores, scores, { resamples: 50 });
    expect(diff).toMatchObject({ estimate: 0, low: 0, high: 0, resamples: 50 });
  });

  it('rejects score arrays of another length and bad resample counts; NaN without both classes', () => {
    const labels = [1, 0, 1];
    expect(() => bootstrapAucDifference(labels, [0.1, 0.2], [0.1, 0.2, 0.3])).toThrow(
      /same length, got 3 and 2/,
    );
    expect(() => bootstrapAucDifference(labels, [0.1, 0.2, 0.3], [0.3, 0.2, 0.1], { resamples: 0 })).toThrow(
      /resamples must be a whole number >= 1/,
    );
    const oneClass = bootstrapAucDifference([1, 1], [0.1, 0.2], [0.1, 0.2]);
    expect(oneClass.estimate).toBeNaN();
    expect(oneClass.resamples).toBe(0);
  });
});

describe('rocAuc with row weights (what a resample sets)', () => {
  it('agrees with the rank (Mann-Whitney) AUC, ties counted half', () => {
    const random = new Random(3);
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + random.int(300);
      const labels = Array.from({ length: n }, () => (random.chance(0.3) ? 1 : 0));
      // Coarse scores make many ties.
      const scores = labels.map((y) => Math.round((y * 0.8 + random.normal()) * 4) / 4);
      expect(rocAuc(labels, scores)).toBeCloseTo(rankAuc(labels, scores), 12);
    }
  });

  it('counts a row of weight k as k copies of it', () => {
    const random = new Random(5);
    const labels = Array.from({ length: 80 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const scores = labels.map((y) => Math.round((y + random.normal()) * 3) / 3);
    const weights = labels.map(() => random.int(4));
    const copiedLabels = labels.flatMap((y, i) => Array<number>(weights[i]!).fill(y));
    const copiedScores = scores.flatMap((s, i) => Array<number>(weights[i]!).fill(s));
    expect(rocAuc(labels, scores, weights)).toBeCloseTo(rankAuc(copiedLabels, copiedScores), 12);
  });
});

describe('quantileSorted', () => {
  it('interpolates between neighbours', () => {
    expect(quantileSorted([0, 10, 20, 30], 0.5)).toBe(15);
    expect(quantileSorted([0, 10, 20, 30], 0)).toBe(0);
    expect(quantileSorted([0, 10, 20, 30], 1)).toBe(30);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });
});
