import { describe, expect, it } from 'vitest';
import type { Distribution } from '../../../model/hpo/distributions.js';
import { neighbourBandwidths, ParzenEstimator } from '../../../model/hpo/parzen-estimator.js';
import { Random } from '../../../pipeline/util/random.js';

const unit: Distribution = { type: 'float', low: 0, high: 1, log: false };

describe('ParzenEstimator', () => {
  it('sets each bandwidth to the larger gap to its neighbours, prior centre included', () => {
    // Centres 0.1, 0.2, 0.5 (prior), 0.9: gaps 0.1, 0.3, 0.4; outermost use their inner gap.
    expect(neighbourBandwidths([0.1, 0.2, 0.9], 0, 1, true, false).map((s) => Number(s.toFixed(10)))).toEqual(
      [0.1, 0.3, 0.4],
    );
    // The box's ends count as neighbours only with considerEndpoints.
    expect(neighbourBandwidths([0.45, 0.5], 0, 1, false, true).map((s) => Number(s.toFixed(10)))).toEqual([
      0.45, 0.5,
    ]);
    expect(neighbourBandwidths([0.45, 0.5], 0, 1, false, false).map((s) => Number(s.toFixed(10)))).toEqual([
      0.05, 0.05,
    ]);
    expect(neighbourBandwidths([0.3], 0, 1, false, true)).toEqual([0.7]);
  });

  it('is a density on a continuous box, univariate and multivariate', () => {
    for (const multivariate of [false, true]) {
      const estimator = new ParzenEstimator(
        [unit, unit],
        [
          [0.2, 0.7],
          [0.25, 0.1],
          [0.9, 0.9],
        ],
        [1, 1, 1],
        { multivariate },
      );
      const n = 200;
      let integral = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) integral += Math.exp(estimator.logPdf([(i + 0.5) / n, (j + 0.5) / n]));
      }
      expect(integral / (n * n)).toBeCloseTo(1, 2);
    }
  });

  it('gives grid and categorical dimensions probability masses that sum to 1', () => {
    const grid: Distribution = { type: 'int', low: 1, high: 6, log: false, step: 1 };
    const cat: Distribution = { type: 'categorical', choices: ['a', 'b', 'c'] };
    const estimator = new ParzenEstimator(
      [grid, cat],
      [
        [2, 0],
        [5, 2],
      ],
      [1, 1],
    );
    let total = 0;
    for (let v = 1; v <= 6; v++) for (let c = 0; c < 3; c++) total += Math.exp(estimator.logPdf([v, c]));
    expect(total).toBeCloseTo(1, 6);
  });

  it('concentrates samples near heavily weighted observations and keeps them inside the box', () => {
    const observations = Array.from({ length: 20 }, () => [0.8]);
    const estimator = new ParzenEstimator([unit], observations, new Array(20).fill(1));
    const samples = estimator.sample(new Random(1), 500).map((p) => p[0]!);
    expect(samples.every((x) => x >= 0 && x <= 1)).toBe(true);
    const near = samples.filter((x) => Math.abs(x - 0.8) < 0.1).length;
    expect(near / samples.length).toBeGreaterThan(0.7);
  });
});
