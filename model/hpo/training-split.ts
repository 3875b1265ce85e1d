import { GENERAL_DIVISION } from '../../pipeline/config/divisions-config.js';
import { ConfigError } from '../../pipeline/errors/ConfigError.js';
import { TrainingError } from '../../pipeline/errors/TrainingError.js';
import { Random } from '../../pipeline/util/random.js';
import type { TrainingTable } from '../data/load-training-data.js';
import { type Dataset, positivesOf, takeRows } from '../training/dataset.js';
import { fitPreprocessor, planPreprocessor, preprocessDataset } from '../training/preprocessor.js';
import { deriveSeed } from '../training/seeds.js';
import { complement, stratifiedHoldout, stratifiedKFold, timeHoldout } from '../training/splits.js';
import type { TrainingConfig } from '../training-config.js';

/** The rows an HPO trial trains and is scored on, as network input (preprocessor fitted on the training rows). */
export interface HpoSplit {
  train: Dataset;
  validation: Dataset;
  /**
   * The rows `opp train` holds out as its test set, preprocessed like the others: never seen by
   * a study (the objective does not read them); for scoring a study's best configuration.
   */
  test: Dataset;
  /** Seed of each trial's fit (rebalancing draws, initial weights, batch order). */
  fitSeed: number;
}

/**
 * Splits the general model's rows (all rows) the way `opp train` does for a given seed, so that
 * a study never sees the test set the gate judges by: the test set is held out exactly as
 * `trainModel` holds it out (same seed path, fraction and split kind); the validation rows are
 * `trainModel`'s first cross-validation fold, the training rows the other folds. The
 * preprocessor (imputation, input transform, scaler) is fitted on the training rows once, so
 * trials share it.
 *
 * @throws ConfigError for a time split without the time feature; TrainingError when a part
 * lacks a class.
 */
export function hpoSplit(table: TrainingTable, config: TrainingConfig, seed: number): HpoSplit {
  const division = GENERAL_DIVISION;
  const { folds, testFraction, split: kind, timeFeature } = config.evaluation;
  const data: Dataset = {
    rows: table.rows,
    features: table.featureNames.length,
    x: table.x,
    y: table.labels,
  };
  let holdout: { train: number[]; test: number[] };
  if (kind === 'time') {
    const column = table.featureNames.indexOf(timeFeature);
    if (column < 0) {
      throw new ConfigError(
        `evaluation.split is "time" but the time feature "${timeFeature}" is not among the features`,
      );
    }
    const time = Float64Array.from({ length: table.rows }, (_, r) => table.x[r * data.features + column]!);
    holdout = timeHoldout(time, testFraction);
  } else holdout = stratifiedHoldout(table.labels, testFraction, new Random(deriveSeed(seed, division, 1)));
  const dev = takeRows(data, holdout.train);
  const foldRows = stratifiedKFold(dev.y, folds, new Random(deriveSeed(seed, division, 2)));
  const validationRows = foldRows[0]!;
  const train = takeRows(dev, complement(dev.rows, validationRows));
  const validation = takeRows(dev, validationRows);
  for (const [name, part] of [
    ['training', train],
    ['validation', validation],
  ] as const) {
    const positives = positivesOf(part.y);
    if (positives === 0 || positives === part.rows) {
      throw new TrainingError(
        `the HPO ${name} rows (${part.rows} of ${table.rows}) hold a single class: more data is needed`,
        division,
      );
    }
  }
  const preprocessor = fitPreprocessor(train, planPreprocessor(config.training, table.featureNames));
  return {
    train: preprocessDataset(preprocessor, train),
    validation: preprocessDataset(preprocessor, validation),
    test: preprocessDataset(preprocessor, takeRows(data, holdout.test)),
    fitSeed: deriveSeed(seed, division, 3, 0),
  };
}
