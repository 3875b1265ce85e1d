import { describe, expect, it } from 'vitest';
import {
  erf,
  logNormalCdf,
  logNormalMass,
  logSumExp,
  logTruncatedNormalPdf,
  sampleTruncatedNormal,
} from '../../../model/hpo/numerics.js';
import { Random } from '../../../pipeline/util/random.js';

describe('numerics', () => {
  it('computes erf to about 1e-7 at reference points', () => {
    expect(erf(0)).toBeCloseTo(0, 7);
    expect(erf(0.5)).toBeCloseTo(0.5204998778, 7);
    expect(erf(1)).toBeCloseTo(0.8427007929, 7);
    expect(erf(-2)).toBeCloseTo(-0.995322265, 7);
  });

  it('keeps ln Φ and ln(Φ(b) − Φ(a)) finite and accurate far in the tails', () => {
    // ln Φ(−40) ≈ −804.608 (asymptotic series), where Φ itself underflows.
    expect(logNormalCdf(-40)).toBeCloseTo(-804.608, 2);
    expect(logNormalMass(30, 31)).toBeCloseTo(logNormalCdf(-30), 6);
    expect(Math.exp(logNormalMass(-1, 1))).toBeCloseTo(0.6826894921, 6);
    expect(Math.exp(logNormalMass(0.1, 0.1 + 1e-7))).toBeCloseTo(1e-7 * 0.39695254747, 12);
  });

  it('log-sum-exp is stable for large and minus-infinite terms', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.log(2), 10);
    expect(logSumExp([Number.NEGATIVE_INFINITY, 0])).toBe(0);
    expect(logSumExp([])).toBe(Number.NEGATIVE_INFINITY);
  });

  it('truncated normal density integrates to 1 on its interval and its samples stay inside', () => {
    const [mu, sigma, low, high] = [0.9, 0.3, 0, 1];
    const n = 20_000;
    let integral = 0;
    for (let i = 0; i < n; i++)
      integral += Math.exp(logTruncatedNormalPdf(low + ((i + 0.5) / n) * (high - low), mu, sigma, low, high));
    expect(integral / n).toBeCloseTo(1, 4);
    const random = new Random(3);
    for (let i = 0; i < 1000; i++) {
      const x = sampleTruncatedNormal(random, mu, sigma, low, high);
      expect(x).toBeGreaterThanOrEqual(low);
      expect(x).toBeLessThanOrEqual(high);
    }
  });
});
