import { describe, expect, it } from 'vitest';
import { pairedDelong } from '../../../model/metrics/delong.js';
import { AucNonInferioritySchema, GateConfigSchema } from '../../../pipeline/config/gate-config.js';
import { blocks, holmAdjust, judgeNonInferiority, unproven } from '../../../pipeline/gate/non-inferiority.js';
import type { DivisionComparison } from '../../../pipeline/reports/comparison-report.js';
import { Random } from '../../../pipeline/util/random.js';
import { metricSet } from '../../support/metrics-fixtures.js';

const rule = AucNonInferioritySchema.parse({ margin: 0.01 });

function compared(
  division: number,
  estimate: number,
  interval: [number, number],
  delongSe?: number,
): DivisionComparison {
  const zero = { accuracy: 0, precision: 0, recall: 0, f1: 0, auc: estimate, prAuc: 0, brier: 0, logLoss: 0 };
  return {
    division,
    name: `division-${division}`,
    candidate: metricSet(),
    production: metricSet(),
    deltas: zero,
    aucDifference: {
      estimate,
      interval: { low: interval[0], high: interval[1], level: 0.95 },
      resamples: 1000,
      seed: 0,
    },
    ...(delongSe === undefined
      ? {}
      : { aucDelong: { method: 'delong-paired', estimate, se: delongSe, pValue: 0.5 } }),
    verdict: 'no-real-change',
  };
}

describe('AUC non-inferiority rule', () => {
  it('defaults alpha 0.05, Holm, 80% power and flagging, and refuses a margin of 0 with a clear error', () => {
    expect(rule).toEqual({
      margin: 0.01,
      alpha: 0.05,
      correction: 'holm',
      power: 0.8,
      possiblyWorse: 'flag',
    });
    const parsed = GateConfigSchema.safeParse({ nonInferiority: { auc: { margin: 0 } } });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.message).toBe('margin must be above 0');
    expect(
      GateConfigSchema.safeParse({ nonInferiority: { auc: { margin: 0.01, correction: 'bh' } } }).success,
    ).toBe(false);
  });

  it("adjusts p-values by Holm's step-down", () => {
    // Sorted 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 = 0.02, 0.03, 0.06, 0.04 → monotone 0.06.
    const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    for (const [a, b] of adjusted.map((v, i) => [v, [0.03, 0.06, 0.06, 0.02][i]!]))
      expect(a).toBeCloseTo(b!, 12);
    expect(holmAdjust([0.6, 0.9])).toEqual([1, 1]);
  });

  it("calls the issue's division 6 (−0.018, [−0.040, +0.003]) possibly worse, not a failure", () => {
    const [result] = judgeNonInferiority([compared(6, -0.018, [-0.04, 0.003])], rule);
    // se from the bootstrap interval: 0.043 / (2 × 1.959964) = 0.010970.
    expect(result!.method).toBe('bootstrap');
    expect(result!.se).toBeCloseTo(0.01097, 5);
    // p = Φ((−0.018 + 0.01) / 0.01097) = Φ(−0.7293) = 0.2329.
    expect(result!.pWorse).toBeCloseTo(0.2329, 3);
    expect(result!.lower).toBeCloseTo(-0.018 - 1.644854 * 0.01097, 4);
    // (1.959964 + 0.841621) × 0.01097 = 0.03073.
    expect(result!.minimumDetectable).toBeCloseTo(0.03073, 4);
    // Not provable (p 0.23), but the point estimate is a drop beyond the margin.
    expect(result!.decision).toBe('possibly-worse');
    expect(blocks(result!.decision, rule)).toBe(false);
    expect(blocks(result!.decision, { ...rule, possiblyWorse: 'fail' })).toBe(true);
  });

  it('splits the unproven by the point estimate: beyond the margin (strictly) is possibly worse', () => {
    // se 0.02: none of these is proven worse (p ≥ 0.3) nor no worse (lower bound < −0.03).
    const at = (estimate: number) =>
      judgeNonInferiority([compared(1, estimate, [-0.1, 0.1], 0.02)], rule)[0]!;
    expect(at(-0.0101).decision).toBe('possibly-worse');
    // Exactly the margin, also as floating point makes it (0.7 − 0.71 = −0.01000000000000001).
    expect(at(-0.01).decision).toBe('inconclusive');
    expect(at(0.7 - 0.71).decision).toBe('inconclusive');
    expect(at(-0.0099).decision).toBe('inconclusive');
    expect(at(0.005).decision).toBe('inconclusive');
    expect([-0.0101, -0.01, 0].map((d) => unproven(d, 0.01))).toEqual([
      'possibly-worse',
      'inconclusive',
      'inconclusive',
    ]);
    // A proven drop stays `worse`, a precise small one `non-inferior`: the split touches neither.
    expect(judgeNonInferiority([compared(1, -0.05, [-0.06, -0.04], 0.005)], rule)[0]!.decision).toBe('worse');
    expect(judgeNonInferiority([compared(1, -0.001, [-0.004, 0.002], 0.001)], rule)[0]!.decision).toBe(
      'non-inferior',
    );
    expect(blocks('worse', rule)).toBe(true);
    expect(
      ['non-inferior', 'inconclusive'].some((d) =>
        blocks(d as 'inconclusive', { ...rule, possiblyWorse: 'fail' }),
      ),
    ).toBe(false);
  });

  it('refuses a possiblyWorse other than "flag" or "fail", naming the field', () => {
    const parsed = GateConfigSchema.safeParse({
      nonInferiority: { auc: { margin: 0.01, possiblyWorse: 'warn' } },
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.path).toEqual(['nonInferiority', 'auc', 'possiblyWorse']);
  });

  it('fails a drop beyond the margin beyond doubt, passes a precise small change, and uses DeLong when given', () => {
    const results = judgeNonInferiority(
      [compared(0, -0.05, [-0.06, -0.04], 0.005), compared(1, 0.002, [-0.006, 0.01], 0.004)],
      rule,
    );
    expect(results.map((r) => r.decision)).toEqual(['worse', 'non-inferior']);
    expect(results.map((r) => r.method)).toEqual(['delong-paired', 'delong-paired']);
    expect(results[1]!.lower).toBeCloseTo(0.002 - 1.644854 * 0.004, 5);
  });

  it("Holm's correction: two one-sided p of 0.03 each fail alone, not together", () => {
    // Δ = −0.01 + z·se with Φ(z) = 0.03, z = −1.880794.
    const d = -0.01 - 1.880794 * 0.01;
    const alone = judgeNonInferiority([compared(1, d, [-0.05, 0], 0.01)], rule);
    expect(alone[0]!.pWorse).toBeCloseTo(0.03, 5);
    expect(alone[0]!.decision).toBe('worse');
    const together = judgeNonInferiority(
      [compared(1, d, [-0.05, 0], 0.01), compared(2, d, [-0.05, 0], 0.01)],
      rule,
    );
    expect(together.map((r) => r.pWorseAdjusted).every((p) => Math.abs(p - 0.06) < 1e-5)).toBe(true);
    // Not proven together, each −0.029 is still a drop beyond the margin: possibly worse.
    expect(together.map((r) => r.decision)).toEqual(['possibly-worse', 'possibly-worse']);
    const uncorrected = judgeNonInferiority(
      [compared(1, d, [-0.05, 0], 0.01), compared(2, d, [-0.05, 0], 0.01)],
      {
        ...rule,
        correction: 'none',
      },
    );
    expect(uncorrected.map((r) => r.decision)).toEqual(['worse', 'worse']);
  });
});

/**
 * No-op pull requests: candidate and comparison model are the same model up to noise
 * (exchangeable scores), on eight divisions of the sizes a 20,000-record sample gives.
 * The old rule (point drop > 0.01) fails many; the new one almost never fails a PR.
 */
function simulateNoOp(runs: number, seed: number) {
  const random = new Random(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  const sizes = [4000, 600, 500, 450, 400, 350, 300, 250];
  let oldDivisionFails = 0;
  let newDivisionFails = 0;
  let oldPrFails = 0;
  let newPrFails = 0;
  let inconclusive = 0;
  for (let run = 0; run < runs; run++) {
    const divisions = sizes.map((n, division) => {
      const labels: number[] = [];
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < n; i++) {
        const y = random.next() < 0.3 ? 1 : 0;
        const signal = 0.9 * y + gaussian();
        labels.push(y);
        a.push(signal + 0.5 * gaussian());
        b.push(signal + 0.5 * gaussian());
      }
      const t = pairedDelong(labels, a, b);
      return compared(division, t.difference, [t.difference - 1.96 * t.se, t.difference + 1.96 * t.se], t.se);
    });
    const old = divisions.filter((d) => d.aucDifference.estimate < -0.01).length;
    const judged = judgeNonInferiority(divisions, rule);
    const failed = judged.filter((r) => r.decision === 'worse').length;
    oldDivisionFails += old;
    newDivisionFails += failed;
    inconclusive += judged.filter((r) => r.decision === 'inconclusive').length;
    if (old > 0) oldPrFails++;
    if (failed > 0) newPrFails++;
  }
  const total = runs * sizes.length;
  return {
    oldDivisionShare: oldDivisionFails / total,
    newDivisionShare: newDivisionFails / total,
    oldPrShare: oldPrFails / runs,
    newPrShare: newPrFails / runs,
    inconclusiveShare: inconclusive / total,
  };
}

describe('no-op comparisons (simulation)', () => {
  it('fail far fewer divisions and PRs under the non-inferiority rule than under the point rule', () => {
    const figures = simulateNoOp(200, 5);
    // With no real change, a PR may fail only when the test errs: at most α family-wise.
    expect(figures.newPrShare).toBeLessThanOrEqual(0.05);
    expect(figures.newDivisionShare).toBeLessThan(0.01);
    // The point rule fails on noise: most no-op PRs have some division 0.01 below.
    expect(figures.oldPrShare).toBeGreaterThan(0.5);
    expect(figures.oldDivisionShare).toBeGreaterThan(0.1);
  });
});
