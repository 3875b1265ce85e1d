/**
 * The training task of the HPO benches (`opp hpo`'s objective on sample records), made once and
 * shared by both trainers: our split (`hpoSplit`, as the objective makes it in its workers) and
 * its preprocessed training, validation and held-out test rows written to CSV for the PyTorch
 * side (tests/bench/optuna_training.py), so both sides train and score the same rows.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadTrainingData } from '../../model/data/load-training-data.js';
import type { Params } from '../../model/hpo/distributions.js';
import { type HpoSplit, hpoSplit } from '../../model/hpo/training-split.js';
import type { Dataset } from '../../model/training/dataset.js';
import { loadTrainingConfig, type TrainingConfig } from '../../model/training-config.js';
import { compileFeatureSpec } from '../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../pipeline/features/feature-spec.js';
import { generateSampleRecords } from '../../pipeline/sources/sample-records.js';
import { defaultConfigPath, PACKAGE_ROOT } from '../../pipeline/util/package-root.js';

const run = promisify(execFile);

/** Median pruner settings of `opp hpo` (Optuna's default start-up count, 2 warm-up epochs). */
export const PRUNER_STARTUP_TRIALS = 5;
export const PRUNER_WARMUP_EPOCHS = 2;
const OPTUNA_SCRIPT = join(PACKAGE_ROOT, 'tests', 'bench', 'optuna_training.py');
/** Our sampler as a process for the Python side, built beside the benches (`bench:hpo-training`). */
export const TPE_ASK_SCRIPT = join(PACKAGE_ROOT, 'build', 'bench', 'tpe-ask.js');

export interface TrainingTask {
  /** The sample records, as a JSON-lines file (what `opp hpo --data` reads). */
  data: string;
  /** The base training config, `maxEpochs` set by the bench. */
  config: TrainingConfig;
  split: HpoSplit;
  trainCsv: string;
  validationCsv: string;
  testCsv: string;
  /** One line saying what the task is: records, rows of each part, epochs, patience. */
  description: string;
}

/** A dataset as CSV: the feature columns by name, then `action_taken`. */
function datasetCsv(data: Dataset, featureNames: readonly string[]): string {
  const lines = [[...featureNames, 'action_taken'].join(',')];
  const d = data.features;
  for (let r = 0; r < data.rows; r++) {
    const row = Array.from(data.x.subarray(r * d, r * d + d), (v) => String(v));
    row.push(String(data.y[r]));
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** `records` sample records (seed 1), our HPO split of them under `configPath`, and its CSV files. */
export async function prepareTrainingTask(
  records: number,
  configPath: string,
  maxEpochs: number,
): Promise<TrainingTask> {
  const dir = mkdtempSync(join(tmpdir(), 'opp-bench-training-task-'));
  const data = join(dir, 'records.jsonl');
  writeFileSync(
    data,
    [...generateSampleRecords({ n: records, seed: 1 })].map((r) => JSON.stringify(r)).join('\n'),
  );
  const base = loadTrainingConfig(configPath);
  const config = { ...base, training: { ...base.training, maxEpochs } };
  const table = await loadTrainingData(
    data,
    compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json'))),
  );
  const split = hpoSplit(table, config, config.training.seed);
  const task: TrainingTask = {
    data,
    config,
    split,
    trainCsv: join(dir, 'train.csv'),
    validationCsv: join(dir, 'validation.csv'),
    testCsv: join(dir, 'test.csv'),
    description:
      `${records} sample records (${table.rows} labelled: ${split.train.rows} training, ` +
      `${split.validation.rows} validation, ${split.test.rows} held-out test rows), maxEpochs ${maxEpochs}, ` +
      `patience ${config.training.patience}`,
  };
  writeFileSync(task.trainCsv, datasetCsv(split.train, table.featureNames));
  writeFileSync(task.validationCsv, datasetCsv(split.validation, table.featureNames));
  writeFileSync(task.testCsv, datasetCsv(split.test, table.featureNames));
  return task;
}

/** One study of optuna_training.py: Optuna's loop on the PyTorch trainer. */
export interface PytorchStudy {
  seed: number;
  trials: number;
  budgets: readonly number[];
  pruner: 'median' | 'none';
  /** The trainer's fit seed. @default the config's `training.seed` */
  fitSeed?: number;
  /** Our sampler process proposing every trial (`--sampler opp`); Optuna's own TPE when absent. */
  samplerCommand?: string;
}

/** What optuna_training.py prints for a study. */
export interface PytorchOutput {
  complete: number;
  pruned: number;
  failed: number;
  epochs_per_trial: number;
  wall_s: number;
  trials: {
    state: string;
    value: number | null;
    params: Params;
    test: number | null;
    /** Validation AUC after each epoch run. */
    intermediate: number[];
  }[];
}

/** Runs one study of optuna_training.py on the task's rows (one torch and BLAS thread). */
export async function runPytorchStudy(task: TrainingTask, study: PytorchStudy): Promise<PytorchOutput> {
  const { training } = task.config;
  const { stdout } = await run(
    process.env.OPP_PYTHON ?? '/usr/bin/python3',
    [
      OPTUNA_SCRIPT,
      ...['--train', task.trainCsv, '--validation', task.validationCsv, '--test', task.testCsv],
      ...['--space', defaultConfigPath('search-space.json'), '--seed', String(study.seed)],
      ...['--trials', String(study.trials), '--budgets', study.budgets.join(',')],
      ...['--max-epochs', String(training.maxEpochs), '--patience', String(training.patience)],
      ...(training.lrSchedule === 'constant'
        ? []
        : [
            '--lr-plateau',
            `${training.lrSchedule.reduceOnPlateau.factor},${training.lrSchedule.reduceOnPlateau.patience}`,
          ]),
      ...['--fit-seed', String(study.fitSeed ?? training.seed), '--pruner', study.pruner],
      ...['--startup-trials', String(PRUNER_STARTUP_TRIALS), '--warmup-epochs', String(PRUNER_WARMUP_EPOCHS)],
      ...['--threads', '1', '--activation', task.config.model.hiddenLayers[0]!.activation],
      ...(study.samplerCommand === undefined
        ? []
        : ['--sampler', 'opp', '--sampler-command', study.samplerCommand]),
    ],
    { env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' }, maxBuffer: 64 << 20 },
  );
  return JSON.parse(stdout) as PytorchOutput;
}
