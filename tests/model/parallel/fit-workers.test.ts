import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelReport } from '../../../model/metrics-report.js';
import type { FitRunner } from '../../../model/parallel/fit-runner.js';
import { createSerialRunner } from '../../../model/parallel/fit-runner.js';
import { startFitWorkers } from '../../../model/parallel/fit-workers.js';
import { useBackend } from '../../../model/tf/backend.js';
import { trainModel } from '../../../model/training/train-model.js';
import { smallConfig, syntheticDataset } from '../helpers/synthetic.js';

// Workers run the compiled build/ (npm test builds first; see FIT_WORKER_SCRIPT).
beforeAll(async () => {
  await useBackend('wasm');
});

async function reportWith(runner: FitRunner): Promise<Omit<ModelReport, 'samplesPerSecond'>> {
  try {
    const model = await trainModel(
      { division: 2, name: 'd2', data: syntheticDataset(900, 4, 21, 1.5) },
      { config: smallConfig({ rebalancing: 'auto', maxEpochs: 4 }), runner, bootstrapResamples: 50 },
    );
    const { samplesPerSecond: _, ...rest } = model.report;
    return rest;
  } finally {
    await runner.close();
  }
}

describe('startFitWorkers', () => {
  it('gives the same report as a serial run for the same seed', async () => {
    const serial = await reportWith(createSerialRunner());
    const parallel = await reportWith(startFitWorkers(2, 'wasm'));
    expect(parallel).toEqual(serial);
  });

  it('passes a failing task error back with the task label', async () => {
    const pool = startFitWorkers(1, 'wasm');
    try {
      const data = syntheticDataset(10, 2, 1);
      await expect(
        pool.run({
          label: 'broken task',
          data,
          train: Int32Array.from([0, 1, 2]),
          rebalance: 'none',
          // An unknown activation makes the worker throw.
          settings: {
            hidden: [{ units: 2, activation: 'nope' as 'relu', dropout: 0 }],
            optimizer: 'adam',
            learningRate: 0.1,
            weightDecay: 0,
            batchSize: 2,
          },
          epochs: 1,
          patience: 1,
          seed: 1,
        }),
      ).rejects.toThrow(/broken task/);
    } finally {
      await pool.close();
    }
  });
});
