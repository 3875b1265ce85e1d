import { normalCdf, normalQuantile } from '../../model/metrics/delong.js';
import type { AucNonInferiority } from '../config/gate-config.js';
import type { DivisionComparison } from '../reports/comparison-report.js';
import { withoutFloatNoise } from './float-noise.js';

/**
 * Non-regression of AUC as a statistical decision, per division, with Δ = AUC(candidate) −
 * AUC(comparison model) on the same hold-out rows, its standard error `se` and the margin m:
 *
 * - `worse`: the one-sided test of H0 "Δ ≥ −m" rejects at level α after Holm's correction
 *   across the compared divisions (p = Φ((Δ + m)/se), Holm-adjusted p ≤ α). Equivalently the
 *   one-sided upper confidence bound of Δ at the division's Holm level lies below −m: the drop
 *   is beyond the margin, not noise. Only this fails the division.
 * - `non-inferior`: the one-sided lower (1 − α) bound Δ − z₁₋α·se lies above −m: the hold-out
 *   shows the candidate is no more than m worse.
 * - neither (the interval reaches below −m but does not lie below it), split by the point
 *   estimate so that a reviewer sees which divisions to look at:
 *   - `possibly-worse`: Δ itself is a drop beyond the margin (Δ < −m), which the hold-out is too
 *     small to prove at the corrected level. On real trainings no-op PRs never showed this
 *     while most really degraded divisions did (tests/bench/RESULTS.md, issue #20). It is
 *     flagged for review, or fails the division where the rule's `possiblyWorse` is `fail`.
 *   - `inconclusive` ("too small to tell"): Δ is within the margin. It does not block.
 *
 * `se` is the paired DeLong standard error when the comparison carries it and it is above 0,
 * else the bootstrap's, read off its percentile interval as (high − low)/(2 z₍₁₊level₎/₂).
 * The minimum detectable change is (z₁₋α/₂ + z_power)·se: the true AUC difference a two-sided
 * test at α finds with the configured power (80% by default) on these rows.
 */
export type NonInferiorityDecision = 'worse' | 'possibly-worse' | 'non-inferior' | 'inconclusive';

export interface NonInferiorityResult {
  division: number;
  decision: NonInferiorityDecision;
  /** Δ, candidate minus comparison model. */
  estimate: number;
  se: number;
  /** Which standard error: the paired DeLong test's, or the bootstrap interval's. */
  method: 'delong-paired' | 'bootstrap';
  /** One-sided p of H0 "Δ ≥ −margin" (small: dropped beyond the margin). */
  pWorse: number;
  /** `pWorse` after the correction across divisions. */
  pWorseAdjusted: number;
  /** One-sided lower (1 − α) confidence bound of Δ. */
  lower: number;
  /** Smallest true AUC change detectable on these rows, (z₁₋α/₂ + z_power)·se. */
  minimumDetectable: number;
}

/** Judges every compared division, Holm's correction taken across all of them. */
export function judgeNonInferiority(
  divisions: readonly DivisionComparison[],
  rule: AucNonInferiority,
): NonInferiorityResult[] {
  const base = divisions.map((d) => {
    const { se, method } = standardError(d);
    const estimate = d.aucDelong?.estimate ?? d.aucDifference.estimate;
    const shifted = estimate + rule.margin;
    const pWorse = se > 0 ? normalCdf(shifted / se) : shifted < 0 ? 0 : 1;
    return {
      division: d.division,
      estimate,
      se,
      method,
      pWorse,
      lower: estimate - normalQuantile(1 - rule.alpha) * se,
      minimumDetectable: (normalQuantile(1 - rule.alpha / 2) + normalQuantile(rule.power)) * se,
    };
  });
  const adjusted =
    rule.correction === 'holm' ? holmAdjust(base.map((b) => b.pWorse)) : base.map((b) => b.pWorse);
  return base.map((b, i) => {
    const pWorseAdjusted = adjusted[i]!;
    const decision: NonInferiorityDecision =
      pWorseAdjusted <= rule.alpha
        ? 'worse'
        : b.lower > -rule.margin
          ? 'non-inferior'
          : unproven(b.estimate, rule.margin);
    return { ...b, pWorseAdjusted, decision };
  });
}

/**
 * A division neither proven worse nor proven no worse: `possibly-worse` when its point estimate
 * is a drop beyond the margin (strictly), else `inconclusive`. Exported for the gate bench,
 * which re-splits outcomes recorded before the split existed.
 */
export function unproven(estimate: number, margin: number): 'possibly-worse' | 'inconclusive' {
  return withoutFloatNoise(estimate + margin) < 0 ? 'possibly-worse' : 'inconclusive';
}

/** Whether a decision fails the division: `worse` always, `possibly-worse` when the rule says `fail`. */
export function blocks(decision: NonInferiorityDecision, rule: AucNonInferiority): boolean {
  return decision === 'worse' || (decision === 'possibly-worse' && rule.possiblyWorse === 'fail');
}

function standardError(d: DivisionComparison): { se: number; method: NonInferiorityResult['method'] } {
  if (d.aucDelong && d.aucDelong.se > 0) return { se: d.aucDelong.se, method: 'delong-paired' };
  const { low, high, level } = d.aucDifference.interval;
  return { se: (high - low) / (2 * normalQuantile((1 + level) / 2)), method: 'bootstrap' };
}

/**
 * Holm's step-down adjusted p-values (Holm 1979): sorted ascending, p₍ₖ₎ times (m − k + 1),
 * made monotone and capped at 1. Rejecting where adjusted p ≤ α controls the family-wise error.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((a, b) => pValues[a]! - pValues[b]!);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((index, k) => {
    running = Math.max(running, Math.min(1, (m - k) * pValues[index]!));
    adjusted[index] = running;
  });
  return adjusted;
}
