import { describe, expect, it } from 'vitest';
import { fallbackReason } from '../../../model/training/train-divisions.js';
import { smallConfig } from '../helpers/synthetic.js';

describe('fallbackReason', () => {
  const config = smallConfig(); // divisions: minRows 200, minPerClass 20

  it('sends a division with a single class to the general model', () => {
    expect(fallbackReason(800, 0, config)).toBe('all 800 rows are negative: a single class');
    expect(fallbackReason(800, 800, config)).toBe('all 800 rows are positive: a single class');
  });

  it('sends a division below the configured minimums to the general model', () => {
    expect(fallbackReason(150, 50, config)).toMatch(/150 rows, fewer than divisions.minRows = 200/);
    expect(fallbackReason(500, 10, config)).toMatch(
      /10 positive rows, fewer than divisions.minPerClass = 20/,
    );
    expect(fallbackReason(500, 490, config)).toMatch(/10 negative rows/);
  });

  it('lets a division with enough rows of each class train its own model', () => {
    expect(fallbackReason(500, 100, config)).toBeUndefined();
  });
});
