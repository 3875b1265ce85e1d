import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { MedianPruner, NopPruner, type Pruner } from '../../../model/hpo/pruner.js';
import { RandomSampler, type Sampler } from '../../../model/hpo/random-sampler.js';
import { runStudy } from '../../../model/hpo/run-study.js';
import { TpeSampler } from '../../../model/hpo/sampler.js';
import { formatStudyReport, summarizeStudy } from '../../../model/hpo/study-report.js';
import { trainingObjectiveModule } from '../../../model/hpo/training-objective.js';
import { applyTrainingParams } from '../../../model/hpo/training-params.js';
import { loadTrainingSearchSpace } from '../../../model/hpo/training-search-space.js';
import type { TrialRecord } from '../../../model/hpo/trial.js';
import { workerThreadsFor } from '../../../model/parallel/worker-threads.js';
import { requestedBackend, useBackend } from '../../../model/tf/backend.js';
import { loadTrainingConfig } from '../../../model/training-config.js';
import { InputError } from '../../errors/InputError.js';
import { StudyError } from '../../errors/StudyError.js';
import { createTracker } from '../../tracking/create-tracker.js';
import { recordStudy } from '../../tracking/record-training.js';
import { oppPath } from '../../util/opp-home.js';
import { defaultConfigPath } from '../../util/package-root.js';
import { checkHpoStudyContext, hpoStudyContext } from '../hpo-study-context.js';
import { openHpoStudyStorage } from '../hpo-study-storage.js';
import { wholeNumber } from '../options.js';
import { createOutput } from '../output.js';
import { createProgress } from '../progress.js';

interface HpoOptions {
  data: string;
  trials: number;
  workers: number;
  study: string;
  space: string;
  config: string;
  spec: string;
  seed?: number;
  storage?: string;
  out?: string;
  sampler: 'tpe' | 'random';
  pruner: 'median' | 'none';
  warmupEpochs: number;
  maxEpochs?: number;
  backend?: string;
  reportOnly?: boolean;
  json?: boolean;
}

/** Complete trials before the median pruner may stop a trial (Optuna's default). */
const PRUNER_STARTUP_TRIALS = 5;
/** Best trials listed in the report. */
const REPORT_TOP = 5;

function studyName(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(value))
    throw new InvalidArgumentError(`expected letters, digits, ".", "_" or "-" (a file name), got "${value}"`);
  return value;
}

function choice<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if ((choices as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`expected ${choices.join(' or ')}, got "${value}"`);
  };
}

export function registerHpo(program: Command): void {
  program
    .command('hpo')
    .description(
      'Search hyper-parameters of the general model with TPE and median pruning (resumable); write the best as a proposed production config',
    )
    .requiredOption('--data <file>', 'features CSV (from `opp features`) or records (.jsonl/.ndjson/.csv)')
    .requiredOption('--study <name>', 'study name: stored at $OPP_HOME/studies/<name>.jsonl', studyName)
    .option('--trials <n>', 'finished trials the study should have (stored ones count)', wholeNumber(1), 170)
    .option('--workers <n>', 'trials run at once, each in a worker thread', wholeNumber(1), 2)
    .option('--space <file>', 'search space', defaultConfigPath('search-space.json'))
    .option(
      '--config <file>',
      'training config the trial parameters are applied to',
      defaultConfigPath('production.json'),
    )
    .option('--spec <file>', 'feature spec', defaultConfigPath('features.json'))
    .option(
      '--seed <n>',
      "seed of the sampler, the split and the fits (default: the config's training.seed)",
      wholeNumber(0),
    )
    .option(
      '--storage <file|url>',
      'study file (JSON lines; default $OPP_HOME/studies/<name>.jsonl), or azure-table://<table> to share the study between machines ($OPP_STORAGE_CONNECTION_STRING; a local Azurite when unset)',
    )
    .option('--out <file>', 'proposed config (default $OPP_HOME/studies/<name>.production.json)')
    .option('--sampler <name>', 'tpe or random', choice(['tpe', 'random'] as const), 'tpe')
    .option('--pruner <name>', 'median or none', choice(['median', 'none'] as const), 'median')
    .option('--warmup-epochs <n>', 'epochs before the median pruner may stop a trial', wholeNumber(0), 2)
    .option(
      '--max-epochs <n>',
      "cap on each trial's epochs (default: the config's training.maxEpochs)",
      wholeNumber(1),
    )
    .option('--backend <name>', "tfjs backend (default: $OPP_BACKEND, else the config's training.backend)")
    .option('--report-only', 'run no trial: read the stored study, write its report and proposed config')
    .option('--json', 'print one JSON result on stdout')
    .action(async (opts: HpoOptions) => {
      const output = createOutput(Boolean(opts.json));
      const started = performance.now();
      // Everything is checked before the study opens: a bad file fails before any trial.
      const space = loadTrainingSearchSpace(opts.space);
      if (!existsSync(opts.data)) throw new InputError(`${opts.data}: no such file (--data)`, opts.data);
      const config = loadTrainingConfig(opts.config);
      const seed = opts.seed ?? config.training.seed;
      const studyConfig =
        opts.maxEpochs === undefined
          ? config
          : { ...config, training: { ...config.training, maxEpochs: opts.maxEpochs } };
      const backend = await useBackend(requestedBackend(opts.backend, config.training.backend), {
        announce: (line) => output.note(line),
      });
      // Trials run in worker threads; the native backends run in one (workerThreadsFor).
      const threads = workerThreadsFor(opts.workers, backend);
      if (threads.note) output.note(threads.note);
      const workers = threads.workers;
      const out = resolve(opts.out ?? oppPath('studies', `${opts.study}.production.json`));
      const sampler: Sampler =
        opts.sampler === 'random' ? new RandomSampler({ seed }) : new TpeSampler({ seed });
      const pruner: Pruner =
        opts.pruner === 'none'
          ? new NopPruner()
          : new MedianPruner({ startupTrials: PRUNER_STARTUP_TRIALS, warmupSteps: opts.warmupEpochs });
      const context = await hpoStudyContext(opts.data, opts.spec, studyConfig, seed);
      const stored = await openHpoStudyStorage(opts.storage, opts.study);
      const before = stored.storedBefore;
      try {
        if (stored.contextBase) await checkHpoStudyContext(stored.contextBase, context);
      } catch (error) {
        await stored.close();
        throw error;
      }
      output.note(
        `study "${opts.study}" (${stored.location}): ${before} of ${opts.trials} trials stored; ` +
          `${workers} worker(s), ${opts.sampler} sampler, ${opts.pruner} pruner`,
      );
      const progress = createProgress('hpo', opts.trials, 'trials', { detail: true });
      progress.update(Math.min(before, opts.trials), { detail: 'loading data in the workers' });
      // Ctrl-C: stop asking for trials; running ones finish and are stored. A second one kills.
      const controller = new AbortController();
      const onInterrupt = () => controller.abort();
      process.once('SIGINT', onInterrupt);
      let result: Awaited<ReturnType<typeof runStudy>>;
      const finishedHere: TrialRecord[] = [];
      try {
        result = await runStudy({
          name: opts.study,
          space,
          direction: 'maximize',
          storage: stored.storage,
          // In the header too: machines sharing a table study are refused other data or config.
          context,
          sampler,
          pruner,
          objective: trainingObjectiveModule({
            data: resolve(opts.data),
            spec: resolve(opts.spec),
            config: studyConfig,
            seed,
            backend,
          }),
          // Report only: a target of 0 finished trials runs none and returns what is stored.
          trials: opts.reportOnly ? 0 : opts.trials,
          workers,
          signal: controller.signal,
          onProgress: (p) => {
            finishedHere.push(p.last);
            progress.update(p.finished, {
              detail: `${p.pruned} pruned · ${p.failed} failed · best ${p.best?.value?.toFixed(4) ?? '-'}${p.best ? ` (#${p.best.number})` : ''}`,
            });
          },
        });
      } finally {
        process.off('SIGINT', onInterrupt);
        progress.stop();
        await stored.close();
      }
      const report = summarizeStudy(result.trials, space, 'maximize', { top: REPORT_TOP });
      const best = result.best;
      if (!best) {
        const firstError = result.trials.find((t) => t.error)?.error;
        throw new StudyError(
          `study "${opts.study}" has no complete trial (${result.failed} failed, ${result.pruned} pruned)` +
            (firstError ? `: ${firstError}` : ''),
          opts.study,
        );
      }
      // The proposal keeps the config's own maxEpochs: --max-epochs only bounds the study.
      const { description: _, ...params } = applyTrainingParams(config, best.params);
      const proposed = {
        description:
          `Proposed by \`opp hpo\`, study "${opts.study}", trial #${best.number}: ` +
          `validation AUC ${best.value!.toFixed(4)} (${result.trials.length} trials, seed ${seed})`,
        ...params,
      };
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, `${JSON.stringify(proposed, null, 2)}\n`);
      // Experiment tracking: the study as a parent run, this invocation's trials as child runs.
      const tracker = await createTracker({ onWarning: (warning) => output.note(`tracking: ${warning}`) });
      await recordStudy(tracker, {
        name: opts.study,
        settings: {
          study: opts.study,
          sampler: opts.sampler,
          pruner: opts.pruner,
          seed,
          trials: opts.trials,
          data: opts.data,
        },
        trials: finishedHere,
        best,
      });
      await tracker.close();
      const seconds = (performance.now() - started) / 1000;
      output.result(
        {
          study: opts.study,
          storage: stored.location,
          out,
          seconds,
          secondsPerTrial: result.ran > 0 ? seconds / result.ran : undefined,
          backend,
          workers,
          ran: result.ran,
          best: { number: best.number, value: best.value, params: best.params },
          report,
        },
        () =>
          [
            formatStudyReport(report),
            `ran ${result.ran} trial(s) in ${seconds.toFixed(1)} s (${backend}, ${workers} worker(s)); ` +
              `best: trial #${best.number}, validation AUC ${best.value!.toFixed(4)}`,
            `wrote the proposed config to ${out}`,
          ].join('\n'),
      );
    });
}
