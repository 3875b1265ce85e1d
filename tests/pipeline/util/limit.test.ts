import { describe, expect, it } from 'vitest';
import { createLimit } from '../../../pipeline/util/limit.js';

describe('createLimit', () => {
  it('never runs more than the limit at once and runs every task', async () => {
    const limit = createLimit(3);
    let active = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limit(async () => {
          active += 1;
          peak = Math.max(peak, active);
          await new Promise((resolve) => setTimeout(resolve, 1));
          active -= 1;
          return i;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('refuses a limit below 1', () => {
    expect(() => createLimit(0)).toThrow(RangeError);
  });
});
