import { describe, expect, it } from 'vitest';
import { createFusedScorer, createLogits, SCORER_CHUNK_ROWS } from '../../../model/engine/fused-scorer.js';
import { type Activation, initMlpWeights, mlpLogits, sigmoid } from '../../../model/network/mlp-weights.js';
import { Random } from '../../../pipeline/util/random.js';

/** Largest |fused logit − mlpLogits logit| allowed. */
const TOLERANCE = 1e-5;

describe('createFusedScorer', () => {
  const cases: { name: string; hidden: { units: number; activation: Activation }[] }[] = [
    { name: 'the production shape (15 → 384 relu → 1)', hidden: [{ units: 384, activation: 'relu' }] },
    {
      name: 'a deep mixed network',
      hidden: [
        { units: 37, activation: 'tanh' },
        { units: 12, activation: 'elu' },
        { units: 9, activation: 'selu' },
        { units: 5, activation: 'sigmoid' },
        { units: 3, activation: 'linear' },
      ],
    },
  ];
  for (const { name, hidden } of cases) {
    it(`agrees with mlpLogits to ${TOLERANCE} for single rows and chunked batches on ${name}`, () => {
      const random = new Random(hidden.length);
      const features = 15;
      const weights = initMlpWeights({ inputs: features, hidden }, random);
      const rows = 3 * SCORER_CHUNK_ROWS + 37;
      const x = Float32Array.from({ length: rows * features }, () => random.normal() * 2);
      const expected = mlpLogits(weights, x, rows);
      const scorer = createFusedScorer(weights);
      const batch = scorer.logits(x, rows);
      let worst = 0;
      for (let r = 0; r < rows; r++) worst = Math.max(worst, Math.abs(batch[r]! - expected[r]!));
      expect(worst).toBeLessThanOrEqual(TOLERANCE);
      for (const r of [0, 1, rows - 1])
        expect(
          Math.abs(scorer.logit(x.subarray(r * features, (r + 1) * features)) - expected[r]!),
        ).toBeLessThanOrEqual(TOLERANCE);
      const p = scorer.probabilities(x, 3);
      for (let r = 0; r < 3; r++) expect(p[r]).toBeCloseTo(sigmoid(expected[r]!), 6);
      expect(new Set(batch.subarray(0, 50)).size).toBeGreaterThan(40); // distinct outputs, not a constant
      expect(createLogits(weights)(x, rows)).toEqual(batch);
    });
  }
});
