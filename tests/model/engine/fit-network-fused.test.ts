import { beforeAll, describe, expect, it } from 'vitest';
import { fitNetworkFused } from '../../../model/engine/fit-network-fused.js';
import { logLoss } from '../../../model/metrics/probabilistic.js';
import { rocAuc } from '../../../model/metrics/ranking.js';
import { useBackend } from '../../../model/tf/backend.js';
import { takeRows } from '../../../model/training/dataset.js';
import { fitNetwork, type NetworkSettings } from '../../../model/training/fit-network.js';
import { predictProbabilities } from '../../../model/training/fit-task.js';
import { fitPreprocessor, preprocessDataset } from '../../../model/training/preprocessor.js';
import { TrainingError } from '../../../pipeline/errors/TrainingError.js';
import { sampleTable } from '../helpers/sample-table.js';
import { syntheticDataset } from '../helpers/synthetic.js';

const settings: NetworkSettings = {
  hidden: [{ units: 16, activation: 'relu', dropout: 0.1 }],
  optimizer: 'adam',
  learningRate: 0.01,
  weightDecay: 1e-4,
  batchSize: 64,
};

/** Largest |test AUC(fused) − test AUC(tfjs)| per seed, and of their means over the seeds. */
const AUC_BAND_PER_SEED = 0.02;
const AUC_BAND_MEAN = 0.01;

beforeAll(async () => {
  await useBackend('wasm');
});

function range(from: number, count: number): Int32Array {
  return Int32Array.from({ length: count }, (_, i) => from + i);
}

describe('fitNetworkFused', () => {
  it('gives bit-identical weights for the same seed and different ones for another seed', async () => {
    const data = preprocessDataset(fitPreprocessor(syntheticDataset(700, 3, 4)), syntheticDataset(700, 3, 4));
    const train = takeRows(data, range(0, 500));
    const validation = takeRows(data, range(500, 200));
    const options = {
      validation,
      weights: Float32Array.from({ length: 500 }, (_, i) => 1 + (i % 3)),
      epochs: 3,
    };
    const a = await fitNetworkFused(train, settings, { ...options, seed: 9 });
    const b = await fitNetworkFused(train, settings, { ...options, seed: 9 });
    const c = await fitNetworkFused(train, settings, { ...options, seed: 10 });
    expect(b.weights).toEqual(a.weights);
    expect(b.history).toEqual(a.history);
    expect(c.weights.layers[0]!.weights).not.toEqual(a.weights.layers[0]!.weights);
  });

  it("returns the best epoch's weights, not the last epoch's", async () => {
    // Flipped validation labels: the better the fit, the worse the validation loss.
    const data = preprocessDataset(
      fitPreprocessor(syntheticDataset(1200, 4, 2)),
      syntheticDataset(1200, 4, 2),
    );
    const train = takeRows(data, range(0, 900));
    const validation = takeRows(data, range(900, 300));
    validation.y = validation.y.map((v) => 1 - v);
    const fit = await fitNetworkFused(train, settings, { validation, epochs: 20, patience: 3, seed: 3 });
    const losses = fit.history.map((h) => h.valLoss!);
    expect(fit.history.length).toBe(fit.bestEpoch + 3);
    expect(fit.bestEpoch).toBe(losses.indexOf(Math.min(...losses)) + 1);
    const kept = logLoss(validation.y, predictProbabilities(fit.weights, validation.x, validation.rows));
    expect(kept).toBeCloseTo(losses[fit.bestEpoch - 1]!, 4);
    expect(kept).toBeLessThan(losses.at(-1)! - 1e-3);
  });

  it('runs exactly `epochs` epochs without validation and reports its throughput', async () => {
    const data = preprocessDataset(fitPreprocessor(syntheticDataset(300, 3, 1)), syntheticDataset(300, 3, 1));
    const fit = await fitNetworkFused(data, { ...settings, batchSize: 1000 }, { epochs: 4, seed: 1 });
    expect(fit.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);
    expect(fit.bestEpoch).toBe(4);
    expect(fit.history[3]!.trainLoss).toBeLessThan(fit.history[0]!.trainLoss);
    expect(fit.samplesPerSecond).toBeGreaterThan(0);
  });

  it(`reaches tfjs's test AUC on sample data within ±${AUC_BAND_PER_SEED} per seed and ±${AUC_BAND_MEAN} on average`, async () => {
    const table = sampleTable(3000, 2);
    const data = { rows: table.rows, features: table.featureNames.length, x: table.x, y: table.labels };
    const cut = Math.floor(data.rows * 0.75);
    const preprocessor = fitPreprocessor(takeRows(data, range(0, cut)));
    const train = preprocessDataset(preprocessor, takeRows(data, range(0, cut)));
    const test = preprocessDataset(preprocessor, takeRows(data, range(cut, data.rows - cut)));
    const config: NetworkSettings = {
      hidden: [{ units: 32, activation: 'relu', dropout: 0.1 }],
      optimizer: 'adam',
      learningRate: 0.003,
      weightDecay: 1e-3,
      batchSize: 64,
    };
    const fused: number[] = [];
    const tfjs: number[] = [];
    for (const seed of [1, 2, 3]) {
      const a = await fitNetworkFused(train, config, { epochs: 8, seed });
      const b = await fitNetwork(train, config, { epochs: 8, seed });
      fused.push(rocAuc(test.y, predictProbabilities(a.weights, test.x, test.rows)));
      tfjs.push(rocAuc(test.y, predictProbabilities(b.weights, test.x, test.rows)));
    }
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    for (let i = 0; i < fused.length; i++)
      expect(Math.abs(fused[i]! - tfjs[i]!), `seed ${i + 1}: ${fused[i]} vs ${tfjs[i]}`).toBeLessThanOrEqual(
        AUC_BAND_PER_SEED,
      );
    expect(Math.abs(mean(fused) - mean(tfjs))).toBeLessThanOrEqual(AUC_BAND_MEAN);
    expect(mean(fused)).toBeGreaterThan(0.6); // it learned something
  });
});

describe('fitNetworkFused on broken input', () => {
  it('stops with a TrainingError naming the epoch instead of returning a NaN model', async () => {
    const data = syntheticDataset(200, 3, 6);
    data.x[5] = Number.NaN;
    // Without validation rows nothing else would notice: the loop checks the training loss itself.
    await expect(fitNetworkFused(data, settings, { epochs: 2, seed: 1 })).rejects.toThrow(TrainingError);
    await expect(fitNetworkFused(data, settings, { epochs: 2, seed: 1 })).rejects.toThrow(
      /training loss is NaN at epoch 1/,
    );
  });
});
