import { z } from 'zod';
import { loadConfig } from '../pipeline/config/load-config.js';
import { ColumnTransforms } from './training/input-transform.js';
import { ColumnEncodings, DEFAULT_ENCODING_BINS } from './training/piecewise-linear.js';

const HiddenLayer = z.strictObject({
  units: z.number().int().min(1).max(65_536),
  activation: z.enum(['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'linear']).default('relu'),
  dropout: z.number().min(0).lt(1).default(0),
});

/** `configs/production.json`: the network, how it is trained, and how it is evaluated. */
export const TrainingConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  model: z.strictObject({
    /** Hidden layers in order; the output is one logit. */
    hiddenLayers: z.array(HiddenLayer).min(1).max(16),
  }),
  training: z.strictObject({
    optimizer: z.enum(['adam', 'adamw', 'sgd']).default('adam'),
    learningRate: z.number().positive().max(1),
    /** L2 penalty added to the gradient (PyTorch's `weight_decay`); decoupled for `adamw`. */
    weightDecay: z.number().min(0).default(0),
    batchSize: z.number().int().min(1).max(65_536),
    /**
     * `constant` (the default), or `{"reduceOnPlateau": {"factor": 0.3, "patience": 2}}`: the rate
     * is multiplied by `factor` after more than `patience` epochs without a lower validation loss
     * (model/training/lr-schedule.ts); the final fit replays the median rate of its CV folds.
     */
    lrSchedule: z
      .union([
        z.literal('constant'),
        z.strictObject({
          reduceOnPlateau: z.strictObject({
            factor: z.number().gt(0).lt(1),
            patience: z.number().int().min(0),
          }),
        }),
      ])
      .default('constant'),
    maxEpochs: z.number().int().min(1).max(10_000),
    /** Epochs without improvement of validation loss before training stops. */
    patience: z.number().int().min(1),
    /** How to handle class imbalance; `auto` picks by cross-validation score. */
    rebalancing: z.enum(['none', 'class-weight', 'oversample', 'auto']).default('auto'),
    /**
     * Transform of raw feature values before standardisation (the features sent to the model
     * stay raw): `none`; `auto` (the default): signed log1p of each heavy-tailed column, chosen
     * on the training rows (model/training/input-transform.ts); or a transform per feature name.
     */
    inputTransform: z
      .union([z.enum(['none', 'auto']), z.record(z.string(), z.enum(ColumnTransforms))], {
        error: `expected "none", "auto" or {"<feature>": ${ColumnTransforms.map((t) => `"${t}"`).join(' | ')}}`,
      })
      .default('auto'),
    /**
     * Piecewise-linear encoding of numeric columns into quantile bins of the training rows
     * (model/training/piecewise-linear.ts), after the input transform: `none` (the default);
     * `numeric`, every column with more than 10 distinct values; `auto`, `none` or `numeric`,
     * whichever cross-validates better (one more candidate in `opp train`'s CV); or an encoding
     * per feature name. Lets the network draw steps (thresholds in a column) as trees do.
     */
    inputEncoding: z
      .union([z.enum(['none', 'numeric', 'auto']), z.record(z.string(), z.enum(ColumnEncodings))], {
        error: `expected "none", "numeric", "auto" or {"<feature>": ${ColumnEncodings.map((t) => `"${t}"`).join(' | ')}}`,
      })
      .default('none'),
    /** Quantile bins per encoded column (fewer where values tie). */
    inputEncodingBins: z.number().int().min(2).max(256).default(DEFAULT_ENCODING_BINS),
    /**
     * Features whose spec fills a missing field with a number that is not a measurement, with
     * that number (`{"project_size": 0}`): the model replaces it by the median of the training
     * rows' other values before the input transform. The features sent to the model stay raw.
     */
    imputeMissing: z.record(z.string(), z.number()).default({}),
    /** tfjs backend when neither `--backend` nor `$OPP_BACKEND` names one; `auto`: node-gpu, node, wasm. */
    backend: z.enum(['auto', 'wasm', 'cpu', 'node', 'node-gpu']).default('auto'),
    /** Training engine: `fused` (WebAssembly SIMD), `tfjs`, or `auto` (absent = auto: fused where supported). */
    engine: z.enum(['auto', 'fused', 'tfjs']).optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(42),
    /**
     * Seed of the fits alone (CV folds, weight init, shuffling, dropout); absent: `seed`. The
     * hold-out split always follows `seed`, so two fit seeds give two fits on the same test rows.
     */
    fitSeed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional(),
  }),
  evaluation: z.strictObject({
    /** Share of rows held out as the test set. */
    testFraction: z.number().gt(0).lt(1).default(0.2),
    /** `stratified`: random, keeping the class balance; `time`: the newest rows. */
    split: z.enum(['stratified', 'time']).default('stratified'),
    /** The feature whose value orders rows in time (for `split: time`). */
    timeFeature: z.string().min(1).default('timestamp_days'),
    folds: z.number().int().min(2).max(20).default(5),
    threshold: z
      .discriminatedUnion('strategy', [
        z.strictObject({ strategy: z.literal('max-f1') }),
        z.strictObject({ strategy: z.literal('fixed'), value: z.number().gt(0).lt(1) }),
        /** The lowest threshold whose out-of-fold precision meets the target. */
        z.strictObject({ strategy: z.literal('precision-target'), precision: z.number().gt(0).max(1) }),
      ])
      .default({ strategy: 'max-f1' }),
  }),
  divisions: z
    .strictObject({
      /** A division with fewer labelled rows uses the general model. */
      minRows: z.number().int().min(1).default(500),
      /** ... or with fewer rows of either class. */
      minPerClass: z.number().int().min(1).default(25),
    })
    .default({ minRows: 500, minPerClass: 25 }),
});

export type TrainingConfig = z.output<typeof TrainingConfigSchema>;

export function loadTrainingConfig(file: string): TrainingConfig {
  return loadConfig(file, TrainingConfigSchema);
}
