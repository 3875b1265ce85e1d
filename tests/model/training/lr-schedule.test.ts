import { beforeAll, describe, expect, it } from 'vitest';
import { fitNetworkFused } from '../../../model/engine/fit-network-fused.js';
import { useBackend } from '../../../model/tf/backend.js';
import { takeRows } from '../../../model/training/dataset.js';
import { fitNetwork, type NetworkSettings } from '../../../model/training/fit-network.js';
import { LearningRates, replayedRates } from '../../../model/training/lr-schedule.js';
import { fitPreprocessor, preprocessDataset } from '../../../model/training/preprocessor.js';
import { TrainingConfigSchema } from '../../../model/training-config.js';
import { validateConfig } from '../../../pipeline/config/load-config.js';
import { smallConfig, syntheticDataset } from '../helpers/synthetic.js';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('LearningRates', () => {
  it('cuts by the factor once more than `patience` epochs have not improved the loss by a relative 1e-4', () => {
    const rates = new LearningRates(0.01, { factor: 0.5, patience: 1 });
    const seen: number[] = [];
    // better, better, same, (1e-5 better: not enough), better, worse, worse, worse
    for (const [epoch, loss] of [1, 0.9, 0.9, 0.89999, 0.5, 0.6, 0.7, 0.8].entries()) {
      seen.push(rates.at(epoch + 1));
      rates.observe(loss);
    }
    seen.push(rates.at(9));
    expect(seen).toEqual([0.01, 0.01, 0.01, 0.01, 0.005, 0.005, 0.005, 0.0025, 0.0025]);
  });

  it('stays constant without a plateau setting, and follows given rates over any plateau', () => {
    const constant = new LearningRates(0.01);
    for (const loss of [1, 2, 3, 4]) constant.observe(loss);
    expect(constant.at(5)).toBe(0.01);
    const given = new LearningRates(0.01, { factor: 0.1, patience: 0 }, [0.01, 0.003, 0.001]);
    given.observe(5);
    given.observe(6);
    expect([1, 2, 3, 4, 10].map((e) => given.at(e))).toEqual([0.01, 0.003, 0.001, 0.001, 0.001]);
  });

  it('replays the median rate of the folds per epoch for the final fit, a stopped fold keeping its last', () => {
    const fold = (...rates: number[]) => rates.map((learningRate) => ({ learningRate }));
    const folds = [fold(1, 1, 0.3), fold(1, 0.3, 0.3, 0.09), fold(1, 1, 1, 1, 0.3)];
    expect(replayedRates(folds, 5, 1)).toEqual([1, 1, 0.3, 0.3, 0.3]);
    expect(replayedRates([fold(1, 0.5), fold(1, 1)], 2, 1)).toEqual([1, 0.75]);
  });
});

describe.each([
  ['fused', fitNetworkFused],
  ['tfjs', fitNetwork],
] as const)('a plateau schedule on the %s engine', (_, fitOn) => {
  const settings: NetworkSettings = {
    hidden: [{ units: 16, activation: 'relu', dropout: 0 }],
    optimizer: 'adam',
    learningRate: 0.02,
    weightDecay: 0,
    batchSize: 64,
    plateau: { factor: 0.5, patience: 0 },
  };
  const data = preprocessDataset(fitPreprocessor(syntheticDataset(900, 4, 6)), syntheticDataset(900, 4, 6));
  const train = takeRows(
    data,
    Int32Array.from({ length: 600 }, (_, i) => i),
  );
  const validation = takeRows(
    data,
    Int32Array.from({ length: 300 }, (_, i) => 600 + i),
  );
  // Flipped validation labels: every epoch of learning makes the validation loss worse.
  validation.y = validation.y.map((v) => 1 - v);

  it('halves the rate after each epoch that did not improve, and records it per epoch', async () => {
    const result = await fitOn(train, settings, { validation, epochs: 6, patience: 10, seed: 2 });
    const rates = result.history.map((h) => h.learningRate);
    const losses = result.history.map((h) => h.valLoss!);
    const expected = new LearningRates(0.02, settings.plateau);
    expect(rates).toEqual(
      losses.map((loss, e) => {
        const rate = expected.at(e + 1);
        expected.observe(loss);
        return rate;
      }),
    );
    expect(rates.at(-1)).toBeLessThan(0.02);
  });

  it('trains differently with the schedule than without it, and replays given rates without validation', async () => {
    const { plateau: _, ...constant } = settings;
    const scheduled = await fitOn(train, settings, { validation, epochs: 4, patience: 10, seed: 2 });
    const plain = await fitOn(train, constant, { validation, epochs: 4, patience: 10, seed: 2 });
    expect(scheduled.history.at(-1)!.valLoss).not.toBe(plain.history.at(-1)!.valLoss);
    const replay = await fitOn(train, constant, { epochs: 3, seed: 2, learningRates: [0.02, 0.01, 0.005] });
    expect(replay.history.map((h) => h.learningRate)).toEqual([0.02, 0.01, 0.005]);
  });
});

describe('training.lrSchedule in the config', () => {
  const raw = (lrSchedule: unknown) => {
    const config = smallConfig() as unknown as { training: Record<string, unknown> };
    return { ...config, training: { ...config.training, lrSchedule } as Record<string, unknown> };
  };

  it('defaults to constant and accepts a plateau setting', () => {
    const { lrSchedule: _, ...training } = raw('constant').training;
    expect(
      validateConfig({ ...raw('constant'), training }, TrainingConfigSchema, 'c.json').training.lrSchedule,
    ).toBe('constant');
    const plateau = { reduceOnPlateau: { factor: 0.3, patience: 2 } };
    expect(validateConfig(raw(plateau), TrainingConfigSchema, 'c.json').training.lrSchedule).toEqual(plateau);
  });

  it('refuses a factor outside (0, 1) and an unknown schedule, naming the JSON path', () => {
    expect(() =>
      validateConfig(raw({ reduceOnPlateau: { factor: 1.5, patience: 2 } }), TrainingConfigSchema, 'c.json'),
    ).toThrow(/\$\.training\.lrSchedule/);
    expect(() => validateConfig(raw('cosine'), TrainingConfigSchema, 'c.json')).toThrow(
      /\$\.training\.lrSchedule/,
    );
  });
});
