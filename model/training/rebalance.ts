import type { Random } from '../../pipeline/util/random.js';
import { type Dataset, positivesOf, takeRows } from './dataset.js';

/** A concrete rebalancing method (`auto` resolves to one of these by CV score). */
export type RebalanceMethod = 'none' | 'class-weight' | 'oversample';
export const RebalanceMethods: readonly RebalanceMethod[] = ['none', 'class-weight', 'oversample'];

/** Training rows after rebalancing, with per-row loss weights when the method uses them. */
export interface Rebalanced {
  data: Dataset;
  /** Loss weight per row (class-weight only); they average to 1. */
  weights?: Float32Array;
  before: ClassCounts;
  /** Counts after rebalancing; weights count as rows. */
  after: ClassCounts;
}

export interface ClassCounts {
  positives: number;
  negatives: number;
}

/**
 * Rebalances training rows (never validation or test rows):
 * - `class-weight`: each class gets total weight n/2 (scikit-learn's "balanced");
 * - `oversample`: minority rows drawn at random with replacement until both classes have as
 *   many rows, appended in random order.
 */
export function rebalance(data: Dataset, method: RebalanceMethod, random: Random): Rebalanced {
  const positives = positivesOf(data.y);
  const negatives = data.rows - positives;
  const before = { positives, negatives };
  if (method === 'none' || positives === 0 || negatives === 0) return { data, before, after: before };
  if (method === 'class-weight') {
    const wPos = data.rows / (2 * positives);
    const wNeg = data.rows / (2 * negatives);
    const weights = new Float32Array(data.rows);
    for (let i = 0; i < data.rows; i++) weights[i] = data.y[i] === 1 ? wPos : wNeg;
    return { data, weights, before, after: { positives: positives * wPos, negatives: negatives * wNeg } };
  }
  const minority = positives < negatives ? 1 : 0;
  const pool: number[] = [];
  for (let i = 0; i < data.rows; i++) if (data.y[i] === minority) pool.push(i);
  const extra = Math.abs(negatives - positives);
  const indices = Array.from({ length: data.rows }, (_, i) => i);
  for (let k = 0; k < extra; k++) indices.push(random.pick(pool));
  const balanced = Math.max(positives, negatives);
  return { data: takeRows(data, indices), before, after: { positives: balanced, negatives: balanced } };
}
