import { describe, expect, it } from 'vitest';
import { FusedNetwork } from '../../../model/engine/FusedNetwork.js';
import { fusedLayers } from '../../../model/engine/fit-network-fused.js';
import { type Activation, initMlpWeights } from '../../../model/network/mlp-weights.js';
import type { NetworkSettings } from '../../../model/training/fit-network.js';
import { Random } from '../../../pipeline/util/random.js';
import { referenceLoss, toFloat64 } from './reference-mlp.js';

/** Central differences step (float64 reference) and the tolerance: |analytic − numeric| ≤ ABS + REL·|numeric|. */
const STEP = 1e-4;
const ABS_TOLERANCE = 2e-5;
const REL_TOLERANCE = 1e-3;

const ACTIVATIONS: Activation[] = ['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'linear'];

/**
 * Two hidden layers, so the gradient flows through a hidden→hidden product; 30 units pad to
 * 32 (12-wide and 4-wide column blocks), 7 to 8; 9 rows exercise the 4-row blocks and the tail.
 */
function settingsFor(activation: Activation): NetworkSettings {
  return {
    hidden: [
      { units: 30, activation, dropout: 0 },
      { units: 7, activation, dropout: 0 },
    ],
    optimizer: 'adam',
    learningRate: 0.01,
    weightDecay: 0,
    batchSize: 9,
  };
}

describe('fused kernel gradients', () => {
  for (const activation of ACTIVATIONS) {
    it(`match central finite differences for ${activation} layers`, () => {
      const random = new Random(ACTIVATIONS.indexOf(activation) + 11);
      const features = 5;
      const rows = 9;
      const settings = settingsFor(activation);
      const weights = initMlpWeights({ inputs: features, hidden: settings.hidden }, random);
      // Larger weights than the init so saturating activations are not all near-linear.
      for (const l of weights.layers) for (let i = 0; i < l.weights.length; i++) l.weights[i]! *= 2;
      const x = Float32Array.from({ length: rows * features }, () => random.normal());
      const y = Float32Array.from({ length: rows }, () => (random.chance(0.5) ? 1 : 0));
      const rowWeights = Float32Array.from({ length: rows }, () => random.uniform(0.5, 2));

      const net = new FusedNetwork(fusedLayers(features, settings), { capacity: rows });
      net.writeWeights(weights);
      net.writeRows(net.batch.x, x, rows, features);
      net.f32(net.batch.y, rows).set(y);
      net.f32(net.batch.w, rows).set(rowWeights);
      const lossSum = net.kernel.gradientsOfBatch(rows);
      const analytic = net.readGradients();

      const params = toFloat64(weights);
      expect(lossSum / rows).toBeCloseTo(referenceLoss(weights, params, x, y, rowWeights, rows), 5);
      let checked = 0;
      params.forEach((p, li) => {
        const grad = [...analytic.layers[li]!.weights, ...analytic.layers[li]!.bias];
        for (let k = 0; k < p.length; k++) {
          const keep = p[k]!;
          p[k] = keep + STEP;
          const up = referenceLoss(weights, params, x, y, rowWeights, rows);
          p[k] = keep - STEP;
          const down = referenceLoss(weights, params, x, y, rowWeights, rows);
          p[k] = keep;
          const numeric = (up - down) / (2 * STEP);
          expect(Math.abs(grad[k]! - numeric), `layer ${li} parameter ${k}`).toBeLessThanOrEqual(
            ABS_TOLERANCE + REL_TOLERANCE * Math.abs(numeric),
          );
          checked++;
        }
      });
      expect(checked).toBe(5 * 30 + 30 + 30 * 7 + 7 + 7 + 1);
    });
  }
});
