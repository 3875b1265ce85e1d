/**
 * Rows for training, column-packed for speed: `x` holds `rows × features` values row-major.
 * Feature values are float32 (what the network computes in).
 */
export interface Dataset {
  rows: number;
  features: number;
  x: Float32Array;
  /** Labels, 0 or 1. */
  y: Uint8Array;
}

/** The rows at `indices` (in that order) as a new dataset. */
export function takeRows(data: Dataset, indices: ArrayLike<number>): Dataset {
  const d = data.features;
  const x = new Float32Array(indices.length * d);
  const y = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const row = indices[k]!;
    x.set(data.x.subarray(row * d, row * d + d), k * d);
    y[k] = data.y[row]!;
  }
  return { rows: indices.length, features: d, x, y };
}

/** Number of positive rows. */
export function positivesOf(y: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < y.length; i++) n += y[i] === 1 ? 1 : 0;
  return n;
}
