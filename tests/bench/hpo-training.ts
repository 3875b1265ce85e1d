/**
 * `npm run bench:hpo-training`: on the training task (`opp hpo`'s objective: the general MLP on
 * sample records, validation AUC, seed search space), our TPE (and random search) against
 * Optuna's TPE driving a PyTorch trainer (tests/bench/optuna_training.py, Debian
 * python3-optuna + python3-torch): best validation AUC within each budget per sampler seed,
 * their medians, and wall time per study. A benchmark, not a test.
 *
 *   npm run bench:hpo-training -- [--records 20000] [--seeds 3] [--seed-offset 0] [--budgets 50,170]
 *       [--max-epochs 50] [--parallel 2] [--samplers tpe,optuna] [--pruner median|none]
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
 * Environment: OPP_PYTHON (default /usr/bin/python3).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadTrainingData } from '../../model/data/load-training-data.js';
import { MedianPruner, NopPruner } from '../../model/hpo/pruner.js';
import { RandomSampler, type Sampler } from '../../model/hpo/random-sampler.js';
import { runStudy } from '../../model/hpo/run-study.js';
import { OPTUNA_TPE_OPTIONS, TpeSampler } from '../../model/hpo/sampler.js';
import { loadSearchSpace } from '../../model/hpo/search-space.js';
import { trainingObjectiveModule } from '../../model/hpo/training-objective.js';
import { hpoSplit } from '../../model/hpo/training-split.js';
import type { TrialRecord } from '../../model/hpo/trial.js';
import type { Dataset } from '../../model/training/dataset.js';
import { loadTrainingConfig, type TrainingConfig } from '../../model/training-config.js';
import { compileFeatureSpec } from '../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../pipeline/features/feature-spec.js';
import { generateSampleRecords } from '../../pipeline/sources/sample-records.js';
import { defaultConfigPath, PACKAGE_ROOT } from '../../pipeline/util/package-root.js';

const run = promisify(execFile);

/** Median pruner settings of `opp hpo` (Optuna's default start-up count, 2 warm-up epochs). */
const PRUNER_STARTUP_TRIALS = 5;
const PRUNER_WARMUP_EPOCHS = 2;
const OPTUNA_SCRIPT = join(PACKAGE_ROOT, 'tests', 'bench', 'optuna_training.py');

const OUR_SAMPLERS: Record<string, (seed: number) => Sampler> = {
  tpe: (seed) => new TpeSampler({ seed }),
  // Our TPE with Optuna's defaults (univariate, random start-up, …): separates the sampler's
  // settings from everything else when ours and Optuna's differ.
  'tpe-optuna-defaults': (seed) => new TpeSampler({ ...OPTUNA_TPE_OPTIONS, seed }),
  random: (seed) => new RandomSampler({ seed }),
};

interface Args {
  records: number;
  seeds: number;
  seedOffset: number;
  budgets: number[];
  maxEpochs: number;
  parallel: number;
  samplers: string[];
  pruner: 'median' | 'none';
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    records: 20000,
    seeds: 3,
    seedOffset: 0,
    budgets: [50, 170],
    maxEpochs: 50,
    parallel: 2,
    samplers: ['tpe', 'optuna'],
    pruner: 'median',
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
    else throw new Error(`unknown argument ${a}`);
  }
  for (const s of args.samplers)
    if (s !== 'optuna' && !OUR_SAMPLERS[s]) throw new Error(`unknown sampler ${s}`);
  return args;
}

/** What one study gave: best complete value within each budget, counts and wall time. */
interface StudyFigures {
  bests: number[];
  ran: number;
  pruned: number;
  failed: number;
  epochsPerTrial: number;
  seconds: number;
}

/** Best complete value among the trials numbered below `budget`. */
function bestWithin(trials: readonly TrialRecord[], budget: number): number {
  let best = Number.NEGATIVE_INFINITY;
  for (const t of trials)
    if (t.number < budget && t.state === 'complete' && t.value !== undefined) best = Math.max(best, t.value);
  return best;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
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

interface Setup {
  args: Args;
  data: string;
  config: TrainingConfig;
  trainCsv: string;
  validationCsv: string;
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
  return {
    bests: args.budgets.map((b) => bestWithin(result.trials, b)),
    ran: result.ran,
    pruned: result.pruned,
    failed: result.failed,
    epochsPerTrial: epochs / result.ran,
    seconds: (performance.now() - started) / 1000,
  };
}

async function optuna(setup: Setup, seed: number): Promise<StudyFigures> {
  const { args, config } = setup;
  const { stdout } = await run(
    process.env.OPP_PYTHON ?? '/usr/bin/python3',
    [
      OPTUNA_SCRIPT,
      ...['--train', setup.trainCsv, '--validation', setup.validationCsv],
      ...['--space', defaultConfigPath('search-space.json'), '--seed', String(seed)],
      ...['--trials', String(Math.max(...args.budgets)), '--budgets', args.budgets.join(',')],
      ...['--max-epochs', String(args.maxEpochs), '--patience', String(config.training.patience)],
      ...['--fit-seed', String(config.training.seed), '--pruner', args.pruner],
      ...['--startup-trials', String(PRUNER_STARTUP_TRIALS), '--warmup-epochs', String(PRUNER_WARMUP_EPOCHS)],
      ...['--threads', '1', '--activation', config.model.hiddenLayers[0]!.activation],
    ],
    { env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' }, maxBuffer: 64 << 20 },
  );
  const out = JSON.parse(stdout) as {
    best: Record<string, number | null>;
    complete: number;
    pruned: number;
    failed: number;
    epochs_per_trial: number;
    wall_s: number;
  };
  return {
    bests: args.budgets.map((b) => out.best[String(b)] ?? Number.NEGATIVE_INFINITY),
    ran: out.complete + out.pruned + out.failed,
    pruned: out.pruned,
    failed: out.failed,
    epochsPerTrial: out.epochs_per_trial,
    seconds: out.wall_s,
  };
}

const LABELS: Record<string, string> = {
  tpe: 'opp tpe (fused wasm engine)',
  'tpe-optuna-defaults': "opp tpe with Optuna's defaults (fused wasm engine)",
  random: 'opp random (fused wasm engine)',
  optuna: 'Optuna TPE + PyTorch',
};

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'opp-bench-hpo-training-'));
  const data = join(dir, 'records.jsonl');
  writeFileSync(
    data,
    [...generateSampleRecords({ n: args.records, seed: 1 })].map((r) => JSON.stringify(r)).join('\n'),
  );
  const base = loadTrainingConfig(defaultConfigPath('production.json'));
  const config = { ...base, training: { ...base.training, maxEpochs: args.maxEpochs } };
  // The objective's own split, written out so the Python side trains and scores the same rows.
  const table = await loadTrainingData(
    data,
    compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json'))),
  );
  const split = hpoSplit(table, config, config.training.seed);
  const setup: Setup = {
    args,
    data,
    config,
    trainCsv: join(dir, 'train.csv'),
    validationCsv: join(dir, 'validation.csv'),
  };
  writeFileSync(setup.trainCsv, datasetCsv(split.train, table.featureNames));
  writeFileSync(setup.validationCsv, datasetCsv(split.validation, table.featureNames));
  const trials = Math.max(...args.budgets);
  console.log(
    `training objective: ${args.records} sample records (${table.rows} labelled: ${split.train.rows} training, ` +
      `${split.validation.rows} validation rows), seed search space, maxEpochs ${args.maxEpochs}, patience ` +
      `${config.training.patience}, ${args.pruner} pruner, ${trials} trials per study, ${args.seeds} seeds from ${args.seedOffset}, ` +
      `${args.parallel} studies at a time · load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  const figures = new Map(args.samplers.map((s) => [s, [] as StudyFigures[]]));
  // Seed-major jobs through `parallel` slots: the samplers of one seed run side by side (under
  // the same load), and a run cut short still holds paired results.
  const jobs = Array.from({ length: args.seeds }, (_, index) =>
    args.samplers.map((sampler) => ({ sampler, index, seed: args.seedOffset + index })),
  ).flat();
  const started = performance.now();
  let next = 0;
  const slot = async (): Promise<void> => {
    while (next < jobs.length) {
      const { sampler, index, seed } = jobs[next++]!;
      const f = sampler === 'optuna' ? await optuna(setup, seed) : await ours(setup, sampler, seed);
      figures.get(sampler)![index] = f;
      console.log(
        `${sampler} seed ${seed}: ${args.budgets.map((b, k) => `@${b} ${f.bests[k]!.toFixed(4)}`).join(' ')}` +
          ` · ${f.pruned} pruned, ${f.failed} failed, ${f.epochsPerTrial.toFixed(1)} epochs/trial · ` +
          `${f.seconds.toFixed(1)} s · load ${loadavg()[0]!.toFixed(2)}`,
      );
    }
  };
  await Promise.all(Array.from({ length: args.parallel }, slot));
  const wall = (performance.now() - started) / 1000;
  const budgets = args.budgets.map((b) => `@${b}`).join(' | ');
  console.log(
    `\n| sampler | ${budgets} | pruned share | failed | epochs/trial | wall s/study (median) | wall s/study (max) |`,
  );
  console.log(`| ------- | ${args.budgets.map(() => '---').join(' | ')} | --- | --- | --- | --- | --- |`);
  for (const [name, fs] of figures) {
    const ran = fs.reduce((s, f) => s + f.ran, 0);
    const pruned = fs.reduce((s, f) => s + f.pruned, 0);
    const failed = fs.reduce((s, f) => s + f.failed, 0);
    const epochs = fs.reduce((s, f) => s + f.epochsPerTrial * f.ran, 0);
    console.log(
      `| ${LABELS[name]} | ${args.budgets.map((_, k) => median(fs.map((f) => f.bests[k]!)).toFixed(4)).join(' | ')} | ` +
        `${(pruned / ran).toFixed(2)} | ${failed} | ${(epochs / ran).toFixed(1)} | ` +
        `${median(fs.map((f) => f.seconds)).toFixed(1)} | ${Math.max(...fs.map((f) => f.seconds)).toFixed(1)} |`,
    );
  }
  const tpe = figures.get('tpe');
  const anchor = figures.get('optuna');
  if (tpe && anchor) {
    for (const [k, b] of args.budgets.entries()) {
      const diffs = tpe.map((f, i) => f.bests[k]! - anchor[i]!.bests[k]!);
      console.log(
        `@${b}: opp tpe − Optuna per seed ${diffs.map((d) => d.toFixed(4)).join(' ')} · ours ahead on ` +
          `${diffs.filter((d) => d > 0).length}, tied on ${diffs.filter((d) => d === 0).length} of ${diffs.length}`,
      );
    }
  }
  console.log(
    `all studies in ${wall.toFixed(1)} s wall · load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

await main();
