import { ConfigError } from '../../pipeline/errors/ConfigError.js';
import { quantileSorted } from '../metrics/summary.js';
import type { Dataset } from './dataset.js';
import { AUTO_MIN_DISTINCT_VALUES } from './input-transform.js';
import { perFeature } from './per-feature-setting.js';

/**
 * Piecewise-linear encoding (Gorishniy et al., "On Embeddings for Numerical Features in Tabular
 * Deep Learning", 2022): a numeric column becomes one input per quantile bin of the training
 * rows, `clamp((x − lo) / (hi − lo), 0, 1)` for the bin [lo, hi]: 1 for bins below x, 0 above,
 * the fraction inside x's own bin. A plain MLP draws smooth functions of a standardised column;
 * given the bins it can also draw a step (a deadline, an age band), which is where gradient-
 * boosted trees beat it on tabular data. Values beyond the training range encode as its ends.
 */
export const ColumnEncodings = ['none', 'piecewise-linear'] as const;
export type ColumnEncoding = (typeof ColumnEncodings)[number];

/**
 * `training.inputEncoding` in the training config: `none`; `numeric`, every column with more
 * than {@link AUTO_MIN_DISTINCT_VALUES} distinct training values (not flags or small ratings);
 * `auto`, `none` or `numeric` by cross-validation (`trainModel`; elsewhere it means `none`); or
 * an encoding per feature name (others: `none`).
 */
export type InputEncodingSetting = 'none' | 'numeric' | 'auto' | Readonly<Record<string, ColumnEncoding>>;

/** A setting resolved against the feature names: `numeric` (decided on the training rows), or one encoding per column. */
export type InputEncodingPlan = 'numeric' | readonly ColumnEncoding[];

/** Bins per encoded column when the config does not say. */
export const DEFAULT_ENCODING_BINS = 16;

/** A column's fitted bins: `edges` ascending and distinct, `edges.length − 1` inputs. */
export interface BinEncoding {
  column: number;
  edges: number[];
}

/**
 * Resolves a config setting against the model's feature names.
 * @throws ConfigError when the setting names a feature the model does not have.
 */
export function planInputEncoding(
  setting: InputEncodingSetting,
  featureNames: readonly string[],
): InputEncodingPlan {
  if (setting === 'numeric') return 'numeric';
  // `auto` starts from no bins: only trainModel's cross-validation tries them.
  if (setting === 'none' || setting === 'auto') return featureNames.map(() => 'none');
  return perFeature('inputEncoding', setting, featureNames, 'none');
}

/**
 * Fits the bins of each planned column on `train` (training rows, already imputed and
 * transformed): edges at the `bins` quantiles, ties merged, so a column with a heavy value (a
 * default, a marker) gets fewer bins. A column left with fewer than 2 bins is not encoded.
 */
export function fitBinEncoding(train: Dataset, plan: InputEncodingPlan, bins: number): BinEncoding[] {
  if (plan !== 'numeric' && plan.length !== train.features) {
    throw new ConfigError(`input encoding has ${plan.length} columns but the data has ${train.features}`);
  }
  const out: BinEncoding[] = [];
  for (let j = 0; j < train.features; j++) {
    if (plan !== 'numeric' && plan[j] === 'none') continue;
    const values = columnValues(train, j);
    if (plan === 'numeric' && !distinctMoreThan(values, AUTO_MIN_DISTINCT_VALUES)) continue;
    const edges = quantileEdges(values, bins);
    if (edges.length >= 3) out.push({ column: j, edges });
  }
  return out;
}

/** The number of network inputs of `features` raw columns with `encodings`. */
export function encodedWidth(features: number, encodings: readonly BinEncoding[]): number {
  return encodings.reduce((width, { edges }) => width + edges.length - 2, features);
}

/**
 * The input of the bin [lo, hi] for value `v`: 0 below, 1 above, linear inside. NaN stays NaN
 * (a value outside a transform's domain is reported, not hidden).
 */
export function binInput(lo: number, hi: number, v: number): number {
  return Math.min(1, Math.max(0, (v - lo) / (hi - lo)));
}

function columnValues(data: Dataset, j: number): Float64Array {
  const values = new Float64Array(data.rows);
  for (let r = 0; r < data.rows; r++) values[r] = data.x[r * data.features + j]!;
  return values.sort();
}

function distinctMoreThan(sorted: Float64Array, limit: number): boolean {
  let distinct = sorted.length > 0 ? 1 : 0;
  for (let i = 1; i < sorted.length && distinct <= limit; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  return distinct > limit;
}

/** Distinct values at the quantiles 0, 1/bins, …, 1 of sorted values (linear interpolation). */
function quantileEdges(sorted: Float64Array, bins: number): number[] {
  const edges: number[] = [];
  if (sorted.length === 0) return edges;
  for (let q = 0; q <= bins; q++) {
    const edge = quantileSorted(sorted, q / bins);
    if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
  }
  return edges;
}
