import { type MetricName, MetricNames, type MetricSet } from '../../model/metrics-report.js';
import { validateConfig } from '../config/load-config.js';
import { InputError } from '../errors/InputError.js';
import {
  COMPARISON_REPORT_VERSION,
  type ComparisonReport,
  ComparisonReportSchema,
  type DelongDifference,
  type DivisionComparison,
  type PairedDifference,
  type Verdict,
} from './comparison-report.js';

export interface CompareDivisionInput {
  division: number;
  name: string;
  /** The candidate's metrics on the pinned hold-out rows. */
  candidate: MetricSet;
  /** The comparison model's metrics on the same rows. */
  production: MetricSet;
  /** From `bootstrapAucDifference` (model/metrics/bootstrap.ts) on the same rows. */
  aucDifference: PairedDifference;
  /** From `pairedDelong` on the same rows, when computed. */
  aucDelong?: DelongDifference;
  /** Both models' ROC points on the same rows, when computed. */
  roc?: DivisionComparison['roc'];
}

/**
 * One division's comparison: per-metric deltas (candidate − production) and a verdict on the
 * AUC difference.
 *
 * @throws InputError when the two metric sets were not computed on the same rows.
 */
export function compareDivision(input: CompareDivisionInput): DivisionComparison {
  const { candidate, production } = input;
  if (candidate.n !== production.n || candidate.positives !== production.positives) {
    throw new InputError(
      `division ${input.division}: candidate (${candidate.n} rows, ${candidate.positives} positive) and production (${production.n}, ${production.positives}) were not scored on the same rows`,
    );
  }
  const deltas = Object.fromEntries(MetricNames.map((m) => [m, candidate[m] - production[m]])) as Record<
    MetricName,
    number
  >;
  return {
    division: input.division,
    name: input.name,
    candidate,
    production,
    deltas,
    aucDifference: input.aucDifference,
    ...(input.aucDelong ? { aucDelong: input.aucDelong } : {}),
    verdict: judgeDifference(input.aucDifference),
    ...(input.roc ? { roc: input.roc } : {}),
  };
}

/**
 * `better` when the whole interval of a higher-is-better difference lies above 0, `worse`
 * when it lies below 0, else `no-real-change` (the data cannot tell the two models apart).
 */
export function judgeDifference(difference: PairedDifference): Verdict {
  if (difference.interval.low > 0) return 'better';
  if (difference.interval.high < 0) return 'worse';
  return 'no-real-change';
}

export interface CreateComparisonReportOptions {
  /** Where the comparison model came from. */
  comparison: ComparisonReport['comparison'];
  candidate?: ComparisonReport['candidate'];
  snapshotId?: string;
  /** Identifies the pinned hold-out rows (e.g. a hash of their record ids). */
  holdoutId?: string;
  /** @default now */
  createdAt?: Date;
}

/**
 * Assembles a comparison report from per-division comparisons and checks it against its schema.
 *
 * @throws ConfigError (from the schema check) when a field is out of range.
 */
export function createComparisonReport(
  divisions: readonly DivisionComparison[],
  options: CreateComparisonReportOptions,
): ComparisonReport {
  const report = {
    version: COMPARISON_REPORT_VERSION,
    createdAt: (options.createdAt ?? new Date()).toISOString(),
    ...(options.snapshotId === undefined ? {} : { snapshotId: options.snapshotId }),
    ...(options.holdoutId === undefined ? {} : { holdoutId: options.holdoutId }),
    candidate: options.candidate ?? {},
    comparison: options.comparison,
    divisions: [...divisions],
  };
  return validateConfig(report, ComparisonReportSchema, 'comparison report');
}
