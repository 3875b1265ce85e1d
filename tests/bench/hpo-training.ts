/**
 * `npm run bench:hpo-training`: on the training task (`opp hpo`'s objective: the general MLP on
 * sample records, validation AUC, seed search space), our TPE (and random search) against
 * Optuna's TPE driving a PyTorch trainer (tests/bench/optuna_training.py, Debian
 * python3-optuna + python3-torch): best validation AUC within each budget per sampler seed,
 * and the TEST AUC of that best configuration (held-out rows no study sees), their medians and
 * paired tests. A benchmark, not a test.
 *
 *   npm run bench:hpo-training -- [--records 20000] [--seeds 3] [--seed-offset 0] [--budgets 50,170]
 *       [--max-epochs 50] [--parallel 2] [--samplers tpe,tpe-pytorch,optuna] [--pruner median|none]
 *       [--refit-seeds 3] [--save figures.jsonl] [--jobs optuna:3,tpe:4]   # explicit studies
 *       [--config configs/production.json]   # the base training config (patience, lr schedule, preprocessing)
 *   npm run bench:hpo-training -- --report figures.jsonl[,more.jsonl] [--pairs tpe-pytorch:optuna,tpe:optuna]   # saved figures only
 *   npm run bench:hpo-training -- --rescore figures.jsonl --save rescored.jsonl   # refit saved bests again
 *
 * Both sides score the same rows: the bench makes our HPO split (`hpoSplit`, as the objective
 * does in its workers) and writes its standardised training and validation rows to CSV files
 * for the Python side. Both train up to `--max-epochs` epochs with early stopping on the
 * validation loss (patience from configs/production.json), report the validation AUC after each
 * epoch to a median pruner (5 start-up trials, 2 warm-up epochs) and return the best AUC. Every
 * study runs one trial at a time (sequential TPE on both sides); `--parallel` studies run at
 * once (seed-major: ours and Optuna's of one seed side by side), each in its own worker thread
 * or Python process with one torch thread.
 *
 * `tpe-pytorch` is our TPE in Optuna's place on the reference side: Optuna's study loop, its
 * MedianPruner and the PyTorch trainer, every trial's parameters proposed by our sampler
 * (tests/bench/tpe-ask.ts, enqueued by `optuna_training.py --sampler opp`). Against `optuna`
 * only the sampler differs; against `tpe` only the study loop and trainer do.
 *
 * Test scores: `hpoSplit` also holds out `opp train`'s test rows (same records, never seen by
 * either study; written to test.csv beside the others). For each study and budget, the best
 * complete trial's parameters (ours, or Optuna's) are retrained by OUR engine on the training
 * rows with the trials' early-stopping rule, under `--refit-seeds` fit seeds (the first is the
 * trials' own fit seed, so for ours it reproduces the trial), and the kept weights (best
 * validation loss) are scored on the test rows; the mean over fit seeds is the study's test
 * AUC. The same trainer for both sides, so the comparison is about the configurations found.
 * The retrainings run on the main thread after each study.
 *
 * Environment: OPP_PYTHON (default /usr/bin/python3).
 */
import { loadavg } from 'node:os';
import { MedianPruner, NopPruner } from '../../model/hpo/pruner.js';
import { runStudy } from '../../model/hpo/run-study.js';
import { loadSearchSpace } from '../../model/hpo/search-space.js';
import { trainingObjectiveModule } from '../../model/hpo/training-objective.js';
import { meanStd } from '../../model/metrics/summary.js';
import { useBackend } from '../../model/tf/backend.js';
import { deriveSeed } from '../../model/training/seeds.js';
import { defaultConfigPath } from '../../pipeline/util/package-root.js';
import { OUR_SAMPLERS } from './bench-samplers.js';
import { bestTrialWithin, refitAndTest, type TrialSummary } from './hpo-test-score.js';
import {
  type BudgetFigures,
  loadFigures,
  printReport,
  type StudyFigures,
  saveFigures,
} from './hpo-training-report.js';
import {
  PRUNER_STARTUP_TRIALS,
  PRUNER_WARMUP_EPOCHS,
  prepareTrainingTask,
  runPytorchStudy,
  TPE_ASK_SCRIPT,
  type TrainingTask,
} from './training-task.js';

const PYTORCH_SUFFIX = '-pytorch';

/**
 * Studies run by optuna_training.py (Optuna's loop on the PyTorch trainer): `optuna` (its own
 * TPE), or `<ours>-pytorch` (our sampler `<ours>`, e.g. `tpe-pytorch`, proposing every trial).
 */
function pytorchStudy(sampler: string): { python: 'optuna' } | { python: 'opp'; ours: string } | undefined {
  if (sampler === 'optuna') return { python: 'optuna' };
  const ours = sampler.endsWith(PYTORCH_SUFFIX) ? sampler.slice(0, -PYTORCH_SUFFIX.length) : '';
  return OUR_SAMPLERS[ours] ? { python: 'opp', ours } : undefined;
}
/** Seed path of the extra fit seeds best configurations are retrained under. */
const REFIT_SEED_PATH = 7;

interface Args {
  records: number;
  seeds: number;
  seedOffset: number;
  budgets: number[];
  maxEpochs: number;
  parallel: number;
  samplers: string[];
  pruner: 'median' | 'none';
  refitSeeds: number;
  config: string;
  /** The pairs of samplers the per-seed tables and paired tests compare. */
  pairs: [string, string][];
  save?: string;
  report?: string[];
  rescore?: string[];
  /** Explicit studies (`--jobs optuna:3,tpe:4`), in this order, instead of samplers × seeds. */
  jobs?: { sampler: string; seed: number }[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    records: 20000,
    seeds: 3,
    seedOffset: 0,
    budgets: [50, 170],
    maxEpochs: 50,
    parallel: 2,
    samplers: ['tpe', 'tpe-pytorch', 'optuna'],
    pruner: 'median',
    refitSeeds: 3,
    config: defaultConfigPath('production.json'),
    // The sampler alone (same trainer and loop), the issue's comparison, the trainer alone.
    pairs: [
      ['tpe-pytorch', 'optuna'],
      ['tpe', 'optuna'],
      ['tpe', 'tpe-pytorch'],
    ],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--records') args.records = Number(argv[++i]);
    else if (a === '--seeds') args.seeds = Number(argv[++i]);
    else if (a === '--seed-offset') args.seedOffset = Number(argv[++i]);
    else if (a === '--budgets') args.budgets = argv[++i]!.split(',').map(Number);
    else if (a === '--max-epochs') args.maxEpochs = Number(argv[++i]);
    else if (a === '--parallel') args.parallel = Number(argv[++i]);
    else if (a === '--samplers') args.samplers = argv[++i]!.split(',');
    else if (a === '--pruner') args.pruner = argv[++i] === 'none' ? 'none' : 'median';
    else if (a === '--refit-seeds') args.refitSeeds = Number(argv[++i]);
    else if (a === '--save') args.save = argv[++i]!;
    else if (a === '--config') args.config = argv[++i]!;
    else if (a === '--pairs')
      args.pairs = argv[++i]!.split(',').map((pair) => {
        const [first = '', second = ''] = pair.split(':');
        return [first, second];
      });
    else if (a === '--report') args.report = argv[++i]!.split(',');
    else if (a === '--rescore') args.rescore = argv[++i]!.split(',');
    else if (a === '--jobs')
      args.jobs = argv[++i]!.split(',').map((job) => {
        const [sampler = '', seed = ''] = job.split(':');
        return { sampler, seed: Number(seed) };
      });
    else throw new Error(`unknown argument ${a}`);
  }
  for (const s of [...args.samplers, ...(args.jobs ?? []).map((j) => j.sampler), ...args.pairs.flat()])
    if (!pytorchStudy(s) && !OUR_SAMPLERS[s]) throw new Error(`unknown sampler ${s}`);
  return args;
}

/** Best trial of each budget, plus the study's counts, from a study's trial list. */
function figuresOf(
  args: Args,
  sampler: string,
  seed: number,
  trials: readonly TrialSummary[],
  counts: { ran: number; pruned: number; failed: number; epochsPerTrial: number; seconds: number },
): StudyFigures {
  return {
    sampler,
    seed,
    records: args.records,
    budgets: args.budgets.map((budget) => {
      const t = bestTrialWithin(trials, budget);
      if (!t) return { budget, best: null };
      return {
        budget,
        best: t.value!,
        trial: t.number,
        params: t.params,
        ...(typeof t.test === 'number' ? { ownTest: t.test } : {}),
      };
    }),
    ...counts,
    // The history, for comparing what the samplers explored (saved, not printed).
    trials: trials.map((t) => ({
      number: t.number,
      state: t.state,
      value: t.value ?? null,
      params: t.params,
    })),
  };
}

interface Setup extends TrainingTask {
  args: Args;
  fitSeeds: number[];
}

async function ours(setup: Setup, sampler: string, seed: number): Promise<StudyFigures> {
  const { args, data, config } = setup;
  const started = performance.now();
  const result = await runStudy({
    name: `${sampler}-${seed}`,
    space: loadSearchSpace(defaultConfigPath('search-space.json')),
    direction: 'maximize',
    sampler: OUR_SAMPLERS[sampler]!(seed),
    pruner:
      args.pruner === 'median'
        ? new MedianPruner({ startupTrials: PRUNER_STARTUP_TRIALS, warmupSteps: PRUNER_WARMUP_EPOCHS })
        : new NopPruner(),
    objective: trainingObjectiveModule({
      data,
      spec: defaultConfigPath('features.json'),
      config,
      seed: config.training.seed,
      backend: 'wasm',
    }),
    trials: Math.max(...args.budgets),
    workers: 1,
  });
  let epochs = 0;
  for (const t of result.trials) epochs += t.intermediate.length;
  return figuresOf(args, sampler, seed, result.trials, {
    ran: result.ran,
    pruned: result.pruned,
    failed: result.failed,
    epochsPerTrial: epochs / result.ran,
    seconds: (performance.now() - started) / 1000,
  });
}

async function pytorch(setup: Setup, sampler: string, seed: number): Promise<StudyFigures> {
  const { args } = setup;
  const study = pytorchStudy(sampler)!;
  const out = await runPytorchStudy(setup, {
    seed,
    trials: Math.max(...args.budgets),
    budgets: args.budgets,
    pruner: args.pruner,
    ...(study.python === 'optuna'
      ? {}
      : { samplerCommand: `${process.execPath} ${TPE_ASK_SCRIPT} --sampler ${study.ours}` }),
  });
  // Optuna numbers its trials from 0 in the order asked, as the list is.
  const trials = out.trials.map((t, number) => ({ ...t, number }));
  return figuresOf(args, sampler, seed, trials, {
    ran: out.complete + out.pruned + out.failed,
    pruned: out.pruned,
    failed: out.failed,
    epochsPerTrial: out.epochs_per_trial,
    seconds: out.wall_s,
  });
}

/** Retrains each budget's best configuration under every fit seed and scores it on the test rows. */
async function scoreOnTest(setup: Setup, figures: StudyFigures): Promise<void> {
  const done = new Map<number, BudgetFigures>();
  for (const b of figures.budgets) {
    if (b.params === undefined || b.trial === undefined) continue;
    const same = done.get(b.trial);
    if (same) {
      const { tests, test, refitValidation, validations, freshValidation, ownTest } = same;
      Object.assign(b, { tests, test, refitValidation, validations, freshValidation });
      if (ownTest !== undefined) b.ownTest = ownTest;
      continue;
    }
    const fits = [];
    for (const fitSeed of setup.fitSeeds)
      fits.push(await refitAndTest(setup.split, setup.config, b.params, fitSeed));
    b.tests = fits.map((f) => f.test);
    b.test = mean(b.tests);
    b.validations = fits.map((f) => f.bestValidation);
    b.refitValidation = mean(b.validations);
    // The fits after the first: no trial was selected on them, on either side.
    if (fits.length > 1) b.freshValidation = mean(b.validations.slice(1));
    if (!pytorchStudy(figures.sampler)) b.ownTest = fits[0]!.test;
    // The first fit seed is the trials' own: our trial must come out exactly as it was scored.
    if (!pytorchStudy(figures.sampler) && Math.abs(fits[0]!.bestValidation - b.best!) > 1e-9)
      console.log(
        `warning: ${figures.sampler} seed ${figures.seed} trial ${b.trial} refit gives ${fits[0]!.bestValidation} ≠ ${b.best}`,
      );
    done.set(b.trial, b);
  }
}

const mean = (v: readonly number[]): number => meanStd(v).mean;

const LABELS: Record<string, string> = {
  tpe: 'opp tpe (fused wasm engine)',
  'tpe-optuna-defaults': "opp tpe with Optuna's defaults (fused wasm engine)",
  random: 'opp random (fused wasm engine)',
  optuna: 'Optuna TPE + PyTorch',
  'tpe-pytorch': "opp tpe + PyTorch (Optuna's loop and pruner)",
  'tpe-univariate-pytorch': "opp tpe, univariate, + PyTorch (Optuna's loop and pruner)",
};

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.report) {
    printReport(loadFigures(args.report), LABELS, args.pairs);
    return;
  }
  await useBackend('wasm');
  const task = await prepareTrainingTask(args.records, args.config, args.maxEpochs);
  const setup: Setup = {
    ...task,
    args,
    // The trials' own fit seed first, then independent ones.
    fitSeeds: Array.from({ length: args.refitSeeds }, (_, k) =>
      k === 0 ? task.split.fitSeed : deriveSeed(task.split.fitSeed, REFIT_SEED_PATH, k),
    ),
  };
  const trials = Math.max(...args.budgets);
  console.log(
    `training objective: ${task.description}, seed search space, ${args.pruner} pruner, ${trials} trials per study, ` +
      `${args.jobs ? `studies ${args.jobs.map((j) => `${j.sampler}:${j.seed}`).join(',')}` : `${args.seeds} seeds from ${args.seedOffset}`}, ${args.parallel} studies at a time, best configs refit under ` +
      `${args.refitSeeds} fit seeds · load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  const results: StudyFigures[] = [];
  if (args.rescore) {
    // Saved studies' best configurations refit again (deterministic: the test AUCs must repeat).
    const saved = loadFigures(args.rescore).filter((x) => x.records === args.records);
    // Only those saved before per-fit validation AUCs were recorded.
    for (const f of saved.filter((x) => x.budgets.some((b) => b.params && !b.validations))) {
      const before = f.budgets.map((b) => b.test);
      await scoreOnTest(setup, f);
      f.budgets.forEach((b, k) => {
        if (before[k] !== undefined && Math.abs(before[k] - b.test!) > 1e-9)
          console.log(
            `warning: ${f.sampler} seed ${f.seed} @${b.budget} test ${b.test} ≠ saved ${before[k]}`,
          );
      });
      results.push(f);
      if (args.save) saveFigures(args.save, f);
    }
    printReport(
      saved.map((x) => results.find((r) => r.sampler === x.sampler && r.seed === x.seed) ?? x),
      LABELS,
      args.pairs,
    );
    return;
  }
  // Seed-major jobs through `parallel` slots: the samplers of one seed run side by side (under
  // the same load), and a run cut short still holds paired results.
  const jobs =
    args.jobs ??
    Array.from({ length: args.seeds }, (_, index) =>
      args.samplers.map((sampler) => ({ sampler, seed: args.seedOffset + index })),
    ).flat();
  const started = performance.now();
  let next = 0;
  const slot = async (): Promise<void> => {
    while (next < jobs.length) {
      const { sampler, seed } = jobs[next++]!;
      const f = pytorchStudy(sampler)
        ? await pytorch(setup, sampler, seed)
        : await ours(setup, sampler, seed);
      const refitStarted = performance.now();
      await scoreOnTest(setup, f);
      results.push(f);
      if (args.save) saveFigures(args.save, f);
      console.log(
        `${sampler} seed ${seed}: ${f.budgets.map((b) => `@${b.budget} val ${b.best?.toFixed(4)} test ${b.test?.toFixed(4)} (trial ${b.trial})`).join(' ')}` +
          ` · ${f.pruned} pruned, ${f.failed} failed, ${f.epochsPerTrial.toFixed(1)} epochs/trial · ` +
          `${f.seconds.toFixed(1)} s + ${((performance.now() - refitStarted) / 1000).toFixed(1)} s refits · load ${loadavg()[0]!.toFixed(2)}`,
      );
    }
  };
  await Promise.all(Array.from({ length: args.parallel }, slot));
  const wall = (performance.now() - started) / 1000;
  printReport(results, LABELS, args.pairs);
  console.log(
    `\nall studies in ${wall.toFixed(1)} s wall · load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

await main();
