import { describe, expect, it } from 'vitest';
import { bootstrapAuc, bootstrapAucDifference } from '../../../model/metrics/bootstrap.js';
import { computeMetricSet } from '../../../model/metrics/metric-set.js';
import { brierScore, calibrationBins, logLoss } from '../../../model/metrics/probabilistic.js';
import { averagePrecision, rocAuc, rocPoints } from '../../../model/metrics/ranking.js';
import { meanStd } from '../../../model/metrics/summary.js';
import { confusionAt } from '../../../model/metrics/thresholded.js';
import { Random } from '../../../pipeline/util/random.js';

// A small case with ties across classes (three rows at 0.4: one positive, two negatives).
const labels = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
const scores = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4, 0.65, 0.05];

// 200 rows with many tied scores, built by a formula that Python reproduces:
//   i = np.arange(200); s = np.round(((i*37) % 101) / 101, 2); y = (((i*7919) % 100) < 30 + 40*s)
const big = Array.from({ length: 200 }, (_, i) => {
  const s = Math.round((((i * 37) % 101) / 101) * 100) / 100;
  return { s, y: (i * 7919) % 100 < 30 + 40 * s ? 1 : 0 };
});
const bigLabels = big.map((r) => r.y);
const bigScores = big.map((r) => r.s);

describe('metrics against scikit-learn 1.2.1', () => {
  // Reference values: /usr/bin/python3 with Debian python3-sklearn 1.2.1, roc_auc_score,
  // average_precision_score, brier_score_loss, log_loss, accuracy/precision/recall/f1_score
  // and confusion_matrix on (labels, scores >= threshold).
  it('matches the small tied case at threshold 0.4', () => {
    const m = computeMetricSet(labels, scores, 0.4);
    expect(m.auc).toBeCloseTo(0.88, 12);
    expect(m.prAuc).toBeCloseTo(0.8761904761904762, 12);
    expect(m.brier).toBeCloseTo(0.13275, 12);
    expect(m.logLoss).toBeCloseTo(0.41268484483288914, 12);
    expect(m.accuracy).toBeCloseTo(0.7, 12);
    expect(m.precision).toBeCloseTo(2 / 3, 12);
    expect(m.recall).toBeCloseTo(0.8, 12);
    expect(m.f1).toBeCloseTo(0.7272727272727272, 12);
    expect(m.confusion).toEqual({ tn: 3, fp: 2, fn: 1, tp: 4 });
    expect(m).toMatchObject({ n: 10, positives: 5, threshold: 0.4 });
  });

  it('matches the 200-row case with many ties at threshold 0.5', () => {
    const m = computeMetricSet(bigLabels, bigScores, 0.5);
    expect(m.positives).toBe(103);
    expect(m.auc).toBeCloseTo(0.6282654388950055, 12);
    expect(m.prAuc).toBeCloseTo(0.6256807019584699, 12);
    expect(m.brier).toBeCloseTo(0.269301, 12);
    // Two positives score exactly 0: log_loss(eps=1e-15), our clipping (1.2.1 defaults to eps=2.2e-16).
    expect(m.logLoss).toBeCloseTo(1.1155449755349764, 12);
    expect(m.accuracy).toBeCloseTo(0.6, 12);
    expect(m.precision).toBeCloseTo(0.6138613861386139, 12);
    expect(m.recall).toBeCloseTo(0.6019417475728155, 12);
    expect(m.f1).toBeCloseTo(0.607843137254902, 12);
    expect(m.confusion).toEqual({ tn: 58, fp: 39, fn: 41, tp: 62 });
  });

  it('gives the ROC points of roc_curve(drop_intermediate=False)', () => {
    expect(rocPoints(labels, scores)).toEqual([
      { fpr: 0, tpr: 0 },
      { fpr: 0, tpr: 0.2 },
      { fpr: 0, tpr: 0.4 },
      { fpr: 0, tpr: 0.6 },
      { fpr: 0.4, tpr: 0.8 },
      { fpr: 0.4, tpr: 1 },
      { fpr: 0.6, tpr: 1 },
      { fpr: 0.8, tpr: 1 },
      { fpr: 1, tpr: 1 },
    ]);
  });
});

describe('hand-computed cases', () => {
  it('counts a tie between a positive and a negative as one half', () => {
    expect(rocAuc([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(rocAuc([0, 1, 1], [0.3, 0.3, 0.9])).toBe(0.75);
  });

  it('is 1 for a perfect ranking, 0 for a reversed one and NaN with one class', () => {
    expect(rocAuc([0, 0, 1], [0.1, 0.2, 0.3])).toBe(1);
    expect(rocAuc([1, 0, 0], [0.9, 0.1, 0.2])).toBe(1);
    expect(rocAuc([1, 0], [0.1, 0.9])).toBe(0);
    expect(rocAuc([1, 1], [0.1, 0.9])).toBeNaN();
    expect(averagePrecision([0, 0], [0.1, 0.9])).toBeNaN();
  });

  it('computes average precision as the step sum over distinct thresholds', () => {
    // Ranked 0.9(+) 0.8(-) 0.7(+): P@1 = 1 (R 0.5), P@3 = 2/3 (R 1) ⇒ 0.5·1 + 0.5·2/3.
    expect(averagePrecision([1, 0, 1], [0.9, 0.8, 0.7])).toBeCloseTo(0.5 + 1 / 3, 12);
  });

  it('treats a score equal to the threshold as positive', () => {
    expect(confusionAt([1, 0, 0], [0.5, 0.5, 0.49], 0.5)).toEqual({ tp: 1, fp: 1, tn: 1, fn: 0 });
  });

  it('reports zero precision and F1 when nothing is predicted positive', () => {
    const m = computeMetricSet([1, 0], [0.2, 0.1], 0.5);
    expect(m.precision).toBe(0);
    expect(m.recall).toBe(0);
    expect(m.f1).toBe(0);
    expect(m.accuracy).toBe(0.5);
  });

  it('clips log loss so a confident mistake stays finite', () => {
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(1e-15), 6);
    expect(brierScore([1, 0], [0.75, 0.5])).toBeCloseTo((0.0625 + 0.25) / 2, 12);
  });

  it('bins calibration by equal-width bins and leaves empty bins out', () => {
    // 0.05→bin 0, 0.1→1, 0.2→2, 0.35→3, three 0.4→4, 0.65→6, 0.8→8, 0.9→9.
    const bins = calibrationBins(labels, scores);
    expect(bins.map((b) => b.count)).toEqual([1, 1, 1, 1, 3, 1, 1, 1]);
    expect(bins[4]!.predicted).toBeCloseTo(0.4, 12);
    expect(bins[4]!.observed).toBeCloseTo(1 / 3, 12);
    expect(bins[3]).toEqual({ predicted: 0.35, observed: 1, count: 1 });
  });

  it('thins a long ROC curve to at most 101 points, keeping both ends', () => {
    const random = new Random(3);
    const y = Array.from({ length: 5000 }, () => (random.chance(0.3) ? 1 : 0));
    const s = y.map((v) => v * 0.3 + random.next());
    const points = rocPoints(y, s);
    expect(points.length).toBe(101);
    expect(points[0]).toEqual({ fpr: 0, tpr: 0 });
    expect(points.at(-1)).toEqual({ fpr: 1, tpr: 1 });
    for (let i = 1; i < points.length; i++) expect(points[i]!.fpr).toBeGreaterThanOrEqual(points[i - 1]!.fpr);
  });

  it('gives the sample standard deviation over folds', () => {
    expect(meanStd([1, 2, 3, 4])).toEqual({ mean: 2.5, std: Math.sqrt(5 / 3) });
    expect(meanStd([0.7])).toEqual({ mean: 0.7, std: 0 });
  });
});

describe('bootstrap intervals', () => {
  const random = new Random(11);
  const y = Array.from({ length: 2000 }, () => (random.chance(0.3) ? 1 : 0));
  const good = y.map((v) => v + random.normal());
  const alsoGood = y.map((v) => v + random.normal());
  const better = y.map((v) => 2 * v + random.normal());

  it('brackets the AUC and is reproducible for a seed', () => {
    const a = bootstrapAuc(y, good, { resamples: 300, seed: 5 });
    expect(a.estimate).toBe(rocAuc(y, good));
    expect(a.low).toBeLessThan(a.estimate);
    expect(a.high).toBeGreaterThan(a.estimate);
    expect(a.high - a.low).toBeLessThan(0.1);
    expect(bootstrapAuc(y, good, { resamples: 300, seed: 5 })).toEqual(a);
    expect(bootstrapAuc(y, good, { resamples: 300, seed: 6 })).not.toEqual(a);
  });

  it('says a real AUC gain is real and an equal pair is noise (paired)', () => {
    const real = bootstrapAucDifference(y, better, good, { resamples: 300 });
    expect(real.low).toBeGreaterThan(0);
    const noise = bootstrapAucDifference(y, good, alsoGood, { resamples: 300 });
    expect(noise.low).toBeLessThan(0);
    expect(noise.high).toBeGreaterThan(0);
    // Pairing makes the difference's interval narrower than the sum of the two AUC intervals.
    const a = bootstrapAuc(y, good, { resamples: 300 });
    const b = bootstrapAuc(y, alsoGood, { resamples: 300 });
    expect(noise.high - noise.low).toBeLessThan(a.high - a.low + (b.high - b.low));
  });
});
