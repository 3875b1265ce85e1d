import { ConfigError } from '../../pipeline/errors/ConfigError.js';
import type { Dataset } from './dataset.js';
import { perFeature } from './per-feature-setting.js';

/**
 * Per-column transforms applied to raw feature values before standardisation. They change
 * what the network sees, never the features themselves: callers keep sending raw values.
 * - `none`: the value as it is;
 * - `log1p`: `log(1 + x)`, for non-negative heavy-tailed columns (sizes, counts); a value ≤ −1
 *   is outside its domain and refused when scoring;
 * - `signed-log1p`: `sign(x) · log(1 + |x|)`: `log1p` on values ≥ 0, mirrored below 0, so
 *   defined everywhere (what `auto` picks).
 */
export const ColumnTransforms = ['none', 'log1p', 'signed-log1p'] as const;
export type ColumnTransform = (typeof ColumnTransforms)[number];

/**
 * `training.inputTransform` in the training config: `none`, `auto` (chosen per column on the
 * training rows by {@link chooseTransforms}), or a transform per feature name (others: `none`).
 */
export type InputTransformSetting = 'none' | 'auto' | Readonly<Record<string, ColumnTransform>>;

/** A setting resolved against the feature names: `auto`, or one transform per column. */
export type InputTransformPlan = 'auto' | readonly ColumnTransform[];

/** `auto` only considers columns with more distinct values than this in the training rows (not flags, small ratings). */
export const AUTO_MIN_DISTINCT_VALUES = 10;
/** `auto` transforms a column whose sample skewness exceeds this in absolute value. */
export const AUTO_MIN_ABS_SKEWNESS = 2;

/**
 * Resolves a config setting against the model's feature names.
 * @throws ConfigError when the setting names a feature the model does not have.
 */
export function planInputTransform(
  setting: InputTransformSetting,
  featureNames: readonly string[],
): InputTransformPlan {
  if (setting === 'auto') return 'auto';
  if (setting === 'none') return featureNames.map(() => 'none');
  return perFeature('inputTransform', setting, featureNames, 'none');
}

/**
 * The `auto` rule, on training rows only: a column with more than
 * {@link AUTO_MIN_DISTINCT_VALUES} distinct values and |skewness| > {@link AUTO_MIN_ABS_SKEWNESS}
 * gets `signed-log1p`, every other column `none`. Flags and small ordinal ratings never qualify
 * (too few distinct values); a lognormal size (skewness ≈ 8 at σ = 1.1) or a count with a long
 * tail does. `signed-log1p` is `log1p` on non-negative values, and unlike `log1p` it is defined
 * for a negative value that a later row may bring though no training row had one.
 */
export function chooseTransforms(data: Dataset): ColumnTransform[] {
  const out: ColumnTransform[] = [];
  for (let j = 0; j < data.features; j++) {
    const stats = columnStats(data, j);
    const heavy =
      stats.distinct > AUTO_MIN_DISTINCT_VALUES && Math.abs(stats.skewness) > AUTO_MIN_ABS_SKEWNESS;
    out.push(heavy ? 'signed-log1p' : 'none');
  }
  return out;
}

/** The per-column transforms of a plan, deciding `auto` on `train` (training rows only). */
export function fitInputTransform(train: Dataset, plan: InputTransformPlan): ColumnTransform[] {
  if (plan === 'auto') return chooseTransforms(train);
  if (plan.length !== train.features) {
    throw new ConfigError(`input transform has ${plan.length} columns but the data has ${train.features}`);
  }
  return [...plan];
}

/** One value through one transform (NaN for `log1p` of a value ≤ −1: outside its domain). */
export function transformValue(transform: ColumnTransform, v: number): number {
  switch (transform) {
    case 'none':
      return v;
    case 'log1p':
      return v > -1 ? Math.log1p(v) : Number.NaN;
    case 'signed-log1p':
      return v < 0 ? -Math.log1p(-v) : Math.log1p(v);
  }
}

interface ColumnStats {
  /** Distinct values, counted up to {@link AUTO_MIN_DISTINCT_VALUES} + 1. */
  distinct: number;
  /** Population skewness (third standardised moment); 0 for a constant column. */
  skewness: number;
}

function columnStats(data: Dataset, j: number): ColumnStats {
  const d = data.features;
  const n = data.rows;
  const seen = new Set<number>();
  let sum = 0;
  for (let r = 0; r < n; r++) {
    const v = data.x[r * d + j]!;
    sum += v;
    if (seen.size <= AUTO_MIN_DISTINCT_VALUES) seen.add(v);
  }
  const mean = sum / Math.max(n, 1);
  let m2 = 0;
  let m3 = 0;
  for (let r = 0; r < n; r++) {
    const c = data.x[r * d + j]! - mean;
    m2 += c * c;
    m3 += c * c * c;
  }
  m2 /= Math.max(n, 1);
  m3 /= Math.max(n, 1);
  // Relative cut-off, as the scaler's: float noise in a constant column is not spread.
  const skewness = m2 > 1e-12 * Math.max(1, mean * mean) ? m3 / m2 ** 1.5 : 0;
  return { distinct: seen.size, skewness };
}
