import { validateConfig } from '../../pipeline/config/load-config.js';
import { type TrainingConfig, TrainingConfigSchema } from '../training-config.js';
import type { Params } from './distributions.js';

/** Most hidden layers the seed search space (`configs/search-space.json`) describes. */
export const MAX_SEARCHED_LAYERS = 3;

/**
 * A training config with a trial's parameters from the seed search space applied: the network
 * (`hiddenLayers` layers: `hiddenUnits`, then `layer2Units`, `layer3Units`, each with
 * `dropout`) and the training settings (`learningRate`, `batchSize`, `optimizer`,
 * `weightDecay`, `rebalancing`). Parameters a trial lacks keep `base`'s values; the layers'
 * activation comes from `base`'s first layer. `base` is not changed.
 *
 * @param base - the config to start from (e.g. `configs/production.json`).
 * @param params - a trial's parameters.
 * @returns the config, checked against the training-config schema: what `opp hpo` proposes
 * as the new `configs/production.json` for the best trial.
 * @throws ConfigError when the result does not match the schema (e.g. a parameter of the wrong type).
 */
export function applyTrainingParams(base: TrainingConfig, params: Params): TrainingConfig {
  const first = base.model.hiddenLayers[0]!;
  const layerCount =
    typeof params.hiddenLayers === 'number' ? params.hiddenLayers : base.model.hiddenLayers.length;
  const unitsOf = (i: number): unknown => {
    const key = i === 0 ? 'hiddenUnits' : `layer${i + 1}Units`;
    return params[key] ?? base.model.hiddenLayers[i]?.units ?? first.units;
  };
  const hiddenLayers = Array.from({ length: Math.min(layerCount, MAX_SEARCHED_LAYERS) }, (_, i) => ({
    units: unitsOf(i),
    activation: base.model.hiddenLayers[i]?.activation ?? first.activation,
    dropout: params.dropout ?? base.model.hiddenLayers[i]?.dropout ?? first.dropout,
  }));
  const training = { ...base.training };
  const set = (key: keyof TrainingConfig['training'], name: string) => {
    if (params[name] !== undefined) (training as Record<string, unknown>)[key] = params[name];
  };
  set('learningRate', 'learningRate');
  set('batchSize', 'batchSize');
  set('optimizer', 'optimizer');
  set('weightDecay', 'weightDecay');
  set('rebalancing', 'rebalancing');
  return validateConfig(
    { ...base, model: { ...base.model, hiddenLayers }, training },
    TrainingConfigSchema,
    'trial parameters',
  );
}
