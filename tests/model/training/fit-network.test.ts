import { beforeAll, describe, expect, it } from 'vitest';
import { logLoss } from '../../../model/metrics/probabilistic.js';
import { rocAuc } from '../../../model/metrics/ranking.js';
import { useBackend } from '../../../model/tf/backend.js';
import { takeRows } from '../../../model/training/dataset.js';
import { fitNetwork, type NetworkSettings } from '../../../model/training/fit-network.js';
import { predictProbabilities, runFitTask } from '../../../model/training/fit-task.js';
import { fitPreprocessor, preprocessDataset } from '../../../model/training/preprocessor.js';
import { Random } from '../../../pipeline/util/random.js';
import { syntheticDataset } from '../helpers/synthetic.js';

const settings: NetworkSettings = {
  hidden: [{ units: 16, activation: 'relu', dropout: 0.1 }],
  optimizer: 'adam',
  learningRate: 0.01,
  weightDecay: 1e-4,
  batchSize: 64,
};

beforeAll(async () => {
  await useBackend('wasm');
});

describe('fitNetwork', () => {
  it('reaches AUC > 0.99 on a nearly separable dataset', async () => {
    const data = syntheticDataset(2000, 4, 1, 20);
    const preprocessor = fitPreprocessor(
      takeRows(
        data,
        Int32Array.from({ length: 1500 }, (_, i) => i),
      ),
    );
    const train = preprocessDataset(
      preprocessor,
      takeRows(
        data,
        Int32Array.from({ length: 1500 }, (_, i) => i),
      ),
    );
    const test = preprocessDataset(
      preprocessor,
      takeRows(
        data,
        Int32Array.from({ length: 500 }, (_, i) => 1500 + i),
      ),
    );
    const fit = await fitNetwork(train, settings, { epochs: 10, seed: 1 });
    expect(rocAuc(test.y, predictProbabilities(fit.weights, test.x, test.rows))).toBeGreaterThan(0.99);
  });

  it("returns the best epoch's weights, not the last epoch's", async () => {
    // Validation labels are flipped: the better the fit to training rows, the worse the
    // validation loss, so the best epoch comes early and training runs on past it.
    const data = preprocessDataset(
      fitPreprocessor(syntheticDataset(1200, 4, 2)),
      syntheticDataset(1200, 4, 2),
    );
    const train = takeRows(
      data,
      Int32Array.from({ length: 900 }, (_, i) => i),
    );
    const validation = takeRows(
      data,
      Int32Array.from({ length: 300 }, (_, i) => 900 + i),
    );
    validation.y = validation.y.map((v) => 1 - v);
    const fit = await fitNetwork(train, settings, { validation, epochs: 20, patience: 3, seed: 3 });
    const losses = fit.history.map((h) => h.valLoss!);
    expect(fit.history.length).toBe(fit.bestEpoch + 3);
    expect(fit.bestEpoch).toBe(losses.indexOf(Math.min(...losses)) + 1);
    const kept = logLoss(validation.y, predictProbabilities(fit.weights, validation.x, validation.rows));
    expect(kept).toBeCloseTo(losses[fit.bestEpoch - 1]!, 4);
    expect(kept).toBeLessThan(losses.at(-1)! - 1e-3);
  });

  it('gives identical weights for the same seed and different ones for another seed', async () => {
    const data = preprocessDataset(fitPreprocessor(syntheticDataset(500, 3, 4)), syntheticDataset(500, 3, 4));
    const a = await fitNetwork(data, settings, { epochs: 2, seed: 9 });
    const b = await fitNetwork(data, settings, { epochs: 2, seed: 9 });
    const c = await fitNetwork(data, settings, { epochs: 2, seed: 10 });
    expect(b.weights).toEqual(a.weights);
    expect(c.weights.layers[0]!.weights).not.toEqual(a.weights.layers[0]!.weights);
  });
});

describe('runFitTask', () => {
  it('fits the scaler on the training rows only', async () => {
    const data = syntheticDataset(600, 3, 5);
    // Validation rows shifted far away: a scaler that saw them would have a very different mean.
    for (let i = 400 * 3; i < data.x.length; i++) data.x[i]! += 1000;
    const train = Int32Array.from({ length: 400 }, (_, i) => i);
    const validation = Int32Array.from({ length: 200 }, (_, i) => 400 + i);
    const result = await runFitTask({
      label: 't',
      data,
      train,
      validation,
      rebalance: 'none',
      settings,
      epochs: 1,
      patience: 1,
      seed: 1,
    });
    expect(result.preprocessor).toEqual(fitPreprocessor(takeRows(data, train)));
    expect(Math.max(...result.preprocessor.scaler.mean)).toBeLessThan(10);
    expect(result.validationProbabilities).toHaveLength(200);
  });

  it('chooses the auto input transform on the training rows only', async () => {
    const data = syntheticDataset(600, 3, 5);
    // Column 0 of the training rows is lognormal (heavy-tailed); column 1 is heavy-tailed only
    // in the validation rows, which the rule must not see.
    const random = new Random(9);
    for (let r = 0; r < 600; r++) {
      if (r < 400) data.x[r * 3] = Math.exp(9 + 1.1 * random.normal());
      else data.x[r * 3 + 1] = Math.exp(12 + 2 * random.normal());
    }
    const train = Int32Array.from({ length: 400 }, (_, i) => i);
    const result = await runFitTask({
      label: 't',
      data,
      train,
      validation: Int32Array.from({ length: 200 }, (_, i) => 400 + i),
      rebalance: 'none',
      preprocess: { inputTransform: 'auto' },
      settings,
      epochs: 1,
      patience: 1,
      seed: 1,
    });
    expect(result.preprocessor.inputTransform).toEqual(['signed-log1p', 'none', 'none']);
    expect(result.preprocessor).toEqual(fitPreprocessor(takeRows(data, train), { inputTransform: 'auto' }));
    // The scaler standardises the transformed column: its mean is near 9, not near e^9.
    expect(result.preprocessor.scaler.mean[0]).toBeCloseTo(9, 0);
  });
});

describe('fitNetwork on broken input', () => {
  it('stops with a TrainingError instead of returning a NaN model', async () => {
    const data = syntheticDataset(200, 3, 6);
    data.x[5] = Number.NaN;
    await expect(fitNetwork(data, settings, { epochs: 1, seed: 1 })).rejects.toThrow(
      /training loss is NaN at epoch 1/,
    );
  });
});
