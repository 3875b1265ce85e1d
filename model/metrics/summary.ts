/** Mean and sample standard deviation (n − 1 in the denominator; 0 for a single value). */
export interface MeanStd {
  mean: number;
  std: number;
}

/** Mean ± sample standard deviation of per-fold values. */
export function meanStd(values: readonly number[]): MeanStd {
  if (values.length === 0) return { mean: Number.NaN, std: Number.NaN };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  if (values.length === 1) return { mean, std: 0 };
  let squares = 0;
  for (const v of values) squares += (v - mean) * (v - mean);
  return { mean, std: Math.sqrt(squares / (values.length - 1)) };
}

/** The median (mean of the middle two for an even count); NaN for no values. `values` is not changed. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The `q`-quantile (0..1) of sorted values, interpolated linearly (numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}
