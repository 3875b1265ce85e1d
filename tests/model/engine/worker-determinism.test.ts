import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { fitNetworkFused } from '../../../model/engine/fit-network-fused.js';
import type { MlpWeights } from '../../../model/network/mlp-weights.js';
import { takeRows } from '../../../model/training/dataset.js';
import type { FitResult, NetworkSettings } from '../../../model/training/fit-network.js';
import { fitPreprocessor, preprocessDataset } from '../../../model/training/preprocessor.js';
import { PACKAGE_ROOT } from '../../../pipeline/util/package-root.js';
import { syntheticDataset } from '../helpers/synthetic.js';

/** The compiled engine (workers run build/, which `npm test` builds first, as WorkerPool's do). */
const COMPILED = join(PACKAGE_ROOT, 'build', 'model', 'engine', 'fit-network-fused.js');

const settings: NetworkSettings = {
  hidden: [
    { units: 24, activation: 'relu', dropout: 0.2 },
    { units: 8, activation: 'tanh', dropout: 0.1 },
  ],
  optimizer: 'adamw',
  learningRate: 0.01,
  weightDecay: 1e-3,
  batchSize: 32,
};

/** Runs fitNetworkFused in a worker thread on the compiled build. */
function fitInWorker(workerData: unknown): Promise<FitResult> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(${JSON.stringify(pathToFileURL(COMPILED).href)}).then(async ({ fitNetworkFused }) => {
      const { train, validation, settings } = workerData;
      parentPort.postMessage(await fitNetworkFused(train, settings, { validation, epochs: 4, seed: 21 }));
    });`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData });
    worker.once('message', (result: FitResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

describe('fused engine in worker threads', () => {
  it('gives the same weights and losses in two concurrent workers as in this thread', async () => {
    expect(existsSync(COMPILED), `${COMPILED} missing: run npm run build`).toBe(true);
    const data = preprocessDataset(fitPreprocessor(syntheticDataset(900, 5, 8)), syntheticDataset(900, 5, 8));
    const train = takeRows(
      data,
      Int32Array.from({ length: 700 }, (_, i) => i),
    );
    const validation = takeRows(
      data,
      Int32Array.from({ length: 200 }, (_, i) => 700 + i),
    );
    const here = await fitNetworkFused(train, settings, { validation, epochs: 4, seed: 21 });
    const [a, b] = await Promise.all([
      fitInWorker({ train, validation, settings }),
      fitInWorker({ train, validation, settings }),
    ]);
    const plain = (w: MlpWeights) => w.layers.map((l) => [Array.from(l.weights), Array.from(l.bias)]);
    expect(plain(a!.weights)).toEqual(plain(here.weights));
    expect(plain(b!.weights)).toEqual(plain(here.weights));
    expect(a!.history).toEqual(here.history);
  });
});
