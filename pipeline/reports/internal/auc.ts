/**
 * ROC-AUC with row weights over scores sorted once, for the paired bootstrap: each resample
 * only changes how many times each row counts, so sorting again per resample (O(n log n))
 * is replaced by one O(n) pass over the same order. Ties count one half (the Mann-Whitney
 * statistic; equal to the area under the trapezoidal ROC curve).
 *
 * Internal: model/metrics.ts holds the project's AUC for plain metrics; this one exists for
 * the bootstrap's speed (40k rows × 1000 resamples), and the two must agree (tests check it).
 */

/** Scores sorted ascending, with the tie groups marked. */
export interface SortedScores {
  /** Row indices in ascending score order. */
  order: Uint32Array;
  /** `groupEnd[k]` is one past the last position of the tie group starting at position k (set at group starts). */
  groupEnd: Uint32Array;
}

/** Sorts rows by score once. */
export function sortScores(scores: ArrayLike<number>): SortedScores {
  const order = Uint32Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[a]! - scores[b]!);
  const groupEnd = new Uint32Array(scores.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && scores[order[end]!] === scores[order[start]!]) end++;
    groupEnd[start] = end;
    start = end;
  }
  return { order, groupEnd };
}

/**
 * AUC of `labels` (1 positive, else negative) scored as `sorted`, each row counted
 * `weights[row]` times (all 1 when omitted). NaN when a class has no weight.
 */
export function weightedAuc(
  sorted: SortedScores,
  labels: ArrayLike<number>,
  weights?: ArrayLike<number>,
): number {
  const { order, groupEnd } = sorted;
  let negativesBelow = 0;
  let positives = 0;
  let area = 0;
  for (let start = 0; start < order.length; ) {
    const end = groupEnd[start]!;
    let groupPositives = 0;
    let groupNegatives = 0;
    for (let k = start; k < end; k++) {
      const row = order[k]!;
      const w = weights ? weights[row]! : 1;
      if (labels[row] === 1) groupPositives += w;
      else groupNegatives += w;
    }
    area += groupPositives * (negativesBelow + 0.5 * groupNegatives);
    negativesBelow += groupNegatives;
    positives += groupPositives;
    start = end;
  }
  return area / (positives * negativesBelow);
}
