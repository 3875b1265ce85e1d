import { TrainingError } from '../../pipeline/errors/TrainingError.js';
import { Random } from '../../pipeline/util/random.js';
import { percentileMapping } from '../bundle/percentiles.js';
import { bootstrapAuc } from '../metrics/bootstrap.js';
import { computeCurves, computeMetricSet, type MetricSetValues } from '../metrics/metric-set.js';
import { meanStd } from '../metrics/summary.js';
import { type MetricName, MetricNames, type ModelReport } from '../metrics-report.js';
import type { MlpWeights } from '../network/mlp-weights.js';
import type { FitRunner } from '../parallel/fit-runner.js';
import type { TrainingConfig } from '../training-config.js';
import { type Dataset, positivesOf, takeRows } from './dataset.js';
import type { EpochLog } from './fit-network.js';
import { type FitTask, type FitTaskResult, predictRaw } from './fit-task.js';
import { replayedRates } from './lr-schedule.js';
import { networkSettings } from './network-settings.js';
import type { ColumnEncoding } from './piecewise-linear.js';
import { type Preprocessor, type PreprocessorPlan, planPreprocessor } from './preprocessor.js';
import { type RebalanceMethod, RebalanceMethods } from './rebalance.js';
import { deriveSeed } from './seeds.js';
import { complement, stratifiedHoldout, stratifiedKFold, timeHoldout } from './splits.js';
import { chooseThreshold } from './threshold.js';

/** The rows of one model (general or one division). */
export interface ModelData {
  division: number;
  name: string;
  data: Dataset;
  /** Feature names, in column order: `training.inputTransform` given per feature names them. @default `feature_1` … */
  featureNames?: readonly string[];
  /** Row times (e.g. days since 2020), required by the `time` split. */
  time?: Float64Array;
  /** The test rows, pinned by the caller (e.g. a benchmark comparing models on the same rows); else split by the config. */
  testRows?: Int32Array;
}

export interface TrainModelOptions {
  config: TrainingConfig;
  runner: FitRunner;
  /** Overrides `config.training.seed`. */
  seed?: number;
  /**
   * Seed of everything after the hold-out split (CV folds, weight init, shuffling, dropout);
   * overrides `config.training.fitSeed`; absent, the seed. Varying it with the seed fixed
   * refits on the same test rows (e.g. to measure how far two fits of one model differ).
   */
  fitSeed?: number;
  /** Bootstrap resamples of the test AUC interval. @default 1000 */
  bootstrapResamples?: number;
  /** Called after each epoch of each fit. */
  onEpoch?: (label: string, log: EpochLog) => void;
  /** Called when a fit finishes. */
  onFitDone?: (label: string) => void;
}

/** A trained model: what a bundle needs, plus its report entry and test predictions. */
export interface TrainedModel {
  report: ModelReport;
  weights: MlpWeights;
  /** Input transform and scaler: the bundle's way from raw features to network input. */
  preprocessor: Preprocessor;
  threshold: number;
  /** 10,001 quantiles of the final model's probabilities on its training rows. */
  percentiles: Float64Array;
  /** Test rows (indices into the model's data) and their probabilities. */
  testRows: Int32Array;
  testProbabilities: Float64Array;
}

/** Fits one model trains: one per fold per candidate (rebalancing methods, bins), plus the final fit. */
export function fitsPerModel(config: TrainingConfig): number {
  const methods = config.training.rebalancing === 'auto' ? RebalanceMethods.length : 1;
  const encodings = config.training.inputEncoding === 'auto' ? 1 : 0;
  return (methods + encodings) * config.evaluation.folds + 1;
}

/**
 * Trains one model the way SEED.md's defects say it must be done:
 * 1. hold out a test set (stratified, or the newest rows) that nothing below sees;
 * 2. stratified k-fold CV on the rest, per rebalancing candidate (`auto`: all three), each
 *    fold preprocessed on its own training rows and early-stopped on its validation rows,
 *    restoring the best epoch; the candidate with the best mean fold AUC wins; with
 *    `inputEncoding: auto`, the winner is cross-validated again with bins, and kept or replaced;
 * 3. the threshold is chosen on the winner's out-of-fold predictions;
 * 4. the final model is trained on all non-test rows for the mean best epoch of the folds;
 * 5. it is scored once on the test set (with a bootstrap interval of the AUC).
 *
 * @throws TrainingError when the rows hold a single class or too few rows per class for the folds.
 */
export async function trainModel(model: ModelData, options: TrainModelOptions): Promise<TrainedModel> {
  const { config, runner } = options;
  const seed = options.seed ?? config.training.seed;
  const fitSeed = options.fitSeed ?? config.training.fitSeed ?? seed;
  const { folds: k, testFraction } = config.evaluation;
  const where = `${model.name} (division ${model.division})`;
  const positives = positivesOf(model.data.y);
  const negatives = model.data.rows - positives;
  if (positives === 0 || negatives === 0) {
    throw new TrainingError(
      `${where}: all ${model.data.rows} rows are ${positives === 0 ? 'negative' : 'positive'}; a classifier needs both classes`,
      model.division,
    );
  }
  if (Math.min(positives, negatives) < k + 1) {
    throw new TrainingError(
      `${where}: ${Math.min(positives, negatives)} rows of the smaller class are too few for ${k}-fold CV plus a test set`,
      model.division,
    );
  }

  // 1. Test split.
  const splitRandom = new Random(deriveSeed(seed, model.division, 1));
  let split: { train: number[]; test: number[] };
  if (model.testRows) {
    const test = new Set(model.testRows);
    split = { train: [...model.data.y.keys()].filter((i) => !test.has(i)), test: [...model.testRows] };
  } else if (config.evaluation.split === 'time') {
    if (!model.time) throw new TrainingError(`${where}: the time split needs a time feature`, model.division);
    split = timeHoldout(model.time, testFraction);
  } else split = stratifiedHoldout(model.data.y, testFraction, splitRandom);
  const devRows = Int32Array.from(split.train);
  const dev = takeRows(model.data, devRows);
  if (positivesOf(dev.y) < k || dev.rows - positivesOf(dev.y) < k) {
    throw new TrainingError(`${where}: too few rows of one class left for ${k}-fold CV after the test split`);
  }

  // 2. Cross-validation per candidate: each rebalancing method (`auto`: all three), all fits
  // submitted at once for the pool; then, for `inputEncoding: auto`, the winner with bins.
  const foldRows = stratifiedKFold(dev.y, k, new Random(deriveSeed(fitSeed, model.division, 2)));
  const methods: readonly RebalanceMethod[] =
    config.training.rebalancing === 'auto' ? RebalanceMethods : [config.training.rebalancing];
  const settings = networkSettings(config);
  const featureNames =
    model.featureNames ?? Array.from({ length: model.data.features }, (_, j) => `feature_${j + 1}`);
  const preprocess = planPreprocessor(config.training, featureNames);
  const runTask = (task: FitTask): Promise<FitTaskResult> =>
    runner
      .run(task, (log) => options.onEpoch?.(task.label, log))
      .then((result) => {
        options.onFitDone?.(task.label);
        return result;
      });
  const crossValidate = async (method: RebalanceMethod, plan: PreprocessorPlan, name: string) => {
    const runs = await Promise.all(
      foldRows.map((validation, f) =>
        runTask({
          label: `${model.name} · ${name} · fold ${f + 1}/${k}`,
          data: dev,
          train: Int32Array.from(complement(dev.rows, validation)),
          validation: Int32Array.from(validation),
          rebalance: method,
          preprocess: plan,
          settings,
          epochs: config.training.maxEpochs,
          patience: config.training.patience,
          // The same seed for a fold across candidates: they differ only in what they try.
          seed: deriveSeed(fitSeed, model.division, 3, f),
        }),
      ),
    );
    const oof = new Float64Array(dev.rows);
    runs.forEach((result, f) => {
      foldRows[f]!.forEach((row, i) => {
        oof[row] = result.validationProbabilities![i]!;
      });
    });
    const threshold = chooseThreshold(dev.y, oof, config.evaluation.threshold);
    const folds = runs.map((result, f) =>
      checkedMetrics(
        computeMetricSet(takeLabels(dev.y, foldRows[f]!), result.validationProbabilities!, threshold),
        `${where}, ${name} fold ${f + 1}`,
        model.division,
      ),
    );
    return { method, preprocess: plan, runs, threshold, folds, auc: meanStd(folds.map((s) => s.auc)) };
  };
  // Highest mean fold AUC wins; on a tie the earlier (simpler) candidate.
  const best = <C extends { auc: { mean: number } }>(candidates: readonly C[]): C =>
    candidates.reduce((b, c) => (c.auc.mean > b.auc.mean ? c : b));
  const candidates = await Promise.all(methods.map((method) => crossValidate(method, preprocess, method)));
  let chosen = best(candidates);
  let encodingCandidates: { encoding: ColumnEncoding; cvAuc: number; cvAucStd: number }[] | undefined;
  if (config.training.inputEncoding === 'auto') {
    const binned = await crossValidate(
      chosen.method,
      { ...preprocess, encoding: 'numeric' },
      `${chosen.method} + bins`,
    );
    encodingCandidates = [
      { encoding: 'none', cvAuc: chosen.auc.mean, cvAucStd: chosen.auc.std },
      { encoding: 'piecewise-linear', cvAuc: binned.auc.mean, cvAucStd: binned.auc.std },
    ];
    chosen = best([chosen, binned]);
  }
  const bestEpochs = chosen.runs.map((r) => r.bestEpoch);
  const epochs = Math.max(1, Math.round(meanStd(bestEpochs).mean));

  // 4. Final model on all non-test rows.
  const final = await runTask({
    label: `${model.name} · final (${chosen.method}${chosen.preprocess === preprocess ? '' : ' + bins'}, ${epochs} epochs)`,
    data: dev,
    train: Int32Array.from(dev.y.keys()),
    rebalance: chosen.method,
    preprocess: chosen.preprocess,
    settings,
    epochs,
    ...(settings.plateau
      ? {
          learningRates: replayedRates(
            chosen.runs.map((r) => r.history),
            epochs,
            settings.learningRate,
          ),
        }
      : {}),
    patience: config.training.patience,
    seed: deriveSeed(fitSeed, model.division, 4),
  });

  // 5. Test set, percentiles.
  const testRows = Int32Array.from(split.test);
  const test = takeRows(model.data, testRows);
  const testProbabilities = predictRaw(final.weights, final.preprocessor, test.x, test.rows);
  const testPositives = positivesOf(test.y);
  const testHasBoth = testPositives > 0 && testPositives < test.rows;
  const trainProbabilities = predictRaw(final.weights, final.preprocessor, dev.x, dev.rows);

  const report: ModelReport = {
    division: model.division,
    name: model.name,
    status: 'trained',
    rows: { train: dev.rows, test: test.rows, trainPositives: positivesOf(dev.y), testPositives },
    rebalancing: {
      method: chosen.method,
      before: final.classesBefore,
      after: final.classesAfter,
      candidates: candidates.map((c) => ({ method: c.method, cvAuc: c.auc.mean, cvAucStd: c.auc.std })),
    },
    ...(encodingCandidates || final.preprocessor.encoding
      ? {
          inputEncoding: {
            columns: (final.preprocessor.encoding ?? []).map((e) => featureNames[e.column]!),
            ...(encodingCandidates ? { candidates: encodingCandidates } : {}),
          },
        }
      : {}),
    threshold: chosen.threshold,
    epochs,
    cvBestEpochs: bestEpochs,
    cv: {
      folds: chosen.folds,
      mean: summarise(chosen.folds, 'mean'),
      std: summarise(chosen.folds, 'std'),
    },
    ...(testHasBoth
      ? {
          test: checkedMetrics(
            computeMetricSet(test.y, testProbabilities, chosen.threshold),
            `${where}, test set`,
          ),
          curves: computeCurves(test.y, testProbabilities),
          aucInterval: intervalOnly(
            bootstrapAuc(test.y, testProbabilities, {
              ...(options.bootstrapResamples ? { resamples: options.bootstrapResamples } : {}),
              seed: deriveSeed(seed, model.division, 5),
            }),
          ),
        }
      : {}),
    samplesPerSecond: final.samplesPerSecond,
  };
  return {
    report,
    weights: final.weights,
    preprocessor: final.preprocessor,
    threshold: chosen.threshold,
    percentiles: percentileMapping(trainProbabilities),
    testRows,
    testProbabilities,
  };
}

function takeLabels(y: Uint8Array, rows: readonly number[]): Uint8Array {
  return Uint8Array.from(rows, (r) => y[r]!);
}

function summarise(sets: readonly MetricSetValues[], what: 'mean' | 'std'): Record<MetricName, number> {
  return Object.fromEntries(
    MetricNames.map((name) => [name, meanStd(sets.map((s) => s[name]))[what]]),
  ) as Record<MetricName, number>;
}

function intervalOnly(result: { low: number; high: number; level: number }) {
  return { low: result.low, high: result.high, level: result.level };
}

/** A NaN or infinite metric means a broken model: fail loudly rather than report it. */
function checkedMetrics(set: MetricSetValues, where: string, division?: number): MetricSetValues {
  for (const name of MetricNames) {
    if (!Number.isFinite(set[name])) throw new TrainingError(`${where}: ${name} is ${set[name]}`, division);
  }
  return set;
}
