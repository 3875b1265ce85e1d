import { TrainingError } from '../../pipeline/errors/TrainingError.js';
import { cloneMlpWeights, type MlpWeights } from '../network/mlp-weights.js';
import type { EpochLog, FitOptions, FitResult, NetworkSettings } from './fit-network.js';
import { LearningRates } from './lr-schedule.js';

const DEFAULT_PATIENCE = 5;

/** What an engine (tfjs, fused WebAssembly) does for {@link runEpochs}: the per-engine part of a fit. */
export interface EpochEngine {
  /** Trains one epoch over every training row in a freshly shuffled order; returns the summed (row-weighted) loss. */
  trainEpoch(): number | Promise<number>;
  /** Sets the learning rate of the next updates, keeping the optimiser's moments. */
  setLearningRate(lr: number): void;
  /** Mean loss on the validation rows, with their logits when asked. */
  validate(withLogits: boolean): Promise<{ loss: number; logits?: Float32Array }>;
  /** A copy of the current weights. */
  readWeights(): MlpWeights;
}

/**
 * The epoch loop both engines share: the learning-rate schedule, loss checks, keeping the best
 * epoch's weights, early stopping on the validation loss and the callbacks of {@link FitOptions}.
 * @throws TrainingError when a training or validation loss is not finite (e.g. extreme inputs).
 */
export async function runEpochs(
  engine: EpochEngine,
  trainRows: number,
  settings: NetworkSettings,
  options: FitOptions,
): Promise<FitResult> {
  const rates = new LearningRates(settings.learningRate, settings.plateau, options.learningRates);
  let lr = settings.learningRate;
  const validating = options.validation !== undefined && options.validation.rows > 0;
  const patience = options.patience ?? DEFAULT_PATIENCE;
  const history: EpochLog[] = [];
  let best: { loss: number; epoch: number; weights: MlpWeights } | undefined;
  let seconds = 0;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    if (rates.at(epoch) !== lr) {
      lr = rates.at(epoch);
      engine.setLearningRate(lr);
    }
    const began = performance.now();
    const lossSum = await engine.trainEpoch();
    seconds += (performance.now() - began) / 1000;
    const log: EpochLog = { epoch, trainLoss: lossSum / Math.max(trainRows, 1), learningRate: lr };
    if (!Number.isFinite(log.trainLoss))
      throw new TrainingError(
        `training loss is ${log.trainLoss} at epoch ${epoch}: check the input for extreme values`,
      );
    let logits: Float32Array | undefined;
    if (validating) {
      const scored = await engine.validate(options.onValidationLogits !== undefined);
      log.valLoss = scored.loss;
      logits = scored.logits;
      if (!Number.isFinite(log.valLoss))
        throw new TrainingError(`validation loss is ${log.valLoss} at epoch ${epoch}`);
      if (!best || log.valLoss < best.loss)
        best = { loss: log.valLoss, epoch, weights: engine.readWeights() };
      rates.observe(log.valLoss);
    }
    history.push(log);
    options.onEpoch?.(log);
    if (logits) await options.onValidationLogits?.(epoch, logits);
    if (best && epoch - best.epoch >= patience) break;
  }
  return {
    weights: best ? cloneMlpWeights(best.weights) : engine.readWeights(),
    bestEpoch: best ? best.epoch : history.length,
    history,
    samplesPerSecond: (trainRows * history.length) / Math.max(seconds, 1e-9),
  };
}
