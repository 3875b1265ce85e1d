import type { MetricName, MetricSet, MetricsReport, ModelReport } from '../../model/metrics-report.js';
import type { AucNonInferiority, GateConfig } from '../config/gate-config.js';
import type { ComparisonReport } from '../reports/comparison-report.js';
import { withoutFloatNoise } from './float-noise.js';
import { type DivisionBounds, resolveDivisionBounds } from './gate-bounds.js';
import { blocks, judgeNonInferiority, type NonInferiorityResult } from './non-inferiority.js';

/** Which kind of bound a check tested. */
export type GateCheckKind = 'minimum' | 'maximum' | 'maxDrop' | 'nonInferiority';

/** One metric tested against one bound. */
export interface GateCheck {
  metric: MetricName;
  kind: GateCheckKind;
  /** The value the metric had to reach (minimum, maxDrop) or stay under (maximum). */
  bound: number;
  /** The candidate's value on the hold-out rows. */
  actual: number;
  /** How far inside the bound the value is: ≥ 0 passes, < 0 fails by that much. */
  margin: number;
  passed: boolean;
  /** For `maxDrop`: the production model's value and the allowed drop. */
  production?: number;
  allowedDrop?: number;
  /**
   * For `nonInferiority` (AUC vs the comparison report): the test's result. `actual` is then
   * the AUC difference, `bound` minus the margin, and the check fails on `worse` (and on
   * `possibly-worse` where the rule's `possiblyWorse` is `fail`).
   */
  nonInferiority?: NonInferiorityResult;
}

/** `pass`/`fail`: a trained model's verdict; `fallback`: the division uses the general model and is not gated. */
export type DivisionOutcome = 'pass' | 'fail' | 'fallback';

export interface DivisionGateResult {
  division: number;
  name: string;
  outcome: DivisionOutcome;
  checks: GateCheck[];
  /** Why it failed, one line per failing check or missing input. */
  reasons: string[];
  /** Things worth knowing that did not fail the division (e.g. no production model yet). */
  notes: string[];
}

export interface GateResult {
  passed: boolean;
  /** Where the non-regression baseline came from. */
  baseline: 'comparison' | 'production-report' | 'none';
  divisions: DivisionGateResult[];
  /** Every division's reasons, prefixed with the division. */
  reasons: string[];
  /** The non-inferiority rule applied to AUC, and over how many divisions (when a comparison was given). */
  nonInferiority?: AucNonInferiority & { divisions: number };
  /**
   * Divisions whose AUC is possibly worse (a drop beyond the margin the hold-out cannot prove),
   * for a reviewer's look; they fail only where the rule's `possiblyWorse` is `fail`. Empty
   * without a comparison.
   */
  needsReview: number[];
}

export interface EvaluateGateOptions {
  /** The production model's metrics report, scored on the same pinned hold-out rows. */
  production?: MetricsReport;
  /** A candidate-vs-production comparison on the same rows; preferred over `production`. */
  comparison?: ComparisonReport;
}

/**
 * Checks each division's hold-out metrics against the gate config, and against the
 * production model's metrics on the same rows (the `maxDrop` bounds).
 *
 * A division passes when every check passes. Divisions whose status is `fallback` are
 * reported but never fail the gate. A trained division without hold-out metrics fails. When
 * there is no production metric for a division, non-regression is not checked (a note says so).
 * When production was scored on other rows (a different row or positive count), it fails:
 * the comparison would mean nothing.
 */
export function evaluateGate(
  report: MetricsReport,
  config: GateConfig,
  options: EvaluateGateOptions = {},
): GateResult {
  const baseline = options.comparison ? 'comparison' : options.production ? 'production-report' : 'none';
  const rule = options.comparison ? config.nonInferiority.auc : undefined;
  const judged = rule ? judgeComparedDivisions(report, options.comparison!, rule) : new Map();
  const divisions = report.models.map((model) =>
    evaluateDivision(
      model,
      resolveDivisionBounds(config, model.division),
      productionMetrics(model, options),
      rule && judged.has(model.division) ? { rule, result: judged.get(model.division)! } : undefined,
    ),
  );
  const reasons = divisions.flatMap((d) => d.reasons.map((r) => `division ${d.division} (${d.name}): ${r}`));
  const needsReview = divisions
    .filter((d) => d.checks.some((c) => c.nonInferiority?.decision === 'possibly-worse'))
    .map((d) => d.division);
  return {
    passed: divisions.every((d) => d.outcome !== 'fail'),
    baseline,
    divisions,
    reasons,
    needsReview,
    ...(rule ? { nonInferiority: { ...rule, divisions: judged.size } } : {}),
  };
}

/** The trained divisions that the comparison covers, judged together (one Holm family). */
function judgeComparedDivisions(
  report: MetricsReport,
  comparison: ComparisonReport,
  rule: AucNonInferiority,
): Map<number, NonInferiorityResult> {
  const trained = new Set(
    report.models.filter((m) => m.status === 'trained' && m.test).map((m) => m.division),
  );
  const compared = comparison.divisions.filter((d) => trained.has(d.division));
  return new Map(judgeNonInferiority(compared, rule).map((r) => [r.division, r]));
}

interface NonInferiorityInput {
  rule: AucNonInferiority;
  result: NonInferiorityResult;
}

interface ProductionLookup {
  metrics?: MetricSet;
  note?: string;
}

function productionMetrics(model: ModelReport, options: EvaluateGateOptions): ProductionLookup {
  if (options.comparison) {
    const entry = options.comparison.divisions.find((d) => d.division === model.division);
    if (entry?.verdict === 'worse') {
      const { low, high, level } = entry.aucDifference.interval;
      const note = `AUC is lower than production beyond noise (difference ${entry.aucDifference.estimate.toFixed(4)}, ${Math.round(level * 100)}% interval [${low.toFixed(4)}, ${high.toFixed(4)}])`;
      return { metrics: entry.production, note };
    }
    return entry
      ? { metrics: entry.production }
      : { note: 'no production model in the comparison: non-regression not checked' };
  }
  if (options.production) {
    const entry = options.production.models.find((m) => m.division === model.division);
    return entry?.test
      ? { metrics: entry.test }
      : { note: 'no production metrics for this division: non-regression not checked' };
  }
  return { note: 'no production model given: non-regression not checked' };
}

function evaluateDivision(
  model: ModelReport,
  bounds: DivisionBounds,
  production: ProductionLookup,
  nonInferiority?: NonInferiorityInput,
): DivisionGateResult {
  const result: DivisionGateResult = {
    division: model.division,
    name: model.name,
    outcome: 'pass',
    checks: [],
    reasons: [],
    notes: [],
  };
  if (model.status === 'fallback') {
    result.outcome = 'fallback';
    result.notes.push(
      `served by the general model${model.fallbackReason ? `: ${model.fallbackReason}` : ''}`,
    );
    return result;
  }
  const test = model.test;
  if (!test) {
    result.outcome = 'fail';
    result.reasons.push('no hold-out test metrics in the report');
    return result;
  }
  for (const [metric, bound] of entries(bounds.minimum)) {
    result.checks.push(check(metric, 'minimum', bound, test[metric], test[metric] - bound));
  }
  for (const [metric, bound] of entries(bounds.maximum)) {
    result.checks.push(check(metric, 'maximum', bound, test[metric], bound - test[metric]));
  }
  addRegressionChecks(result, bounds, test, production, nonInferiority);
  const failed = result.checks.filter((c) => !c.passed);
  result.reasons.push(...failed.map(describeFailure));
  if (result.reasons.length > 0) result.outcome = 'fail';
  return result;
}

function addRegressionChecks(
  result: DivisionGateResult,
  bounds: DivisionBounds,
  test: MetricSet,
  production: ProductionLookup,
  nonInferiority?: NonInferiorityInput,
): void {
  // With a non-inferiority rule and a comparison, AUC's point-estimate maxDrop is replaced.
  const drops = entries(bounds.maxDrop).filter(([metric]) => !(nonInferiority && metric === 'auc'));
  if (nonInferiority) addNonInferiorityCheck(result, nonInferiority);
  if (drops.length === 0 && !nonInferiority) return;
  if (production.note) result.notes.push(production.note);
  if (!production.metrics || drops.length === 0) return;
  const other = production.metrics;
  if (other.n !== test.n || other.positives !== test.positives) {
    result.reasons.push(
      `production was scored on other rows (${other.n} rows, ${other.positives} positive; candidate ${test.n}, ${test.positives}): non-regression cannot be checked`,
    );
    return;
  }
  for (const [metric, allowedDrop] of drops) {
    const floor = other[metric] - allowedDrop;
    result.checks.push({
      ...check(metric, 'maxDrop', floor, test[metric], test[metric] - floor),
      production: other[metric],
      allowedDrop,
    });
  }
}

function addNonInferiorityCheck(
  result: DivisionGateResult,
  { rule, result: test }: NonInferiorityInput,
): void {
  const margin = withoutFloatNoise(test.estimate + rule.margin);
  result.checks.push({
    metric: 'auc',
    kind: 'nonInferiority',
    bound: -rule.margin,
    actual: test.estimate,
    margin,
    passed: !blocks(test.decision, rule),
    nonInferiority: test,
  });
  if (test.decision === 'possibly-worse' && rule.possiblyWorse === 'flag')
    result.notes.push(
      `possibly worse: AUC change ${signed(test.estimate)} is beyond the margin of ${rule.margin}, not provable with this hold-out (smallest detectable change ${test.minimumDetectable.toFixed(4)}); not blocking, review`,
    );
  if (test.decision === 'inconclusive')
    result.notes.push(
      `too small to tell: AUC change ${signed(test.estimate)} cannot be told from a drop of ${rule.margin} (lower bound ${signed(test.lower)}; smallest detectable change ${test.minimumDetectable.toFixed(4)}); not blocking`,
    );
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(4)}`;
}

function check(
  metric: MetricName,
  kind: GateCheckKind,
  bound: number,
  actual: number,
  margin: number,
): GateCheck {
  const rounded = withoutFloatNoise(margin);
  return { metric, kind, bound, actual, margin: rounded, passed: rounded >= 0 };
}

/** One failing check in words, e.g. "auc 0.6120 < minimum 0.6500 (short by 0.0380)". */
export function describeFailure(check: GateCheck): string {
  const by = Math.abs(check.margin).toFixed(4);
  const actual = check.actual.toFixed(4);
  switch (check.kind) {
    case 'minimum':
      return `${check.metric} ${actual} < minimum ${check.bound.toFixed(4)} (short by ${by})`;
    case 'maximum':
      return `${check.metric} ${actual} > maximum ${check.bound.toFixed(4)} (over by ${by})`;
    case 'nonInferiority': {
      const t = check.nonInferiority;
      if (t?.decision === 'possibly-worse')
        return `${check.metric} possibly worse: dropped ${Math.abs(check.actual).toFixed(4)} below the comparison model, beyond the allowed ${Math.abs(check.bound).toFixed(4)}, not provable with this hold-out (smallest detectable change ${t.minimumDetectable.toFixed(4)}); possiblyWorse is "fail"`;
      return `${check.metric} dropped ${Math.abs(check.actual).toFixed(4)} below the comparison model, beyond the allowed ${Math.abs(check.bound).toFixed(4)}${t ? ` (${t.method === 'delong-paired' ? 'paired DeLong' : 'bootstrap'} se ${t.se.toFixed(4)}, adjusted one-sided p ${formatP(t.pWorseAdjusted)})` : ''}`;
    }
    case 'maxDrop':
      return `${check.metric} ${actual} dropped ${((check.production ?? 0) - check.actual).toFixed(4)} below production ${(check.production ?? 0).toFixed(4)} (allowed ${(check.allowedDrop ?? 0).toFixed(4)}; over by ${by})`;
  }
}

/** A p-value in words: `< 0.001` below that, else 3 decimals. */
export function formatP(p: number): string {
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

function entries<K extends string>(record: Partial<Record<K, number>>): [K, number][] {
  return (Object.entries(record) as [K, number | undefined][]).filter(
    (e): e is [K, number] => e[1] !== undefined,
  );
}
