import type { Dataset } from '../../../model/training/dataset.js';
import type { TrainingConfig } from '../../../model/training-config.js';
import { Random } from '../../../pipeline/util/random.js';

/**
 * Rows whose label follows a logistic model of the features (`separation` scales the signal;
 * large means nearly separable). Feature j has mean `j` and scale `1 + j`, so scaling matters.
 */
export function syntheticDataset(rows: number, features: number, seed: number, separation = 2): Dataset {
  const random = new Random(seed);
  const x = new Float32Array(rows * features);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    let z = -1;
    for (let j = 0; j < features; j++) {
      const v = random.normal();
      x[r * features + j] = j + (1 + j) * v;
      z += (j % 2 === 0 ? 1 : -0.5) * v * separation;
    }
    y[r] = random.chance(1 / (1 + Math.exp(-z))) ? 1 : 0;
  }
  return { rows, features, x, y };
}

/** A small, fast training config for tests. */
export function smallConfig(overrides: Partial<TrainingConfig['training']> = {}): TrainingConfig {
  return {
    model: { hiddenLayers: [{ units: 16, activation: 'relu', dropout: 0.1 }] },
    training: {
      optimizer: 'adam',
      learningRate: 0.01,
      weightDecay: 1e-4,
      batchSize: 64,
      lrSchedule: 'constant',
      maxEpochs: 8,
      patience: 2,
      rebalancing: 'none',
      inputTransform: 'none',
      inputEncoding: 'none',
      inputEncodingBins: 16,
      imputeMissing: {},
      backend: 'auto',
      seed: 7,
      ...overrides,
    },
    evaluation: {
      testFraction: 0.2,
      split: 'stratified',
      timeFeature: 'timestamp_days',
      folds: 3,
      threshold: { strategy: 'max-f1' },
    },
    divisions: { minRows: 200, minPerClass: 20 },
  };
}
