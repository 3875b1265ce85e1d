import type { Dataset } from './dataset.js';

/** Per-feature mean and standard deviation, fitted on training rows only (applied by `toNetworkInput`). */
export interface Scaler {
  mean: number[];
  std: number[];
}

/**
 * Fits a standard scaler (population std, as scikit-learn's StandardScaler) on `data`'s rows.
 * A constant feature gets std 1, so it scales to 0 rather than to NaN.
 */
export function fitScaler(data: Dataset): Scaler {
  const d = data.features;
  const sum = new Float64Array(d);
  const squares = new Float64Array(d);
  for (let r = 0; r < data.rows; r++) {
    for (let j = 0; j < d; j++) {
      const v = data.x[r * d + j]!;
      sum[j]! += v;
      squares[j]! += v * v;
    }
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (let j = 0; j < d; j++) {
    const m = sum[j]! / Math.max(data.rows, 1);
    const variance = Math.max(squares[j]! / Math.max(data.rows, 1) - m * m, 0);
    mean.push(m);
    // Relative cut-off: float noise in the variance of a constant column is not spread.
    std.push(variance > 1e-12 * Math.max(1, m * m) ? Math.sqrt(variance) : 1);
  }
  return { mean, std };
}
