import { Random } from '../../pipeline/util/random.js';
import { orderByScoreDescending, rocAuc } from './ranking.js';
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
  /** Resamples that had both classes (the others have no AUC and are skipped). */
  resamples: number;
}

/** Default bootstrap resamples: enough for a stable 95% percentile interval. */
export const DEFAULT_RESAMPLES = 1000;
const DEFAULT_LEVEL = 0.95;
const DEFAULT_SEED = 42;

/**
 * Percentile bootstrap interval of the ROC-AUC: rows are resampled with replacement
 * (as multiplicities, so each resample costs O(n) on one shared sort).
 */
export function bootstrapAuc(
  labels: Labels,
  scores: Scores,
  options: BootstrapOptions = {},
): BootstrapResult {
  checkLengths(labels, scores);
  const order = orderByScoreDescending(scores);
  return runBootstrap(labels.length, options, rocAuc(labels, scores, undefined, order), (weights) =>
    rocAuc(labels, scores, weights, order),
  );
}

/**
 * Paired bootstrap of the AUC difference `a − b` of two models scored on the same rows: each
 * resample draws rows once and scores both models on them, so the interval reflects the
 * difference itself, not the (larger) noise of each AUC. An interval that excludes 0 says the
 * change is real at that level; one that straddles 0 says it may be noise.
 */
export function bootstrapAucDifference(
  labels: Labels,
  scoresA: Scores,
  scoresB: Scores,
  options: BootstrapOptions = {},
): BootstrapResult {
  checkLengths(labels, scoresA);
  checkLengths(labels, scoresB);
  const orderA = orderByScoreDescending(scoresA);
  const orderB = orderByScoreDescending(scoresB);
  const estimate = rocAuc(labels, scoresA, undefined, orderA) - rocAuc(labels, scoresB, undefined, orderB);
  return runBootstrap(
    labels.length,
    options,
    estimate,
    (weights) => rocAuc(labels, scoresA, weights, orderA) - rocAuc(labels, scoresB, weights, orderB),
  );
}

function runBootstrap(
  n: number,
  options: BootstrapOptions,
  estimate: number,
  statistic: (weights: Uint32Array) => number,
): BootstrapResult {
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const level = options.level ?? DEFAULT_LEVEL;
  const random = new Random(options.seed ?? DEFAULT_SEED);
  const weights = new Uint32Array(n);
  const values: number[] = [];
  for (let r = 0; r < resamples; r++) {
    weights.fill(0);
    for (let i = 0; i < n; i++) weights[random.int(n)]!++;
    const value = statistic(weights);
    if (!Number.isNaN(value)) values.push(value);
  }
  values.sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return {
    estimate,
    low: quantileSorted(values, tail),
    high: quantileSorted(values, 1 - tail),
    level,
    resamples: values.length,
  };
}
