import { loadDivisionsConfig } from '../../pipeline/config/divisions-config.js';
import { compileFeatureSpec } from '../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../pipeline/features/feature-spec.js';
import { currentGitSha } from '../bundle/provenance.js';
import { writeTrainingOutput } from '../bundle/training-output.js';
import { loadTrainingData, type TrainingTable } from '../data/load-training-data.js';
import { createFitRunner } from '../parallel/WorkerPool.js';
import { requestedBackend, useBackend } from '../tf/backend.js';
import { loadTrainingConfig, type TrainingConfig } from '../training-config.js';
import type { EpochLog } from './fit-network.js';
import { plannedFits, type TrainDivisionsResult, trainDivisions } from './train-divisions.js';

/** The files and settings of one training run, as `opp train` and the train action take them. */
export interface TrainFromFilesOptions {
  /** Records or features CSV (a file, not a folder). */
  data: string;
  out: string;
  config: string;
  divisions: string;
  spec: string;
  which: 'all' | number;
  workers: number;
  /** A backend name (`--backend`, the action input); else $OPP_BACKEND, else the config's. */
  backend?: string | undefined;
  seed?: number | undefined;
  /** Lines worth a user's eye (the backend in use). */
  announce: (line: string) => void;
  /** Called once the data is read, before any fit. */
  onStart?: (start: { table: TrainingTable; fits: number; workers: number }) => void;
  onEpoch?: (label: string, log: EpochLog) => void;
  onFitDone?: (label: string) => void;
}

export interface TrainFromFilesResult {
  result: TrainDivisionsResult;
  config: TrainingConfig;
  table: TrainingTable;
  backend: string;
  workers: number;
}

/**
 * Loads the configs, spec and data (each checked at load), trains every requested model in
 * worker threads (build/ JS: workers > 1 needs `npm run build`) and writes the training output
 * (bundles, metrics.json, holdout.json) to `out`.
 */
export async function trainFromFiles(options: TrainFromFilesOptions): Promise<TrainFromFilesResult> {
  const config = loadTrainingConfig(options.config);
  const divisions = loadDivisionsConfig(options.divisions);
  const spec = compileFeatureSpec(loadFeatureSpec(options.spec));
  const backend = await useBackend(requestedBackend(options.backend, config.training.backend), {
    announce: options.announce,
  });
  const table = await loadTrainingData(options.data, spec);
  const runner = createFitRunner(options.workers, backend);
  options.onStart?.({
    table,
    fits: plannedFits({ table, config, divisions, which: options.which }),
    workers: runner.concurrency,
  });
  let result: TrainDivisionsResult;
  try {
    const gitSha = currentGitSha();
    result = await trainDivisions({
      table,
      spec,
      config,
      divisions,
      which: options.which,
      runner,
      backend,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(gitSha ? { gitSha } : {}),
      ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
      ...(options.onFitDone ? { onFitDone: options.onFitDone } : {}),
    });
  } finally {
    await runner.close();
  }
  await writeTrainingOutput(options.out, result);
  return { result, config, table, backend, workers: runner.concurrency };
}
