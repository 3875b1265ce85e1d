import { checkLengths, type Labels, type Scores } from './types.js';

/** Row indices sorted by score, descending (ties keep index order, so results are stable). */
export function orderByScoreDescending(scores: Scores): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return order;
}

/** Scores ranked once, to take the AUC of many weightings of the rows (a bootstrap). */
export interface RankedScores {
  /** Row indices, highest score first ({@link orderByScoreDescending}). */
  order: Uint32Array;
  /** `groupEnd[k]`: one past the last position of the tie group that starts at position k. */
  groupEnd: Uint32Array;
}

/** Sorts rows by score once and marks the tie groups. */
export function rankScores(scores: Scores): RankedScores {
  const order = orderByScoreDescending(scores);
  const groupEnd = new Uint32Array(order.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && scores[order[end]!] === scores[order[start]!]) end++;
    groupEnd[start] = end;
    start = end;
  }
  return { order, groupEnd };
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative, counting ties as one half (the Mann-Whitney statistic with mid-ranks). NaN when
 * either class is absent.
 *
 * @param weights - optional per-row multiplicities (a bootstrap resample); default 1 each.
 * @param ranked - optional precomputed {@link rankScores}, to reuse across calls.
 */
export function rocAuc(
  labels: Labels,
  scores: Scores,
  weights?: ArrayLike<number>,
  ranked: RankedScores = rankScores(scores),
): number {
  checkLengths(labels, scores);
  const { order, groupEnd } = ranked;
  // Walk from the highest score down: each negative loses to every positive above it and
  // draws (one half) with each positive tied with it. O(n) after the sort.
  let posAbove = 0;
  let pairs = 0;
  let totalNeg = 0;
  for (let start = 0; start < order.length; ) {
    const end = groupEnd[start]!;
    let groupPos = 0;
    let groupNeg = 0;
    for (let k = start; k < end; k++) {
      const row = order[k]!;
      const w = weights ? weights[row]! : 1;
      if (labels[row] === 1) groupPos += w;
      else groupNeg += w;
    }
    pairs += groupNeg * (posAbove + 0.5 * groupPos);
    posAbove += groupPos;
    totalNeg += groupNeg;
    start = end;
  }
  return posAbove === 0 || totalNeg === 0 ? Number.NaN : pairs / (posAbove * totalNeg);
}

/**
 * Average precision (area under the precision-recall curve as scikit-learn's
 * `average_precision_score` defines it): Σ (Rₙ − Rₙ₋₁) Pₙ over distinct thresholds, high to low.
 * NaN without positives.
 */
export function averagePrecision(labels: Labels, scores: Scores): number {
  checkLengths(labels, scores);
  const sorted = orderByScoreDescending(scores);
  let totalPos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) totalPos++;
  if (totalPos === 0) return Number.NaN;
  let tp = 0;
  let fp = 0;
  let previousRecall = 0;
  let ap = 0;
  let i = 0;
  while (i < sorted.length) {
    const score = scores[sorted[i]!]!;
    for (; i < sorted.length && scores[sorted[i]!] === score; i++) labels[sorted[i]!] === 1 ? tp++ : fp++;
    const recall = tp / totalPos;
    ap += (recall - previousRecall) * (tp / (tp + fp));
    previousRecall = recall;
  }
  return ap;
}

/** One point of a ROC curve. */
export interface RocPoint {
  fpr: number;
  tpr: number;
}

/** Default upper bound on the points a ROC curve keeps. */
export const DEFAULT_ROC_POINTS = 101;

/**
 * ROC curve from (0,0) to (1,1), one point per distinct threshold, thinned to at most
 * `maxPoints` evenly spaced points (the first and last always kept). Empty when a class is absent.
 */
export function rocPoints(labels: Labels, scores: Scores, maxPoints = DEFAULT_ROC_POINTS): RocPoint[] {
  checkLengths(labels, scores);
  const sorted = orderByScoreDescending(scores);
  let totalPos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) totalPos++;
  const totalNeg = labels.length - totalPos;
  if (totalPos === 0 || totalNeg === 0) return [];
  const points: RocPoint[] = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  let i = 0;
  while (i < sorted.length) {
    const score = scores[sorted[i]!]!;
    for (; i < sorted.length && scores[sorted[i]!] === score; i++) labels[sorted[i]!] === 1 ? tp++ : fp++;
    points.push({ fpr: fp / totalNeg, tpr: tp / totalPos });
  }
  if (points.length <= maxPoints) return points;
  const thinned: RocPoint[] = [];
  for (let k = 0; k < maxPoints; k++)
    thinned.push(points[Math.round((k * (points.length - 1)) / (maxPoints - 1))]!);
  return thinned;
}
