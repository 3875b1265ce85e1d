import { type DivisionsConfig, loadDivisionsConfig } from '../../pipeline/config/divisions-config.js';
import { InputError } from '../../pipeline/errors/InputError.js';
import { compileFeatureSpec } from '../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../pipeline/features/feature-spec.js';
import { currentGitSha } from '../bundle/provenance.js';
import { writeTrainingOutput } from '../bundle/training-output.js';
import { loadTrainingData, type TrainingTable } from '../data/load-training-data.js';
import { createFitRunner } from '../parallel/fit-workers.js';
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
  /** The fits' seed, the hold-out split kept on `seed` (see `TrainModelOptions.fitSeed`). */
  fitSeed?: number | undefined;
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
  assertKnownDivisions(table, divisions, options.data);
  const runner = createFitRunner(options.workers, backend, options.announce);
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
      ...(options.fitSeed !== undefined ? { fitSeed: options.fitSeed } : {}),
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

/**
 * Refuses rows whose division the divisions config does not list: they would train only the
 * general model, silently, and no division model would ever see them.
 * @throws InputError naming the division, how many rows have it and the first one's record id.
 */
export function assertKnownDivisions(table: TrainingTable, divisions: DivisionsConfig, file: string): void {
  const known = new Set(divisions.divisions.map((d) => d.id));
  for (let i = 0; i < table.rows; i++) {
    const division = table.division[i]!;
    if (known.has(division)) continue;
    let count = 0;
    for (let j = i; j < table.rows; j++) if (table.division[j] === division) count++;
    throw new InputError(
      `${file}: ${count} row${count > 1 ? 's have' : ' has'} division ${division} (first: record ${table.recordIds[i]}), ` +
        `which the divisions config does not list (${[...known].join(', ')}); add it there or fix the data`,
      file,
    );
  }
}
