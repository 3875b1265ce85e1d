import { describe, expect, it } from 'vitest';
import { FusedNetwork } from '../../../model/engine/FusedNetwork.js';
import { fusedLayers } from '../../../model/engine/fit-network-fused.js';
import { initMlpWeights } from '../../../model/network/mlp-weights.js';
import type { NetworkSettings } from '../../../model/training/fit-network.js';
import { Random } from '../../../pipeline/util/random.js';

const RATE = 0.3;
const ROWS = 64;
const UNITS = 384;

function masksFor(seed: number): Float32Array[] {
  const settings: NetworkSettings = {
    hidden: [
      { units: UNITS, activation: 'relu', dropout: RATE },
      { units: 8, activation: 'tanh', dropout: RATE },
    ],
    optimizer: 'adam',
    learningRate: 0.01,
    weightDecay: 0,
    batchSize: ROWS,
  };
  const net = new FusedNetwork(fusedLayers(4, settings), { capacity: ROWS, trainRows: ROWS });
  net.writeWeights(initMlpWeights({ inputs: 4, hidden: settings.hidden }, new Random(1)));
  const random = new Random(2);
  const x = Float32Array.from({ length: ROWS * 4 }, () => random.normal());
  net.loadTraining({ rows: ROWS, features: 4, x, y: new Uint8Array(ROWS) });
  net.order().set(Int32Array.from({ length: ROWS }, (_, i) => i));
  net.kernel.phase(0, net.train.order, ROWS, seed); // gather
  net.kernel.phase(1, net.train.order, ROWS, seed); // forward with dropout
  return [net.readMask(0, ROWS)!, net.readMask(1, ROWS)!];
}

describe('fused dropout', () => {
  it(`keeps each unit with probability 1 − rate and scales kept ones by 1/(1 − rate)`, () => {
    const [mask] = masksFor(123);
    const kept = mask!.filter((v) => v !== 0);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / (1 - RATE))]));
    // 24,576 Bernoulli draws: the kept share is within 4 standard deviations (±0.012) of 0.7.
    expect(Math.abs(kept.length / mask!.length - (1 - RATE))).toBeLessThan(0.012);
    // Rows differ from one another (the lanes and rows are not one repeated pattern).
    const rows = new Set(
      Array.from({ length: ROWS }, (_, r) => mask!.subarray(r * UNITS, (r + 1) * UNITS).join()),
    );
    expect(rows.size).toBe(ROWS);
  });

  it('draws the same masks for the same seed, different ones per seed and per layer', () => {
    const [a0, a1] = masksFor(7);
    const [b0] = masksFor(7);
    const [c0] = masksFor(8);
    expect(b0).toEqual(a0);
    expect(c0).not.toEqual(a0);
    expect(a1!.subarray(0, 8).join()).not.toBe(a0!.subarray(0, 8).join());
  });
});
