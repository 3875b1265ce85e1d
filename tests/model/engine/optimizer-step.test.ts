import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FusedNetwork, OPTIMIZER_CODE } from '../../../model/engine/FusedNetwork.js';
import { fusedLayers } from '../../../model/engine/fit-network-fused.js';
import { initMlpWeights, type MlpWeights } from '../../../model/network/mlp-weights.js';
import { TfMlp } from '../../../model/network/TfMlp.js';
import { useBackend } from '../../../model/tf/backend.js';
import type { NetworkSettings } from '../../../model/training/fit-network.js';
import { Random } from '../../../pipeline/util/random.js';

/** Largest |fused − tfjs| allowed per parameter after the steps (float32 rounding of ~1e-2 steps). */
const TOLERANCE = 2e-6;
const STEPS = 3;

beforeAll(async () => {
  await useBackend('wasm');
});

/** `STEPS` optimiser steps on one batch, as fit-network.ts takes them on tfjs (dropout 0). */
function tfjsSteps(
  start: MlpWeights,
  settings: NetworkSettings,
  x: Float32Array,
  y: Float32Array,
  w: Float32Array,
) {
  const net = new TfMlp(start, [0]);
  const optimizer: tf.Optimizer =
    settings.optimizer === 'sgd'
      ? tf.train.sgd(settings.learningRate)
      : tf.train.adam(settings.learningRate, 0.9, 0.999, 1e-8);
  const rows = y.length;
  const decay = settings.weightDecay;
  for (let s = 0; s < STEPS; s++) {
    tf.tidy(() => {
      const xt = tf.tensor2d(x, [rows, x.length / rows]);
      const { grads } = tf.variableGrads(() => {
        const z = net.logits(xt);
        const perRow = tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
        return tf.mean(tf.mul(perRow, w)) as tf.Scalar;
      }, net.variables);
      if (settings.optimizer !== 'adamw')
        for (const v of net.variables) grads[v.name] = tf.add(grads[v.name]!, tf.mul(v, decay));
      optimizer.applyGradients(grads);
      if (settings.optimizer === 'adamw')
        for (const v of net.variables) v.assign(tf.mul(v, 1 - settings.learningRate * decay));
    });
  }
  const out = net.read();
  net.dispose();
  optimizer.dispose();
  return out;
}

describe('fused optimiser step', () => {
  for (const optimizer of ['adam', 'adamw', 'sgd'] as const) {
    it(`matches tfjs's ${optimizer} (weight decay as fit-network.ts applies it) over ${STEPS} steps`, () => {
      const random = new Random(5);
      const features = 6;
      const rows = 13;
      const settings: NetworkSettings = {
        hidden: [{ units: 20, activation: 'relu', dropout: 0 }],
        optimizer,
        learningRate: 0.01,
        weightDecay: 0.01,
        batchSize: rows,
      };
      const start = initMlpWeights({ inputs: features, hidden: settings.hidden }, random);
      const x = Float32Array.from({ length: rows * features }, () => random.normal());
      const y = Float32Array.from({ length: rows }, () => (random.chance(0.4) ? 1 : 0));
      const w = Float32Array.from({ length: rows }, () => random.uniform(0.5, 2));

      const net = new FusedNetwork(fusedLayers(features, settings), { capacity: rows, trainRows: rows });
      net.writeWeights(start);
      net.loadTraining({ rows, features, x, y: Uint8Array.from(y) }, w);
      net.kernel.setOptimizer(OPTIMIZER_CODE[optimizer], 0.01, 0.01, 0.9, 0.999, 1e-8);
      net.order().set(Int32Array.from({ length: rows }, (_, i) => i));
      for (let s = 0; s < STEPS; s++) net.kernel.trainBatch(net.train.order, rows, 0);
      const fused = net.readWeights();
      const expected = tfjsSteps(start, settings, x, y, w);

      let moved = 0;
      fused.layers.forEach((layer, li) => {
        const ref = expected.layers[li]!;
        const before = start.layers[li]!;
        for (const [name, a, b, s] of [
          ['weights', layer.weights, ref.weights, before.weights],
          ['bias', layer.bias, ref.bias, before.bias],
        ] as const) {
          for (let i = 0; i < a.length; i++) {
            expect(Math.abs(a[i]! - b[i]!), `layer ${li} ${name}[${i}]`).toBeLessThanOrEqual(TOLERANCE);
            if (Math.abs(a[i]! - s[i]!) > 1e-4) moved++;
          }
        }
      });
      // The steps did move the weights (a check that would pass with no update at all is no check).
      expect(moved).toBeGreaterThan(100);
    });
  }
});

describe('fused batches in row chunks', () => {
  it('take the same step as one pass over the whole batch (gradients add up across chunks)', () => {
    const random = new Random(6);
    const features = 7;
    const rows = 29;
    const settings: NetworkSettings = {
      hidden: [
        { units: 20, activation: 'tanh', dropout: 0 },
        { units: 6, activation: 'relu', dropout: 0 },
      ],
      optimizer: 'sgd',
      learningRate: 0.1,
      weightDecay: 0.001,
      batchSize: rows,
    };
    const start = initMlpWeights({ inputs: features, hidden: settings.hidden }, random);
    const data = {
      rows,
      features,
      x: Float32Array.from({ length: rows * features }, () => random.normal()),
      y: Uint8Array.from({ length: rows }, () => (random.chance(0.5) ? 1 : 0)),
    };
    const stepWith = (capacity: number) => {
      const net = new FusedNetwork(fusedLayers(features, settings), { capacity, trainRows: rows });
      net.writeWeights(start);
      net.loadTraining(data);
      // SGD: the step is proportional to the gradient, so a chunk left out would show.
      net.kernel.setOptimizer(OPTIMIZER_CODE.sgd, 0.1, 0.001, 0.9, 0.999, 1e-8);
      net.order().set(Int32Array.from({ length: rows }, (_, i) => (i * 11) % rows));
      let loss = 0;
      for (let s = 0; s < STEPS; s++) loss = net.kernel.trainBatch(net.train.order, rows, 0);
      return { weights: net.readWeights(), loss };
    };
    const whole = stepWith(rows);
    const chunked = stepWith(8); // 8 + 8 + 8 + 5 rows
    expect(chunked.loss).toBeCloseTo(whole.loss, 5);
    whole.weights.layers.forEach((layer, li) => {
      const other = chunked.weights.layers[li]!;
      for (let i = 0; i < layer.weights.length; i++)
        expect(Math.abs(layer.weights[i]! - other.weights[i]!)).toBeLessThanOrEqual(TOLERANCE);
      for (let i = 0; i < layer.bias.length; i++)
        expect(Math.abs(layer.bias[i]! - other.bias[i]!)).toBeLessThanOrEqual(TOLERANCE);
    });
  });
});
