import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ENGINE_ENV,
  fitWithEngine,
  parseEngineName,
  requestedEngine,
  resolveEngine,
} from '../../../model/engine/select-engine.js';
import { useBackend } from '../../../model/tf/backend.js';
import type { NetworkSettings } from '../../../model/training/fit-network.js';
import { fitPreprocessor, preprocessDataset } from '../../../model/training/preprocessor.js';
import { TrainingConfigSchema } from '../../../model/training-config.js';
import { isConfigError } from '../../../pipeline/errors/ConfigError.js';
import { syntheticDataset } from '../helpers/synthetic.js';

const settings: NetworkSettings = {
  hidden: [{ units: 8, activation: 'relu', dropout: 0.1 }],
  optimizer: 'adam',
  learningRate: 0.01,
  weightDecay: 1e-4,
  batchSize: 32,
};

beforeAll(async () => {
  await useBackend('wasm');
});

afterEach(() => {
  delete process.env[ENGINE_ENV];
});

describe('engine selection', () => {
  it('takes $OPP_ENGINE, then the config, then auto', () => {
    expect(requestedEngine()).toBe('auto');
    expect(requestedEngine('tfjs')).toBe('tfjs');
    process.env[ENGINE_ENV] = 'Fused';
    expect(requestedEngine('tfjs')).toBe('fused');
    expect(() => parseEngineName('gpu')).toThrow(/unknown engine "gpu"/);
  });

  it('accepts training.engine in the config and leaves it absent by default (auto)', () => {
    const base = { model: { hiddenLayers: [{ units: 4 }] }, evaluation: {} };
    const training = { learningRate: 0.01, batchSize: 8, maxEpochs: 1, patience: 1 };
    expect(TrainingConfigSchema.parse({ ...base, training }).training.engine).toBeUndefined();
    expect(
      TrainingConfigSchema.parse({ ...base, training: { ...training, engine: 'fused' } }).training.engine,
    ).toBe('fused');
    expect(() => TrainingConfigSchema.parse({ ...base, training: { ...training, engine: 'gpu' } })).toThrow();
  });

  it('resolves auto to fused for supported networks and to tfjs otherwise; fused refuses what it cannot run', () => {
    expect(resolveEngine('auto', 15, settings)).toBe('fused');
    expect(resolveEngine('tfjs', 15, settings)).toBe('tfjs');
    const huge = {
      ...settings,
      hidden: [{ units: 65_536, activation: 'relu' as const, dropout: 0.5 }],
      batchSize: 65_536,
    };
    expect(resolveEngine('auto', 15, huge)).toBe('tfjs');
    let error: unknown;
    try {
      resolveEngine('fused', 15, huge);
    } catch (e) {
      error = e;
    }
    expect(isConfigError(error)).toBe(true);
    const deep = { ...settings, hidden: Array.from({ length: 17 }, () => settings.hidden[0]!) };
    expect(resolveEngine('auto', 15, deep)).toBe('tfjs');
  });

  it('trains on the chosen engine: fused and tfjs both return plain weights of the same shape', async () => {
    const data = preprocessDataset(fitPreprocessor(syntheticDataset(300, 3, 1)), syntheticDataset(300, 3, 1));
    const fused = await fitWithEngine(data, { ...settings, engine: 'fused' }, { epochs: 2, seed: 4 });
    const again = await fitWithEngine(data, settings, { epochs: 2, seed: 4 }); // auto → fused
    const tfjs = await fitWithEngine(data, { ...settings, engine: 'tfjs' }, { epochs: 2, seed: 4 });
    expect(again.weights).toEqual(fused.weights);
    expect(tfjs.weights.layers.map((l) => [l.inputs, l.units])).toEqual(
      fused.weights.layers.map((l) => [l.inputs, l.units]),
    );
    expect(tfjs.weights).not.toEqual(fused.weights);
  });
});
