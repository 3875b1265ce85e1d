import type { Dataset } from './dataset.js';
import { fitImputation, type Imputation, type ImputationPlan, isMarker } from './imputation.js';
import {
  type ColumnTransform,
  fitInputTransform,
  type InputTransformPlan,
  transformValue,
} from './input-transform.js';
import { fitScaler, type Scaler } from './scaler.js';

/**
 * What turns a raw feature row into network input, per column: a missing marker replaced
 * (imputation), a transform, then the scaler. All three are fitted on training rows only and
 * saved in the bundle; training, the Predictor, the scoring server and HPO all go through
 * {@link toNetworkInput}.
 */
export interface Preprocessor {
  /** Columns whose missing marker is replaced by a fill; absent = none. */
  imputation?: Imputation[];
  /** One transform per feature, in feature order. */
  inputTransform: ColumnTransform[];
  /** Mean and std of the imputed, transformed training rows. */
  scaler: Scaler;
}

/**
 * Fits the preprocessor on `train` (training rows only): the imputation fills, then the column
 * transforms (`auto` decides on the imputed rows), then the scaler on the transformed rows.
 * @param plan - @default all columns `none` (plain standardisation)
 * @param impute - @default no imputation
 */
export function fitPreprocessor(
  train: Dataset,
  plan?: InputTransformPlan,
  impute: readonly ImputationPlan[] = [],
): Preprocessor {
  const imputation = fitImputation(train, impute);
  const imputed = imputation.length > 0 ? { ...train, x: mapRows(train, imputation, []) } : train;
  const inputTransform = fitInputTransform(
    imputed,
    plan ?? Array.from({ length: train.features }, () => 'none'),
  );
  const transformed = inputTransform.every((t) => t === 'none')
    ? imputed
    : { ...imputed, x: mapRows(imputed, [], inputTransform) };
  return {
    ...(imputation.length > 0 ? { imputation } : {}),
    inputTransform,
    scaler: fitScaler(transformed),
  };
}

/**
 * THE function from raw feature rows (row-major, `rows × features`) to network input:
 * `(transform(impute(x)) − mean) / std` per column, computed in float64 and stored as float32.
 * A value outside a transform's domain comes out NaN (the Predictor reports it). `into` (rows ×
 * features long) is reused instead of allocating, for the server's one-row requests.
 */
export function toNetworkInput(
  pre: Preprocessor,
  x: ArrayLike<number>,
  rows: number,
  into?: Float32Array,
): Float32Array {
  const out = into ?? new Float32Array(rows * pre.scaler.mean.length);
  preprocessRows(out, x, rows, columnPlan(pre));
  return out;
}

/** Column plans by preprocessor, made once: a one-row call should not allocate them. */
const plans = new WeakMap<Preprocessor, ColumnPlan>();

function columnPlan(pre: Preprocessor): ColumnPlan {
  let plan = plans.get(pre);
  if (!plan) {
    const d = pre.scaler.mean.length;
    const marker = new Float64Array(d).fill(Number.NaN);
    const fill = new Float64Array(d);
    for (const i of pre.imputation ?? []) {
      marker[i.column] = Math.fround(i.value);
      fill[i.column] = i.fill;
    }
    plan = { transform: pre.inputTransform, marker, fill, mean: pre.scaler.mean, std: pre.scaler.std };
    plans.set(pre, plan);
  }
  return plan;
}

interface ColumnPlan {
  transform: readonly ColumnTransform[];
  /** float32 value of each column's missing marker; NaN: none (NaN equals nothing). */
  marker: Float64Array;
  fill: Float64Array;
  mean: readonly number[];
  std: readonly number[];
}

/**
 * The rows of {@link toNetworkInput}, row by row (one pass over memory). Its own function so
 * the loop of a large batch is optimised here, not in the callers (whose code, optimised mid-
 * batch, deoptimised on every later one-row call: 5 µs instead of 1 µs a row, measured).
 */
function preprocessRows(out: Float32Array, x: ArrayLike<number>, rows: number, plan: ColumnPlan): void {
  const { transform, marker, fill, mean, std } = plan;
  const d = mean.length;
  for (let r = 0, at = 0; r < rows; r++) {
    for (let j = 0; j < d; j++, at++) {
      let v = x[at]!;
      if (Math.fround(v) === marker[j]) v = fill[j]!;
      const t = transform[j]!;
      out[at] = ((t === 'none' ? v : transformValue(t, v)) - mean[j]!) / std[j]!;
    }
  }
}

/** A dataset as network input (see {@link toNetworkInput}). */
export function preprocessDataset(pre: Preprocessor, data: Dataset): Dataset {
  return { ...data, x: toNetworkInput(pre, data.x, data.rows) };
}

/** Imputation and transforms only (no scaling), for fitting the next step. */
function mapRows(
  data: Dataset,
  imputation: readonly Imputation[],
  transform: readonly ColumnTransform[],
): Float32Array {
  const d = data.features;
  const out = Float32Array.from(data.x);
  for (const { column, value, fill } of imputation)
    for (let r = 0; r < data.rows; r++) if (isMarker(out[r * d + column]!, value)) out[r * d + column] = fill;
  if (transform.length > 0)
    for (let r = 0; r < data.rows; r++)
      for (let j = 0; j < d; j++) out[r * d + j] = transformValue(transform[j]!, out[r * d + j]!);
  return out;
}
