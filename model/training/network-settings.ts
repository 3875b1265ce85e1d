import type { EngineSettings } from '../engine/select-engine.js';
import type { TrainingConfig } from '../training-config.js';

/** The network and optimiser settings of a training config. */
export function networkSettings(config: TrainingConfig): EngineSettings {
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
    ...(config.training.lrSchedule === 'constant'
      ? {}
      : { plateau: config.training.lrSchedule.reduceOnPlateau }),
    ...(config.training.engine ? { engine: config.training.engine } : {}),
  };
}
