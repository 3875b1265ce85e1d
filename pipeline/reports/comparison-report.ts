import { z } from 'zod';
import {
  CurvesSchema,
  GitShaSchema,
  IdSchema,
  IntervalSchema,
  type MetricName,
  MetricNames,
  MetricSetSchema,
} from '../../model/metrics-report.js';

/**
 * The comparison report (`comparison.json`): a candidate model and the comparison model,
 * both scored on the same pinned hold-out rows, per division. The gate, the PR comment and
 * the job summary read it beside the metrics report.
 */

export const COMPARISON_REPORT_VERSION = 1;

/**
 * Where the comparison model came from: `registry` (the production model in the registry),
 * `base-commit` (trained from the pull request's base commit on the same snapshot and seed,
 * when no registry is reachable, e.g. a pull request from a fork) or `none`.
 */
export const ComparisonSources = ['registry', 'base-commit', 'none'] as const;
export type ComparisonSource = (typeof ComparisonSources)[number];

/** What a difference amounts to, judged by its bootstrap interval. */
export const Verdicts = ['better', 'worse', 'no-real-change'] as const;
export type Verdict = (typeof Verdicts)[number];

const metricDeltas = z.strictObject(
  Object.fromEntries(MetricNames.map((m) => [m, z.number()])) as Record<MetricName, z.ZodNumber>,
);

export const PairedDifferenceSchema = z.strictObject({
  /** Candidate minus comparison model, on all rows. */
  estimate: z.number(),
  /** Percentile bootstrap interval of the difference, resampling rows (pairs kept together). */
  interval: IntervalSchema,
  resamples: z.number().int().min(1),
  seed: z.number().int(),
});

/**
 * The paired DeLong test of the same AUC difference (DeLong, DeLong & Clarke-Pearson 1988):
 * its standard error comes from the placement values, without resampling.
 */
export const DelongDifferenceSchema = z.strictObject({
  method: z.literal('delong-paired'),
  /** Candidate minus comparison model (the same as the bootstrap's estimate). */
  estimate: z.number(),
  /** DeLong standard error of the difference. */
  se: z.number().min(0),
  /** Two-sided p-value of H0: equal AUCs. */
  pValue: z.number().min(0).max(1),
});

export const DivisionComparisonSchema = z.strictObject({
  division: z.number().int().min(0),
  name: z.string(),
  candidate: MetricSetSchema,
  production: MetricSetSchema,
  /** Candidate minus production, per metric (for brier and logLoss, negative is better). */
  deltas: metricDeltas,
  aucDifference: PairedDifferenceSchema,
  /** The paired DeLong test of the AUC difference (absent in reports written before it). */
  aucDelong: DelongDifferenceSchema.optional(),
  verdict: z.enum(Verdicts),
  /**
   * Both models' ROC points on the same rows, so one chart can draw both (absent in reports
   * written before it).
   */
  roc: z.strictObject({ candidate: CurvesSchema.shape.roc, production: CurvesSchema.shape.roc }).optional(),
});

export const ComparisonReportSchema = z.strictObject({
  version: z.literal(COMPARISON_REPORT_VERSION),
  createdAt: z.iso.datetime(),
  snapshotId: IdSchema.optional(),
  /** Identifies the pinned hold-out rows both models were scored on (e.g. a hash of their ids). */
  holdoutId: IdSchema.optional(),
  candidate: z.strictObject({ gitSha: GitShaSchema.optional(), configHash: IdSchema.optional() }),
  comparison: z.strictObject({
    source: z.enum(ComparisonSources),
    /** Registry model name and version (`name:version`), when `source` is `registry`. */
    modelVersion: z
      .string()
      .regex(/^[\w.:/+=-]{1,200}$/, 'expected a model name and version, e.g. opp-general:12')
      .optional(),
    /** The commit the comparison model was trained from, when `source` is `base-commit`. */
    gitSha: GitShaSchema.optional(),
  }),
  divisions: z.array(DivisionComparisonSchema),
});

export type PairedDifference = z.output<typeof PairedDifferenceSchema>;
export type DelongDifference = z.output<typeof DelongDifferenceSchema>;
export type DivisionComparison = z.output<typeof DivisionComparisonSchema>;
export type ComparisonReport = z.output<typeof ComparisonReportSchema>;
