/** Quantiles stored per model: 0%, 0.01%, ..., 100% (SEED.md: 10,001 quantiles). */
export const PERCENTILE_QUANTILES = 10_001;

/**
 * The `count` evenly spaced quantiles (linear interpolation, numpy's default) of training-set
 * probabilities, ascending: the mapping from a probability to its percentile rank.
 */
export function percentileMapping(
  probabilities: ArrayLike<number>,
  count = PERCENTILE_QUANTILES,
): Float64Array {
  const sorted = Float64Array.from(probabilities).sort();
  const out = new Float64Array(count);
  if (sorted.length === 0) return out;
  for (let k = 0; k < count; k++) {
    const position = (k / (count - 1)) * (sorted.length - 1);
    const low = Math.floor(position);
    const high = Math.min(low + 1, sorted.length - 1);
    out[k] = sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
  }
  return out;
}

/**
 * Percentile rank (0-100) of `probability` among training probabilities: 100 × the share of
 * quantiles at or below it, by binary search. A score above every training score is 100.
 */
export function percentileOf(quantiles: ArrayLike<number>, probability: number): number {
  let low = 0;
  let high = quantiles.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (quantiles[mid]! <= probability) low = mid + 1;
    else high = mid;
  }
  // `low` quantiles are ≤ p; quantile k stands for k/(count−1) of the training set.
  return low === 0 ? 0 : (100 * (low - 1)) / (quantiles.length - 1);
}
