import { Random } from '../../pipeline/util/random.js';
import { createLogits } from '../engine/fused-scorer.js';
import { fitWithEngine } from '../engine/select-engine.js';
import { type MlpWeights, sigmoid } from '../network/mlp-weights.js';
import { type Dataset, takeRows } from './dataset.js';
import type { EpochLog, NetworkSettings } from './fit-network.js';
import {
  fitPreprocessor,
  type Preprocessor,
  type PreprocessorPlan,
  preprocessDataset,
  toNetworkInput,
} from './preprocessor.js';
import { type ClassCounts, type RebalanceMethod, rebalance } from './rebalance.js';

/**
 * One self-contained fit: everything a worker thread needs, as structured-clonable data.
 * The preprocessor (input transform and scaler) is fitted on `train` rows only; rebalancing
 * touches `train` rows only.
 */
export interface FitTask {
  /** Names the task in progress reports (e.g. `division 3 · oversample · fold 2`). */
  label: string;
  data: Dataset;
  train: Int32Array;
  /** Validation rows: early stopping and out-of-fold predictions. */
  validation?: Int32Array;
  rebalance: RebalanceMethod;
  /** The preprocessing to fit on the `train` rows (`auto` parts decided there). @default plain standardisation */
  preprocess?: PreprocessorPlan;
  settings: NetworkSettings;
  /** Maximum epochs with validation, exact epochs without. */
  epochs: number;
  /** The learning rate of each epoch (a final fit replaying its CV's schedule). */
  learningRates?: number[];
  patience: number;
  seed: number;
}

export interface FitTaskResult {
  label: string;
  bestEpoch: number;
  history: EpochLog[];
  samplesPerSecond: number;
  classesBefore: ClassCounts;
  classesAfter: ClassCounts;
  weights: MlpWeights;
  preprocessor: Preprocessor;
  /** Probabilities of the validation rows, in their order. */
  validationProbabilities?: Float64Array;
}

/** Runs one fit task in this thread (what the workers run too). */
export async function runFitTask(task: FitTask, onEpoch?: (log: EpochLog) => void): Promise<FitTaskResult> {
  const random = new Random(task.seed);
  const trainRows = takeRows(task.data, task.train);
  const preprocessor = fitPreprocessor(trainRows, task.preprocess);
  const balanced = rebalance(trainRows, task.rebalance, random);
  const validation = task.validation
    ? preprocessDataset(preprocessor, takeRows(task.data, task.validation))
    : undefined;
  const fit = await fitWithEngine(preprocessDataset(preprocessor, balanced.data), task.settings, {
    ...(validation ? { validation } : {}),
    ...(balanced.weights ? { weights: balanced.weights } : {}),
    epochs: task.epochs,
    ...(task.learningRates ? { learningRates: task.learningRates } : {}),
    patience: task.patience,
    seed: random.uint32(),
    ...(onEpoch ? { onEpoch } : {}),
  });
  return {
    label: task.label,
    bestEpoch: fit.bestEpoch,
    history: fit.history,
    samplesPerSecond: fit.samplesPerSecond,
    classesBefore: balanced.before,
    classesAfter: balanced.after,
    weights: fit.weights,
    preprocessor,
    ...(validation
      ? { validationProbabilities: predictProbabilities(fit.weights, validation.x, validation.rows) }
      : {}),
  };
}

/** Probabilities of network-input rows (already preprocessed), scored as the Predictor scores. */
export function predictProbabilities(weights: MlpWeights, x: ArrayLike<number>, rows: number): Float64Array {
  const logits = createLogits(weights)(x, rows);
  for (let i = 0; i < rows; i++) logits[i] = sigmoid(logits[i]!);
  return logits;
}

/** Probabilities of raw feature rows through `preprocessor` and the network. */
export function predictRaw(
  weights: MlpWeights,
  preprocessor: Preprocessor,
  x: ArrayLike<number>,
  rows: number,
): Float64Array {
  return predictProbabilities(weights, toNetworkInput(preprocessor, x, rows), rows);
}
