import { join } from 'node:path';
import { compileFeatureSpec } from '../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../pipeline/features/feature-spec.js';
import { PACKAGE_ROOT } from '../../pipeline/util/package-root.js';
import { Random } from '../../pipeline/util/random.js';
import { loadTrainingData } from '../data/load-training-data.js';
import { fitWithEngine } from '../engine/select-engine.js';
import { rocAuc } from '../metrics/ranking.js';
import { type BackendName, useBackend } from '../tf/backend.js';
import type { FitResult } from '../training/fit-network.js';
import { networkSettings } from '../training/network-settings.js';
import { rebalance } from '../training/rebalance.js';
import type { TrainingConfig } from '../training-config.js';
import type { Params } from './distributions.js';
import type { ObjectiveFunction, ObjectiveModule, TrialReporter } from './objective.js';
import { applyTrainingParams } from './training-params.js';
import { type HpoSplit, hpoSplit } from './training-split.js';

/** The compiled objective module that worker threads import (`npm run build`). */
export const TRAINING_OBJECTIVE_PATH = join(PACKAGE_ROOT, 'build', 'model', 'hpo', 'training-objective.js');

/**
 * What each worker needs to set up the training objective: plain data, sent once per worker
 * thread as {@link ObjectiveModule.context}.
 */
export interface TrainingObjectiveContext {
  /** Features CSV (from `opp features`) or records file, as `opp train --data` reads it. */
  readonly data: string;
  /** Feature spec file (records are run through it; a features CSV must match it). */
  readonly spec: string;
  /** The config trial parameters are applied to (already validated). */
  readonly config: TrainingConfig;
  /** Seed of the split and of every trial's fit. */
  readonly seed: number;
  /** tfjs backend each worker uses. */
  readonly backend: BackendName;
}

/** The {@link ObjectiveModule} that runs {@link trainingObjective} in worker threads. */
export function trainingObjectiveModule(context: TrainingObjectiveContext): ObjectiveModule {
  return { module: TRAINING_OBJECTIVE_PATH, exportName: 'trainingObjective', context };
}

/**
 * The factory worker threads call once (see {@link ObjectiveModule.context}): selects the
 * backend, loads and splits the data, and returns the per-trial objective.
 */
export async function trainingObjective(context: unknown): Promise<ObjectiveFunction> {
  const ctx = context as TrainingObjectiveContext;
  await useBackend(ctx.backend);
  const table = await loadTrainingData(ctx.data, compileFeatureSpec(loadFeatureSpec(ctx.spec)));
  const split = hpoSplit(table, ctx.config, ctx.seed);
  return (params, reporter) => evaluateTrainingParams(split, ctx.config, params, reporter);
}

/**
 * One trial of the training objective (direction `maximize`): the general model with the
 * trial's parameters applied to `base` (`applyTrainingParams`), trained on `split`'s training
 * rows with early stopping on validation loss (`base`'s `maxEpochs` and `patience`), as one
 * fold of `opp train` trains. After every epoch the validation AUC is reported, so a pruner can
 * stop the trial ({@link TrialReporter.prune} throws out of the fit). Rebalancing `auto` (when
 * the search space leaves it out) is evaluated as `none`: choosing it takes the full CV.
 *
 * Every trial uses the same split and fit seed, so the value is a deterministic function of
 * the parameters on a given backend.
 *
 * @returns the best validation AUC over the epochs run.
 * @throws ConfigError for parameters the config schema refuses; TrainingError when training diverges.
 */
export async function evaluateTrainingParams(
  split: HpoSplit,
  base: TrainingConfig,
  params: Params,
  reporter: TrialReporter,
): Promise<number> {
  let best = Number.NEGATIVE_INFINITY;
  await fitTrainingParams(split, base, params, split.fitSeed, async (epoch, auc) => {
    if (auc > best) best = auc;
    if (await reporter.report(epoch, auc)) reporter.prune();
  });
  return best;
}

/**
 * The fit of one trial: `params` applied to `base`, rebalancing drawn, then the network seed,
 * both from `Random(fitSeed)` (a trial's is `split.fitSeed`; another gives a fresh fit of the
 * same configuration). `onValidationAuc` gets each epoch's validation AUC and is awaited.
 */
export async function fitTrainingParams(
  split: HpoSplit,
  base: TrainingConfig,
  params: Params,
  fitSeed: number,
  onValidationAuc: (epoch: number, auc: number) => void | Promise<void>,
): Promise<FitResult> {
  const config = applyTrainingParams(base, params);
  const method = config.training.rebalancing === 'auto' ? 'none' : config.training.rebalancing;
  const random = new Random(fitSeed);
  const balanced = rebalance(split.train, method, random);
  return fitWithEngine(balanced.data, networkSettings(config), {
    validation: split.validation,
    ...(balanced.weights ? { weights: balanced.weights } : {}),
    epochs: config.training.maxEpochs,
    patience: config.training.patience,
    seed: random.uint32(),
    // AUC is rank-based: logits rank rows as the probabilities do.
    onValidationLogits: (epoch, logits) => onValidationAuc(epoch, rocAuc(split.validation.y, logits)),
  });
}
