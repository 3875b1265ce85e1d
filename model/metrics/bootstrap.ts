import { Random } from '../../pipeline/util/random.js';
import { rankScores, rocAuc } from './ranking.js';
import { quantileSorted } from './summary.js';
import { checkLengths, type Labels, type Scores } from './types.js';

/** A two-sided percentile confidence interval. */
export interface Interval {
  low: number;
  high: number;
  level: number;
}

export interface BootstrapOptions {
  /** Number of resamples. @default 1000 */
  resamples?: number;
  /** Confidence level. @default 0.95 */
  level?: number;
  /** Seed of the resampling. @default 42 */
  seed?: number;
}

/** The point estimate and its bootstrap interval. */
export interface BootstrapResult extends Interval {
  estimate: number;
  /** Resamples drawn (0 when a class is missing and there is no AUC). */
  resamples: number;
}

/** Default bootstrap resamples: enough for a stable 95% percentile interval. */
export const DEFAULT_RESAMPLES = 1000;
const DEFAULT_LEVEL = 0.95;
const DEFAULT_SEED = 42;

/**
 * Percentile bootstrap interval of the ROC-AUC (see {@link runBootstrap} for the resampling).
 * NaN, with no resamples, when a class is missing.
 */
export function bootstrapAuc(
  labels: Labels,
  scores: Scores,
  options: BootstrapOptions = {},
): BootstrapResult {
  checkLengths(labels, scores);
  const ranked = rankScores(scores);
  return runBootstrap(labels, options, rocAuc(labels, scores, undefined, ranked), (weights) =>
    rocAuc(labels, scores, weights, ranked),
  );
}

/**
 * Paired bootstrap of the AUC difference `a − b` of two models scored on the same rows: each
 * resample draws rows once and scores both models on them (the pairing removes the row-to-row
 * noise both share), so the interval reflects the difference itself, not the (larger) noise of
 * each AUC. An interval that excludes 0 says the change is real at that level; one that
 * straddles 0 says it may be noise. NaN, with no resamples, when a class is missing.
 */
export function bootstrapAucDifference(
  labels: Labels,
  scoresA: Scores,
  scoresB: Scores,
  options: BootstrapOptions = {},
): BootstrapResult {
  checkLengths(labels, scoresA);
  checkLengths(labels, scoresB);
  const rankedA = rankScores(scoresA);
  const rankedB = rankScores(scoresB);
  const estimate = rocAuc(labels, scoresA, undefined, rankedA) - rocAuc(labels, scoresB, undefined, rankedB);
  return runBootstrap(
    labels,
    options,
    estimate,
    (weights) => rocAuc(labels, scoresA, weights, rankedA) - rocAuc(labels, scoresB, weights, rankedB),
  );
}

/**
 * The stratified percentile bootstrap (Carpenter & Bithell 2000, as pROC does it): positives
 * and negatives are drawn separately, keeping their counts, so every resample has both classes
 * and an AUC. A resample only sets how many times each row counts (the statistic reuses one
 * sort), so it costs O(n): see `npm run bench:bootstrap`.
 *
 * @throws RangeError when `resamples` is not a whole number >= 1.
 */
function runBootstrap(
  labels: Labels,
  options: BootstrapOptions,
  estimate: number,
  statistic: (weights: Uint32Array) => number,
): BootstrapResult {
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const level = options.level ?? DEFAULT_LEVEL;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new RangeError(`resamples must be a whole number >= 1, but got ${resamples}`);
  }
  const positives: number[] = [];
  const negatives: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? positives : negatives).push(i);
  if (positives.length === 0 || negatives.length === 0) {
    return { estimate: Number.NaN, low: Number.NaN, high: Number.NaN, level, resamples: 0 };
  }
  const random = new Random(options.seed ?? DEFAULT_SEED);
  const weights = new Uint32Array(labels.length);
  const values = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    weights.fill(0);
    for (const group of [positives, negatives]) {
      for (let j = 0; j < group.length; j++) weights[group[random.int(group.length)]!]!++;
    }
    values[r] = statistic(weights);
  }
  values.sort();
  const tail = (1 - level) / 2;
  return {
    estimate,
    low: quantileSorted(values, tail),
    high: quantileSorted(values, 1 - tail),
    level,
    resamples,
  };
}
