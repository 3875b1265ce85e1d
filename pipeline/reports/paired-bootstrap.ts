import { InputError } from '../errors/InputError.js';
import { Random } from '../util/random.js';
import type { PairedDifference } from './comparison-report.js';
import { sortScores, weightedAuc } from './internal/auc.js';

/** Resamples in a paired bootstrap unless told otherwise. */
export const DEFAULT_BOOTSTRAP_RESAMPLES = 1000;
/** Confidence level of the bootstrap interval unless told otherwise. */
export const DEFAULT_INTERVAL_LEVEL = 0.95;

export interface PairedBootstrapOptions {
  /** Number of bootstrap resamples. @default 1000 */
  resamples?: number;
  /** Confidence level of the percentile interval. @default 0.95 */
  level?: number;
  /** Seed of the resampling. @default 0 */
  seed?: number;
}

/**
 * Bootstrap interval of AUC(candidate) − AUC(production), both scored on the same rows.
 *
 * Each resample draws rows with replacement and scores both models on the same draw (the
 * pairing removes the row-to-row noise both models share). Positives and negatives are drawn
 * separately, keeping their counts, so that every resample has both classes and an AUC
 * (the stratified bootstrap, as in Carpenter & Bithell 2000 and pROC). The interval is the
 * percentile interval of the resampled differences.
 *
 * Each model's scores are sorted once; a resample only sets how many times each row counts,
 * so one resample costs O(n): 1000 resamples of 40k rows took ~3 s here (npm run bench:bootstrap).
 *
 * @param labels - 0/1 per row.
 * @param candidate - the candidate's score per row.
 * @param production - the comparison model's score per row, same order.
 * @throws InputError when the arrays differ in length or a class is missing.
 */
export function pairedBootstrapAucDifference(
  labels: ArrayLike<number>,
  candidate: ArrayLike<number>,
  production: ArrayLike<number>,
  options: PairedBootstrapOptions = {},
): PairedDifference {
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const level = options.level ?? DEFAULT_INTERVAL_LEVEL;
  const seed = options.seed ?? 0;
  if (candidate.length !== labels.length || production.length !== labels.length) {
    throw new InputError(
      `paired bootstrap needs one score per row from each model: ${labels.length} labels, ${candidate.length} candidate and ${production.length} production scores`,
    );
  }
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new InputError(`resamples must be a whole number >= 1, but got ${resamples}`);
  }
  const positives: number[] = [];
  const negatives: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? positives : negatives).push(i);
  if (positives.length === 0 || negatives.length === 0) {
    throw new InputError(
      `paired bootstrap needs both classes: got ${positives.length} positive and ${negatives.length} negative rows`,
    );
  }
  const sortedCandidate = sortScores(candidate);
  const sortedProduction = sortScores(production);
  const estimate = weightedAuc(sortedCandidate, labels) - weightedAuc(sortedProduction, labels);
  const random = new Random(seed);
  const counts = new Float64Array(labels.length);
  const differences = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    counts.fill(0);
    for (const group of [positives, negatives]) {
      for (let j = 0; j < group.length; j++) counts[group[random.int(group.length)]!]! += 1;
    }
    differences[r] =
      weightedAuc(sortedCandidate, labels, counts) - weightedAuc(sortedProduction, labels, counts);
  }
  differences.sort();
  const tail = (1 - level) / 2;
  return {
    estimate,
    interval: { low: quantile(differences, tail), high: quantile(differences, 1 - tail), level },
    resamples,
    seed,
  };
}

/** The `p` quantile of sorted values, interpolating linearly between neighbours. */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = p * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}
