import { median } from '../metrics/summary.js';
import type { Dataset } from './dataset.js';
import { checkFeatureNames } from './per-feature-setting.js';

/**
 * A column whose value `value` means "unknown", not a measurement: a feature spec fills a
 * missing field with a number (`project_size` reads a missing size as 0), and a model that
 * takes that 0 for a tiny project learns the wrong thing. The model replaces it first.
 */
export interface ImputationPlan {
  column: number;
  /** The raw value that stands for a missing one (the feature spec's `missing` fill). */
  value: number;
}

/** An imputation fitted on training rows. */
export interface Imputation extends ImputationPlan {
  /** What replaces `value`: the median of the training rows' other values of the column. */
  fill: number;
}

/**
 * Resolves `training.imputeMissing` (`{feature: value}`) against the model's feature names.
 * @throws ConfigError when it names a feature the model does not have.
 */
export function planImputation(
  setting: Readonly<Record<string, number>>,
  featureNames: readonly string[],
): ImputationPlan[] {
  checkFeatureNames('imputeMissing', setting, featureNames);
  return featureNames.flatMap((name, column) =>
    setting[name] === undefined ? [] : [{ column, value: setting[name] }],
  );
}

/**
 * Fits each planned imputation on `train` (training rows only): the fill is the median of the
 * column's values other than the missing marker (the marker itself when every value is it).
 */
export function fitImputation(train: Dataset, plan: readonly ImputationPlan[]): Imputation[] {
  return plan.map(({ column, value }) => {
    const known: number[] = [];
    for (let r = 0; r < train.rows; r++) {
      const v = train.x[r * train.features + column]!;
      if (!isMarker(v, value)) known.push(v);
    }
    return { column, value, fill: known.length > 0 ? median(known) : value };
  });
}

/** True when `v` is the missing marker `value` (compared as float32, the training data's type). */
export function isMarker(v: number, value: number): boolean {
  return Math.fround(v) === Math.fround(value);
}
