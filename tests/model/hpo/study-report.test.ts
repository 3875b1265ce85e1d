import { describe, expect, it } from 'vitest';
import type { SearchSpace } from '../../../model/hpo/distributions.js';
import { RandomSampler } from '../../../model/hpo/random-sampler.js';
import { Study } from '../../../model/hpo/study.js';
import { formatStudyReport, ranks, summarizeStudy } from '../../../model/hpo/study-report.js';

const space: SearchSpace = {
  params: [
    { name: 'lr', distribution: { type: 'float', low: 1e-4, high: 1, log: true } },
    { name: 'noise', distribution: { type: 'float', low: 0, high: 1, log: false } },
    { name: 'opt', distribution: { type: 'categorical', choices: ['adam', 'sgd', 'rmsprop'] } },
    { name: 'unused', distribution: { type: 'categorical', choices: ['a', 'b'] } },
  ],
};

describe('study report', () => {
  it('ranks ties by their mean rank', () => {
    expect(ranks([3, 1, 3, 2])).toEqual([3.5, 1, 3.5, 2]);
  });

  it('lists counts and best trials, and finds the parameters that drive the objective', async () => {
    const study = await Study.open({
      name: 'r',
      space,
      direction: 'maximize',
      sampler: new RandomSampler({ seed: 9 }),
    });
    for (let i = 0; i < 120; i++) {
      const t = await study.ask();
      const value =
        -Math.abs(Math.log10(t.params.lr as number) + 2) +
        (t.params.opt === 'sgd' ? -1.5 : 0) +
        0.05 * (t.params.noise as number);
      if (i % 20 === 19) await study.tell(t.number, { state: 'failed', error: 'x' });
      else await study.tell(t.number, { state: 'complete', value });
    }
    const report = summarizeStudy(study.trials, space, 'maximize', { top: 3 });
    expect(report).toMatchObject({ trials: 120, complete: 114, failed: 6, pruned: 0 });
    expect(report.best).toHaveLength(3);
    expect(report.best[0]!.value).toBe(study.bestTrial!.value);
    expect(report.best[0]!.value!).toBeGreaterThanOrEqual(report.best[1]!.value!);
    expect(
      report.importance
        .slice(0, 2)
        .map((p) => p.param)
        .sort(),
    ).toEqual(['lr', 'opt']);
    expect(report.importance.find((p) => p.param === 'unused')!.importance).toBeLessThan(0.1);
    expect(formatStudyReport(report)).toMatch(/120 trials: 114 complete, 0 pruned, 6 failed/);
  });
});
