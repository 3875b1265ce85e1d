import type { TrainingConfig } from '../training-config.js';
import type { NetworkSettings } from './fit-network.js';

/** The network and optimiser settings of a training config. */
export function networkSettings(config: TrainingConfig): NetworkSettings {
  return {
    hidden: config.model.hiddenLayers.map((l) => ({
      units: l.units,
      activation: l.activation,
      dropout: l.dropout,
    })),
    optimizer: config.training.optimizer,
    learningRate: config.training.learningRate,
    weightDecay: config.training.weightDecay,
    batchSize: config.training.batchSize,
  };
}
