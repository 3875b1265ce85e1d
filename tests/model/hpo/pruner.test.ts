import { describe, expect, it } from 'vitest';
import { MedianPruner, SuccessiveHalvingPruner } from '../../../model/hpo/pruner.js';
import type { IntermediateValue, ObservedTrial } from '../../../model/hpo/trial.js';

const curve = (values: number[]): IntermediateValue[] => values.map((value, step) => ({ step, value }));
const complete = (number: number, values: number[]): ObservedTrial => ({
  number,
  state: 'complete',
  params: {},
  loss: values.at(-1)!,
  intermediate: curve(values),
});

// Five finished trials whose losses at step 1 are 1..5: median 3.
const history = [1, 2, 3, 4, 5].map((v, i) => complete(i, [v + 1, v, v]));

describe('MedianPruner', () => {
  it('prunes a trial whose best loss so far is worse than the median at this step, and keeps one better', () => {
    const pruner = new MedianPruner();
    expect(pruner.shouldPrune(curve([9, 3.5]), history)).toBe(true);
    expect(pruner.shouldPrune(curve([9, 2.5]), history)).toBe(false);
    // Its best so far counts, not its latest value.
    expect(pruner.shouldPrune(curve([2, 3.5]), history)).toBe(false);
  });

  it('never prunes during start-up trials or warm-up steps, or off the interval', () => {
    expect(new MedianPruner({ startupTrials: 6 }).shouldPrune(curve([9, 9]), history)).toBe(false);
    expect(new MedianPruner({ warmupSteps: 2 }).shouldPrune(curve([9, 9]), history)).toBe(false);
    expect(new MedianPruner({ warmupSteps: 2 }).shouldPrune(curve([9, 9, 9]), history)).toBe(true);
    expect(new MedianPruner({ intervalSteps: 2 }).shouldPrune(curve([9, 9]), history)).toBe(false);
  });

  it('ignores pruned trials and steps no completed trial reached', () => {
    const pruned: ObservedTrial = {
      number: 9,
      state: 'pruned',
      params: {},
      intermediate: curve([0, 0, 0, 0]),
    };
    expect(new MedianPruner({ startupTrials: 6 }).shouldPrune(curve([9, 9]), [...history, pruned])).toBe(
      false,
    );
    expect(new MedianPruner().shouldPrune(curve([9, 9, 9, 9]), history)).toBe(false);
  });
});

describe('SuccessiveHalvingPruner', () => {
  it('at a rung keeps only the best 1/η of the losses reported there', () => {
    const pruner = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 });
    // Rung at step 1: other losses 1..5; with ours, 6 values, the best 3 continue.
    expect(pruner.shouldPrune(curve([0, 2.5]), history)).toBe(false);
    expect(pruner.shouldPrune(curve([0, 3.5]), history)).toBe(true);
    // Step 3 is not a rung (1, 2, 4, …).
    expect(pruner.shouldPrune(curve([0, 0, 0, 9]), history)).toBe(false);
  });
});
