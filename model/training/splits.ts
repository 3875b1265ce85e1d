import type { Random } from '../../pipeline/util/random.js';

/** Row indices of a train/test split. */
export interface Split {
  train: number[];
  test: number[];
}

/**
 * Holds out `fraction` of each class at random (stratified), so train and test have the
 * same class balance. Indices within each part are ascending.
 */
export function stratifiedHoldout(labels: ArrayLike<number>, fraction: number, random: Random): Split {
  const test: number[] = [];
  const train: number[] = [];
  for (const members of byClass(labels)) {
    random.shuffle(members);
    const held = Math.round(members.length * fraction);
    test.push(...members.slice(0, held));
    train.push(...members.slice(held));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/**
 * Holds out the newest `fraction` of rows by `time` (ties broken by row order): the test set
 * is what a model trained on the past would meet next.
 */
export function timeHoldout(time: ArrayLike<number>, fraction: number): Split {
  const order = Array.from({ length: time.length }, (_, i) => i).sort((a, b) => time[a]! - time[b]! || a - b);
  const cut = time.length - Math.round(time.length * fraction);
  return {
    train: order.slice(0, cut).sort((a, b) => a - b),
    test: order.slice(cut).sort((a, b) => a - b),
  };
}

/**
 * Stratified k-fold: each class is shuffled and dealt round-robin into `k` folds, so every
 * fold has (within one row) the same class balance. Returns the validation indices of each fold
 * (positions into `labels`), ascending.
 */
export function stratifiedKFold(labels: ArrayLike<number>, k: number, random: Random): number[][] {
  const folds: number[][] = Array.from({ length: k }, () => []);
  let next = 0;
  for (const members of byClass(labels)) {
    random.shuffle(members);
    // Continue dealing where the previous class stopped, so fold sizes differ by at most one.
    for (const row of members) folds[next++ % k]!.push(row);
  }
  return folds.map((fold) => fold.sort((a, b) => a - b));
}

/** The complement of `fold` in 0..n-1, ascending. */
export function complement(n: number, fold: readonly number[]): number[] {
  const inFold = new Uint8Array(n);
  for (const i of fold) inFold[i] = 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (!inFold[i]) out.push(i);
  return out;
}

function byClass(labels: ArrayLike<number>): number[][] {
  const negatives: number[] = [];
  const positives: number[] = [];
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? positives : negatives).push(i);
  return [negatives, positives];
}
