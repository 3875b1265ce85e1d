import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TpeSampler } from '../../../model/hpo/sampler.js';
import { loadSearchSpace } from '../../../model/hpo/search-space.js';
import { Study } from '../../../model/hpo/study.js';
import { applyTrainingParams } from '../../../model/hpo/training-params.js';
import { loadTrainingConfig } from '../../../model/training-config.js';
import { PACKAGE_ROOT } from '../../../pipeline/util/package-root.js';

const base = loadTrainingConfig(join(PACKAGE_ROOT, 'configs', 'production.json'));
const space = loadSearchSpace(join(PACKAGE_ROOT, 'configs', 'search-space.json'));

describe('applyTrainingParams', () => {
  it('builds the layers and training settings of a trial, keeping the rest of the base config', () => {
    const config = applyTrainingParams(base, {
      hiddenLayers: 2,
      hiddenUnits: 256,
      layer2Units: 64,
      dropout: 0.2,
      learningRate: 0.001,
      batchSize: 128,
      optimizer: 'adamw',
      weightDecay: 1e-5,
      rebalancing: 'class-weight',
    });
    expect(config.model.hiddenLayers).toEqual([
      { units: 256, activation: 'relu', dropout: 0.2 },
      { units: 64, activation: 'relu', dropout: 0.2 },
    ]);
    expect(config.training).toMatchObject({
      learningRate: 0.001,
      batchSize: 128,
      optimizer: 'adamw',
      weightDecay: 1e-5,
      rebalancing: 'class-weight',
      maxEpochs: base.training.maxEpochs,
    });
    expect(config.evaluation).toEqual(base.evaluation);
    expect(base.model.hiddenLayers).toHaveLength(1);
  });

  it('turns every suggestion from the seed search space into a valid training config', async () => {
    const study = await Study.open({ name: 'map', space, sampler: new TpeSampler({ seed: 3 }) });
    for (let i = 0; i < 30; i++) {
      const trial = await study.ask();
      const config = applyTrainingParams(base, trial.params);
      expect(config.model.hiddenLayers).toHaveLength(trial.params.hiddenLayers as number);
      await study.tell(trial.number, { state: 'complete', value: i % 7 });
    }
  });
});
