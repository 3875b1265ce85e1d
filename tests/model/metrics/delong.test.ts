import { describe, expect, it } from 'vitest';
import { normalCdf, normalQuantile, pairedDelong } from '../../../model/metrics/delong.js';
import { Random } from '../../../pipeline/util/random.js';

/** DeLong's structural components straight from their definition, O(m·n). */
function bruteForceVariance(labels: number[], a: number[], b: number[]): number {
  const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
  const pos = labels.flatMap((l, i) => (l === 1 ? [i] : []));
  const neg = labels.flatMap((l, i) => (l === 0 ? [i] : []));
  const comp = (s: number[]) => ({
    v10: pos.map((i) => neg.reduce((t, j) => t + psi(s[i]!, s[j]!), 0) / neg.length),
    v01: neg.map((j) => pos.reduce((t, i) => t + psi(s[i]!, s[j]!), 0) / pos.length),
  });
  const cov = (x: number[], y: number[]) => {
    const mx = x.reduce((s, v) => s + v, 0) / x.length;
    const my = y.reduce((s, v) => s + v, 0) / y.length;
    return x.reduce((s, v, k) => s + (v - mx) * (y[k]! - my), 0) / (x.length - 1);
  };
  const A = comp(a);
  const B = comp(b);
  return (
    (cov(A.v10, A.v10) + cov(B.v10, B.v10) - 2 * cov(A.v10, B.v10)) / pos.length +
    (cov(A.v01, A.v01) + cov(B.v01, B.v01) - 2 * cov(A.v01, B.v01)) / neg.length
  );
}

describe('normal distribution helpers', () => {
  it('match tabulated values', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 8);
    expect(normalQuantile(0.8)).toBeCloseTo(0.841621234, 8);
    expect(normalQuantile(0.05)).toBeCloseTo(-1.644853627, 8);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902, 6);
    expect(normalCdf(1.959963985)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-3)).toBeCloseTo(0.001349898, 7);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
  });
});

describe('pairedDelong', () => {
  it('gives the hand-computed value on four rows', () => {
    // Model 1: V10 = [1, 0.5], V01 = [0.5, 1] (AUC 0.75); model 2 separates perfectly (AUC 1).
    // Var = var(V10₁)/2 + var(V01₁)/2 = 0.125/2 + 0.125/2 = 0.125.
    const r = pairedDelong([1, 1, 0, 0], [0.9, 0.4, 0.5, 0.1], [0.8, 0.7, 0.3, 0.6]);
    expect(r.auc1).toBeCloseTo(0.75, 12);
    expect(r.auc2).toBeCloseTo(1, 12);
    expect(r.se).toBeCloseTo(Math.sqrt(0.125), 12);
    expect(r.z).toBeCloseTo(-0.25 / Math.sqrt(0.125), 12);
    expect(r.pValue).toBeCloseTo(0.4795001, 6);
  });

  it('gives p = 1, not above, for equal AUCs that rank rows differently', () => {
    // Both AUCs 7/9 with different placements, so se > 0 and z = 0 (a real no-op PR hit this:
    // p 1.00000003 failed the comparison report's schema).
    const r = pairedDelong(
      [1, 1, 1, 0, 0, 0],
      [0.9, 0.5, 0.3, 0.6, 0.2, 0.1],
      [0.3, 0.9, 0.5, 0.2, 0.6, 0.1],
    );
    expect(r.difference).toBe(0);
    expect(r.se).toBeGreaterThan(0);
    expect(r.pValue).toBe(1);
    for (const x of [-40, -8, 0, 8, 40]) {
      expect(normalCdf(x)).toBeGreaterThanOrEqual(0);
      expect(normalCdf(x)).toBeLessThanOrEqual(1);
    }
  });

  it('agrees with the structural components computed pair by pair, ties included', () => {
    const random = new Random(3);
    const labels: number[] = [];
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 300; i++) {
      const y = random.next() < 0.3 ? 1 : 0;
      labels.push(y);
      // Rounded scores: many ties within and across classes.
      a.push(Math.round((y * 0.8 + random.next()) * 10) / 10);
      b.push(Math.round((y * 0.5 + random.next()) * 10) / 10);
    }
    const r = pairedDelong(labels, a, b);
    expect(r.se ** 2).toBeCloseTo(bruteForceVariance(labels, a, b), 12);
  });

  it('holds its level under H0 (exchangeable models) and has power against a real gap', () => {
    const random = new Random(11);
    const gaussian = () =>
      Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
    const trials = 1000;
    let rejectNull = 0;
    let rejectGap = 0;
    for (let t = 0; t < trials; t++) {
      const labels: number[] = [];
      const a: number[] = [];
      const b: number[] = [];
      const c: number[] = [];
      for (let i = 0; i < 400; i++) {
        const y = random.next() < 0.25 ? 1 : 0;
        const signal = y + gaussian();
        labels.push(y);
        a.push(signal + 0.7 * gaussian());
        b.push(signal + 0.7 * gaussian());
        c.push(signal + 2 * gaussian());
      }
      if (pairedDelong(labels, a, b).pValue < 0.05) rejectNull++;
      if (pairedDelong(labels, a, c).pValue < 0.05) rejectGap++;
    }
    // Binomial(1000, 0.05): sd 0.0069; ±3 sd.
    expect(rejectNull / trials).toBeGreaterThan(0.029);
    expect(rejectNull / trials).toBeLessThan(0.071);
    expect(rejectGap / trials).toBeGreaterThan(0.6);
  });

  it('refuses a missing class', () => {
    expect(() => pairedDelong([1, 1, 1], [0.1, 0.2, 0.3], [0.1, 0.2, 0.3])).toThrow(/2 rows of each class/);
  });
});
