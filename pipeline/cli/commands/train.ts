import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { formatMetricsTable } from '../../../model/training/format-report.js';
import { type TrainFromFilesResult, trainFromFiles } from '../../../model/training/train-from-files.js';
import { InputError } from '../../errors/InputError.js';
import { collectEpochs, trackTraining } from '../../tracking/record-training.js';
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
  fitSeed?: number;
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
      '--fit-seed <n>',
      "seed of the fits alone (CV folds, weight init, shuffling), the hold-out split kept on --seed (default: the config's training.fitSeed, else the seed)",
      wholeNumber(0),
    )
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
      let progress: ReturnType<typeof createProgress> | undefined;
      let done = 0;
      const epochs = collectEpochs();
      let trained: TrainFromFilesResult;
      try {
        trained = await trainFromFiles({
          data: dataFile(opts.data),
          out: opts.out,
          config: opts.config,
          divisions: opts.divisions,
          spec: opts.spec,
          which: opts.division,
          workers: opts.workers,
          backend: opts.backend,
          seed: opts.seed,
          fitSeed: opts.fitSeed,
          announce: (line) => output.note(line),
          onStart: ({ table, fits, workers }) => {
            if (table.records) {
              output.note(
                `read ${table.records.read} records: ${table.records.kept} kept, ${table.records.excluded} excluded, ${table.records.invalid} invalid`,
              );
            }
            output.note(`training ${fits} fits on ${table.rows} rows with ${workers} worker(s)`);
            progress = createProgress('train', fits, 'fits', { detail: true });
          },
          onEpoch: (label, log) => {
            epochs.onEpoch(label, log);
            progress?.update(done, {
              detail: `${label} · epoch ${log.epoch} · loss ${log.trainLoss.toFixed(4)}${log.valLoss !== undefined ? ` · val ${log.valLoss.toFixed(4)}` : ''}`,
            });
          },
          onFitDone: (label) => progress?.update(++done, { detail: `${label} done` }),
        });
      } finally {
        progress?.stop();
      }
      const { result, config, table, backend, workers } = trained;
      // Experiment tracking (MLflow: $MLFLOW_TRACKING_URI, else $OPP_HOME/mlruns); never fails the training.
      const tracked = await trackTraining(
        { report: result.report, config, out: opts.out, epochs: epochs.logs },
        { onWarning: (warning) => output.note(`tracking: ${warning}`) },
      );
      const seconds = (performance.now() - started) / 1000;
      output.result(
        {
          out: opts.out,
          seconds,
          backend,
          workers,
          rows: table.rows,
          report: result.report,
          tracking: tracked.destination,
        },
        () =>
          [
            formatMetricsTable(result.report),
            `wrote ${result.bundles.size} bundle(s) and metrics.json to ${opts.out} in ${seconds.toFixed(1)} s ` +
              `(${backend}, ${workers} worker(s), seed ${result.report.seed}${result.report.fitSeed === undefined ? '' : `, fit seed ${result.report.fitSeed}`}); runs tracked in ${tracked.destination}`,
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
