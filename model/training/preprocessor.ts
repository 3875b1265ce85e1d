import type { Dataset } from './dataset.js';
import {
  type ColumnTransform,
  fitInputTransform,
  type InputTransformPlan,
  transformValue,
} from './input-transform.js';
import { fitScaler, type Scaler } from './scaler.js';

/**
 * What turns a raw feature row into network input: a transform per column, then the scaler
 * (fitted on the transformed training rows). Saved in the bundle; training, the Predictor,
 * the scoring server and HPO all go through {@link toNetworkInput}.
 */
export interface Preprocessor {
  /** One transform per feature, in feature order. */
  inputTransform: ColumnTransform[];
  /** Mean and std of the transformed training rows. */
  scaler: Scaler;
}

/**
 * Fits the preprocessor on `train` (training rows only): the column transforms (`auto` decides
 * on these rows), then the scaler on the transformed rows.
 * @param plan - @default all columns `none` (plain standardisation)
 */
export function fitPreprocessor(train: Dataset, plan?: InputTransformPlan): Preprocessor {
  const inputTransform = fitInputTransform(
    train,
    plan ?? Array.from({ length: train.features }, () => 'none'),
  );
  const transformed = inputTransform.every((t) => t === 'none')
    ? train
    : { ...train, x: transformRows(inputTransform, train.x, train.rows) };
  return { inputTransform, scaler: fitScaler(transformed) };
}

/**
 * THE function from raw feature rows (row-major, `rows × features`) to network input:
 * `(transform(x) − mean) / std` per column, computed in float64 and stored as float32.
 * A value outside a transform's domain comes out NaN (the Predictor reports it).
 */
export function toNetworkInput(pre: Preprocessor, x: ArrayLike<number>, rows: number): Float32Array {
  const { mean, std } = pre.scaler;
  const transform = pre.inputTransform;
  const d = mean.length;
  const out = new Float32Array(rows * d);
  for (let j = 0; j < d; j++) {
    const t = transform[j]!;
    const m = mean[j]!;
    const s = std[j]!;
    if (t === 'none') for (let r = 0; r < rows; r++) out[r * d + j] = (x[r * d + j]! - m) / s;
    else for (let r = 0; r < rows; r++) out[r * d + j] = (transformValue(t, x[r * d + j]!) - m) / s;
  }
  return out;
}

/** A dataset as network input (see {@link toNetworkInput}). */
export function preprocessDataset(pre: Preprocessor, data: Dataset): Dataset {
  return { ...data, x: toNetworkInput(pre, data.x, data.rows) };
}

function transformRows(transform: readonly ColumnTransform[], x: Float32Array, rows: number): Float32Array {
  const d = transform.length;
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < d; j++) out[r * d + j] = transformValue(transform[j]!, x[r * d + j]!);
  return out;
}
