import { bench, describe } from 'vitest';
import { bootstrapAucDifference } from '../../model/metrics/bootstrap.js';
import { Random } from '../../pipeline/util/random.js';

/**
 * Cost of the paired bootstrap of the AUC difference on hold-out sets of realistic size
 * (the seed's 20% test split of ~200k rows is ~40k rows).
 * Run: npm run bench:bootstrap
 */
function data(n: number) {
  const random = new Random(1);
  const labels = Float64Array.from({ length: n }, () => (random.chance(0.13) ? 1 : 0));
  const a = Float64Array.from(labels, (y) => y + random.normal());
  const b = Float64Array.from(labels, (y) => 0.9 * y + random.normal());
  return { labels, a, b };
}

describe('paired bootstrap, 1000 resamples', () => {
  for (const n of [4000, 40_000]) {
    const { labels, a, b } = data(n);
    bench(
      `${n} rows`,
      () => {
        bootstrapAucDifference(labels, a, b, { resamples: 1000 });
      },
      { iterations: 2, warmupIterations: 0 },
    );
  }
});
