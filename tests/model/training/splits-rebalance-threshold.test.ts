import { describe, expect, it } from 'vitest';
import { rebalance } from '../../../model/training/rebalance.js';
import {
  complement,
  stratifiedHoldout,
  stratifiedKFold,
  timeHoldout,
} from '../../../model/training/splits.js';
import { chooseThreshold } from '../../../model/training/threshold.js';
import { Random } from '../../../pipeline/util/random.js';
import { syntheticDataset } from '../helpers/synthetic.js';

const labels = Array.from({ length: 1000 }, (_, i) => (i % 10 < 2 ? 1 : 0)); // 20% positive

describe('splits', () => {
  it('holds out 20% of each class and nothing twice', () => {
    const { train, test } = stratifiedHoldout(labels, 0.2, new Random(1));
    expect(test).toHaveLength(200);
    expect(test.filter((i) => labels[i] === 1)).toHaveLength(40);
    expect(new Set([...train, ...test]).size).toBe(1000);
  });

  it('holds out the newest rows for the time split', () => {
    const time = Array.from({ length: 10 }, (_, i) => (i * 7) % 10); // a permutation of 0..9
    const { test } = timeHoldout(time, 0.3);
    expect(test.map((i) => time[i]).sort()).toEqual([7, 8, 9]);
  });

  it('deals k stratified folds that partition the rows', () => {
    const folds = stratifiedKFold(labels, 5, new Random(2));
    expect(folds.flat().sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    for (const fold of folds) {
      expect(fold).toHaveLength(200);
      expect(fold.filter((i) => labels[i] === 1)).toHaveLength(40);
    }
    expect(complement(6, [1, 4])).toEqual([0, 2, 3, 5]);
  });
});

describe('rebalance', () => {
  const data = syntheticDataset(300, 2, 3, 1);
  data.y = Uint8Array.from({ length: 300 }, (_, i) => (i < 60 ? 1 : 0));

  it('over-samples the minority class to parity', () => {
    const out = rebalance(data, 'oversample', new Random(1));
    expect(out.before).toEqual({ positives: 60, negatives: 240 });
    expect(out.after).toEqual({ positives: 240, negatives: 240 });
    expect(out.data.rows).toBe(480);
    expect(out.data.y.reduce((a, b) => a + b, 0)).toBe(240);
  });

  it('gives balanced class weights that average to 1', () => {
    const out = rebalance(data, 'class-weight', new Random(1));
    expect(out.weights![0]).toBeCloseTo(2.5, 6);
    expect(out.weights![299]).toBeCloseTo(0.625, 6);
    expect(out.after.positives).toBeCloseTo(150, 4);
    expect(out.after.negatives).toBeCloseTo(150, 4);
  });
});

describe('chooseThreshold', () => {
  const y = [0, 0, 1, 0, 1, 1];
  const p = [0.1, 0.3, 0.4, 0.5, 0.8, 0.9];

  it('picks the threshold of maximum F1', () => {
    // At 0.4: tp 3, fp 1 ⇒ F1 6/7, the best.
    expect(chooseThreshold(y, p, { strategy: 'max-f1' })).toBe(0.4);
  });

  it('picks the lowest threshold meeting a precision target', () => {
    expect(chooseThreshold(y, p, { strategy: 'precision-target', precision: 1 })).toBe(0.8);
    expect(chooseThreshold(y, p, { strategy: 'precision-target', precision: 0.75 })).toBe(0.4);
  });

  it('keeps a fixed threshold', () => {
    expect(chooseThreshold(y, p, { strategy: 'fixed', value: 0.3 })).toBe(0.3);
  });
});
