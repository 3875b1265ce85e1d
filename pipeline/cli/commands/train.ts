import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { currentGitSha } from '../../../model/bundle/provenance.js';
import { writeTrainingOutput } from '../../../model/bundle/training-output.js';
import { loadTrainingData } from '../../../model/data/load-training-data.js';
import { createFitRunner } from '../../../model/parallel/WorkerPool.js';
import { requestedBackend, useBackend } from '../../../model/tf/backend.js';
import { formatMetricsTable } from '../../../model/training/format-report.js';
import { plannedFits, trainDivisions } from '../../../model/training/train-divisions.js';
import { loadTrainingConfig } from '../../../model/training-config.js';
import { loadDivisionsConfig } from '../../config/divisions-config.js';
import { InputError } from '../../errors/InputError.js';
import { compileFeatureSpec } from '../../features/compile-spec.js';
import { loadFeatureSpec } from '../../features/feature-spec.js';
import { createTracker } from '../../tracking/create-tracker.js';
import { collectEpochs, recordTraining } from '../../tracking/record-training.js';
import { defaultConfigPath } from '../../util/package-root.js';
import { wholeNumber } from '../options.js';
import { createOutput } from '../output.js';
import { createProgress } from '../progress.js';

interface TrainOptions {
  data: string;
  out: string;
  division: 'all' | number;
  config: string;
  divisions: string;
  spec: string;
  seed?: number;
  workers: number;
  backend?: string;
  json?: boolean;
}

function divisionOption(value: string): 'all' | number {
  if (value.trim().toLowerCase() === 'all') return 'all';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected "all" or a division number, got "${value}"`);
  return n;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'Train the general model and one model per division with k-fold CV; write bundles and metrics.json',
    )
    .requiredOption(
      '--data <file>',
      'features CSV (from `opp features` or `opp snapshot`) or records (.jsonl/.ndjson/.csv); a folder holding one such file (an Azure ML snapshot input)',
    )
    .requiredOption('--out <dir>', 'output folder: metrics.json and one bundle folder per trained division')
    .option(
      '--division <all|N>',
      'train every model, or only division N (0 = general)',
      divisionOption,
      'all',
    )
    .option('--config <file>', 'training config', defaultConfigPath('production.json'))
    .option('--divisions <file>', 'divisions config', defaultConfigPath('divisions.json'))
    .option(
      '--spec <file>',
      'feature spec (records are run through it; a features CSV must match it)',
      defaultConfigPath('features.json'),
    )
    .option('--seed <n>', "random seed (default: the config's training.seed)", wholeNumber(0))
    .option(
      '--workers <n>',
      'worker threads for folds and models (1 = in this thread)',
      wholeNumber(1),
      availableParallelism(),
    )
    .option(
      '--backend <name>',
      "tfjs backend: auto, wasm, cpu, node, node-gpu (default: $OPP_BACKEND, else the config's training.backend)",
    )
    .option('--json', 'print one JSON result on stdout')
    .action(async (opts: TrainOptions) => {
      const output = createOutput(Boolean(opts.json));
      const started = performance.now();
      const config = loadTrainingConfig(opts.config);
      const divisions = loadDivisionsConfig(opts.divisions);
      const spec = compileFeatureSpec(loadFeatureSpec(opts.spec));
      const backend = await useBackend(requestedBackend(opts.backend, config.training.backend), {
        announce: (line) => output.note(line),
      });
      const table = await loadTrainingData(dataFile(opts.data), spec);
      if (table.records) {
        output.note(
          `read ${table.records.read} records: ${table.records.kept} kept, ${table.records.excluded} excluded, ${table.records.invalid} invalid`,
        );
      }
      const total = plannedFits({ table, config, divisions, which: opts.division });
      const runner = createFitRunner(opts.workers, backend);
      output.note(`training ${total} fits on ${table.rows} rows with ${runner.concurrency} worker(s)`);
      const progress = createProgress('train', total, 'fits', { detail: true });
      let done = 0;
      const epochs = collectEpochs();
      let result: Awaited<ReturnType<typeof trainDivisions>>;
      try {
        const gitSha = currentGitSha();
        result = await trainDivisions({
          table,
          spec,
          config,
          divisions,
          which: opts.division,
          runner,
          backend,
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
          ...(gitSha ? { gitSha } : {}),
          onEpoch: (label, log) => {
            epochs.onEpoch(label, log);
            progress.update(done, {
              detail: `${label} · epoch ${log.epoch} · loss ${log.trainLoss.toFixed(4)}${log.valLoss !== undefined ? ` · val ${log.valLoss.toFixed(4)}` : ''}`,
            });
          },
          onFitDone: (label) => progress.update(++done, { detail: `${label} done` }),
        });
      } finally {
        progress.stop();
        await runner.close();
      }
      await writeTrainingOutput(opts.out, result);
      // Experiment tracking (MLflow: $MLFLOW_TRACKING_URI, else $OPP_HOME/mlruns); never fails the training.
      const tracker = await createTracker({ onWarning: (warning) => output.note(`tracking: ${warning}`) });
      await recordTraining(tracker, { report: result.report, config, out: opts.out, epochs: epochs.logs });
      const tracked = await tracker.close();
      const seconds = (performance.now() - started) / 1000;
      output.result(
        {
          out: opts.out,
          seconds,
          backend,
          workers: runner.concurrency,
          rows: table.rows,
          report: result.report,
          tracking: tracked.destination,
        },
        () =>
          [
            formatMetricsTable(result.report),
            `wrote ${result.bundles.size} bundle(s) and metrics.json to ${opts.out} in ${seconds.toFixed(1)} s ` +
              `(${backend}, ${runner.concurrency} worker(s), seed ${result.report.seed}); runs tracked in ${tracked.destination}`,
          ].join('\n'),
      );
    });
}

/** The data file itself, or the one data file inside a folder (Azure ML mounts inputs as folders). */
function dataFile(path: string): string {
  if (!existsSync(path) || !statSync(path).isDirectory()) return path;
  const files = readdirSync(path).filter((f) => /\.(csv|jsonl|ndjson)$/i.test(f));
  if (files.length !== 1) {
    throw new InputError(
      `${path}: expected one .csv/.jsonl data file in the folder, found ${files.length ? files.join(', ') : 'none'}`,
      path,
    );
  }
  return join(path, files[0]!);
}
