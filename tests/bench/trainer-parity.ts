/**
 * `npm run bench:trainer-parity`: do our engine and the PyTorch reference trainer
 * (tests/bench/optuna_training.py) give the same trial values for the same configurations?
 * On `opp hpo`'s training task, each configuration is trained by both, unpruned, under
 * `--fit-seeds` fit seeds each (independent streams: the two engines' random numbers differ
 * anyway), and the trial value (best validation AUC over the epochs) and the kept model's test
 * AUC are compared: per configuration the mean and spread over fit seeds, and over all
 * configurations the paired difference of means (PyTorch − ours) with exact tests, and the
 * pooled fit-to-fit standard deviation of each trainer. A benchmark, not a test.
 *
 * A study's best value is the maximum of noisy trial values, so two trainers with the same mean
 * but different fit-to-fit spread give different study maxima (issue 7's "trainer alone" gap).
 *
 *   npm run bench:trainer-parity -- [--records 20000] [--config configs/production.json]
 *       [--max-epochs 50] [--random 20] [--from figures.jsonl[,more.jsonl]] [--fit-seeds 4]
 *       [--rebalancing none,oversample]
 *
 * Configurations: `--from` takes each saved study's best configuration at its largest budget
 * (bench:hpo-training --save files: the plateau the studies end on); `--random N` adds N drawn
 * uniformly from configs/search-space.json (random sampler seed 12345). `--rebalancing` runs each
 * of them once per listed method instead of its own, so the methods are compared on otherwise
 * equal configurations. Per trainer and method, the mean validation AUC after each of the first
 * epochs (over the fits that ran it) is printed too: what the median pruner compares, epoch by epoch.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Params } from '../../model/hpo/distributions.js';
import { RandomSampler } from '../../model/hpo/random-sampler.js';
import { loadSearchSpace } from '../../model/hpo/search-space.js';
import { meanStd, median } from '../../model/metrics/summary.js';
import { useBackend } from '../../model/tf/backend.js';
import { deriveSeed } from '../../model/training/seeds.js';
import { defaultConfigPath } from '../../pipeline/util/package-root.js';
import { refitAndTest } from './hpo-test-score.js';
import { loadFigures } from './hpo-training-report.js';
import { signTestP, wilcoxonSignedRankP } from './paired-stats.js';
import { markdownTable } from './results.js';
import { prepareTrainingTask, runPytorchStudy, TPE_ASK_SCRIPT } from './training-task.js';

/** Seed path of this bench's fit seeds on our engine. */
const PARITY_SEED_PATH = 11;
/** PyTorch fit seeds are this plus 0, 1, …: apart from the studies' own (42). */
const PYTORCH_FIT_SEED_BASE = 1000;
const RANDOM_CONFIG_SEED = 12345;

interface Args {
  records: number;
  config: string;
  maxEpochs: number;
  random: number;
  from: string[];
  fitSeeds: number;
  /** Rebalancing methods each configuration is run with, in place of its own. */
  rebalancing?: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    records: 20000,
    config: defaultConfigPath('production.json'),
    maxEpochs: 50,
    random: 0,
    from: [],
    fitSeeds: 4,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--records') args.records = Number(argv[++i]);
    else if (a === '--config') args.config = argv[++i]!;
    else if (a === '--max-epochs') args.maxEpochs = Number(argv[++i]);
    else if (a === '--random') args.random = Number(argv[++i]);
    else if (a === '--from') args.from = argv[++i]!.split(',');
    else if (a === '--fit-seeds') args.fitSeeds = Number(argv[++i]);
    else if (a === '--rebalancing') args.rebalancing = argv[++i]!.split(',');
    else throw new Error(`unknown argument ${a}`);
  }
  if (args.random === 0 && args.from.length === 0) args.random = 20;
  return args;
}

/** The configurations to compare: saved studies' final bests, then random draws; no repeats. */
function configurations(args: Args): Params[] {
  const configs = new Map<string, Params>();
  for (const study of loadFigures(args.from)) {
    const last = study.budgets.at(-1);
    if (last?.params) configs.set(JSON.stringify(last.params), last.params);
  }
  const space = loadSearchSpace(defaultConfigPath('search-space.json'));
  const sampler = new RandomSampler({ seed: RANDOM_CONFIG_SEED });
  for (let n = 0; n < args.random; n++) {
    const params = sampler.sample(space, [], n);
    configs.set(JSON.stringify(params), params);
  }
  const all = [...configs.values()];
  return args.rebalancing
    ? args.rebalancing.flatMap((rebalancing) => all.map((p) => ({ ...p, rebalancing })))
    : all;
}

/** One trainer's fits of one configuration: per fit seed, trial value, test AUC and AUC per epoch. */
interface Fits {
  values: number[];
  tests: number[];
  curves: number[][];
}

/** Epochs whose mean validation AUC is printed per trainer and rebalancing method. */
const CURVE_EPOCHS = 6;

const mean = (v: readonly number[]): number => meanStd(v).mean;
const variance = (v: readonly number[]): number => meanStd(v).std ** 2;
const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(4)}`;

function describe(params: Params): string {
  const units = [params.hiddenUnits, params.layer2Units, params.layer3Units].slice(
    0,
    Number(params.hiddenLayers),
  );
  return (
    `${units.join('/')} · lr ${Number(params.learningRate).toExponential(1)} · b${params.batchSize} · ` +
    `${params.optimizer} · wd ${Number(params.weightDecay).toExponential(0)} · do ${Number(params.dropout).toFixed(2)} · ${params.rebalancing}`
  );
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  await useBackend('wasm');
  const task = await prepareTrainingTask(args.records, args.config, args.maxEpochs);
  const configs = configurations(args);
  const replay = join(task.trainCsv, '..', 'configs.json');
  writeFileSync(replay, JSON.stringify(configs));
  console.log(
    `trainer parity: ${task.description}; ${configs.length} configurations × ${args.fitSeeds} fit seeds on each ` +
      `trainer, no pruning · load average ${loadavg()[0]!.toFixed(2)}`,
  );
  const started = performance.now();
  // PyTorch: one unpruned study per fit seed replaying every configuration, in child processes
  // beside our fits on this thread (so both cores are busy).
  const pytorch: Fits[] = configs.map(() => ({ values: [], tests: [], curves: [] }));
  const pytorchDone = (async () => {
    for (let k = 0; k < args.fitSeeds; k++) {
      const out = await runPytorchStudy(task, {
        seed: 0,
        trials: configs.length,
        budgets: [configs.length],
        pruner: 'none',
        fitSeed: PYTORCH_FIT_SEED_BASE + k,
        samplerCommand: `${process.execPath} ${TPE_ASK_SCRIPT} --replay ${replay}`,
      });
      out.trials.forEach((t, i) => {
        pytorch[i]!.values.push(t.value ?? Number.NaN);
        pytorch[i]!.tests.push(t.test ?? Number.NaN);
        pytorch[i]!.curves.push(t.intermediate);
      });
    }
  })();
  const ours: Fits[] = [];
  for (const params of configs) {
    const fits: Fits = { values: [], tests: [], curves: [] };
    for (let k = 0; k < args.fitSeeds; k++) {
      const fit = await refitAndTest(
        task.split,
        task.config,
        params,
        deriveSeed(task.split.fitSeed, PARITY_SEED_PATH, k),
      );
      fits.values.push(fit.bestValidation);
      fits.tests.push(fit.test);
      fits.curves.push(fit.curve);
    }
    ours.push(fits);
  }
  const oursSeconds = (performance.now() - started) / 1000;
  await pytorchDone;
  const wall = (performance.now() - started) / 1000;

  const rows = configs.map((params, i) => {
    const o = ours[i]!;
    const p = pytorch[i]!;
    return [
      String(i),
      describe(params),
      `${mean(o.values).toFixed(4)} ± ${Math.sqrt(variance(o.values)).toFixed(4)}`,
      `${mean(p.values).toFixed(4)} ± ${Math.sqrt(variance(p.values)).toFixed(4)}`,
      signed(mean(p.values) - mean(o.values)),
      signed(mean(p.tests) - mean(o.tests)),
    ];
  });
  console.log(
    `\n${markdownTable(['#', 'configuration', 'ours: value mean ± sd', 'PyTorch: value mean ± sd', 'value: PyTorch − ours', 'test: PyTorch − ours'], rows)}`,
  );
  // Configurations that failed on either side (a NaN value) are left out of the summary.
  const usable = configs
    .map((_, i) => i)
    .filter((i) => [...ours[i]!.values, ...pytorch[i]!.values].every(Number.isFinite));
  const summary = (label: string, pick: (f: Fits) => number[]) => {
    const diffs = usable.map((i) => mean(pick(pytorch[i]!)) - mean(pick(ours[i]!)));
    const pooledSd = (side: Fits[]) => Math.sqrt(mean(usable.map((i) => variance(pick(side[i]!)))));
    const ahead = diffs.filter((d) => d > 0).length;
    return [
      label,
      signed(mean(diffs)),
      signed(median(diffs)),
      `${ahead} / ${diffs.length - ahead}`,
      signTestP(diffs).toFixed(3),
      wilcoxonSignedRankP(diffs).toFixed(3),
      pooledSd(ours).toFixed(4),
      pooledSd(pytorch).toFixed(4),
    ];
  };
  console.log(
    `\n${markdownTable(
      [
        `over ${usable.length} configurations`,
        'mean diff (PyTorch − ours)',
        'median diff',
        'PyTorch higher / lower',
        'sign p',
        'Wilcoxon p',
        'fit-to-fit sd, ours',
        'fit-to-fit sd, PyTorch',
      ],
      [
        summary('trial value (best validation AUC)', (f) => f.values),
        summary('test AUC of the kept model', (f) => f.tests),
      ],
    )}`,
  );
  const methods = [...new Set(configs.map((p) => String(p.rebalancing)))].sort();
  const curveRows = methods.flatMap((method) =>
    (
      [
        ['ours', ours],
        ['PyTorch', pytorch],
      ] as const
    ).map(([trainer, side]) => {
      const fits = usable.filter((i) => configs[i]!.rebalancing === method).map((i) => side[i]!);
      const atEpoch = (e: number) =>
        mean(fits.flatMap((f) => f.curves.filter((c) => c.length > e).map((c) => c[e]!)));
      return [
        method,
        trainer,
        String(fits.length),
        ...Array.from({ length: CURVE_EPOCHS }, (_, e) => {
          const auc = atEpoch(e);
          return Number.isNaN(auc) ? '–' : auc.toFixed(4);
        }),
        mean(fits.flatMap((f) => f.values)).toFixed(4),
        mean(fits.flatMap((f) => f.curves.map((c) => c.length))).toFixed(1),
      ];
    }),
  );
  console.log(
    `\n${markdownTable(
      [
        'rebalancing',
        'trainer',
        'configurations',
        ...Array.from({ length: CURVE_EPOCHS }, (_, e) => `val AUC epoch ${e + 1}`),
        'trial value',
        'epochs run',
      ],
      curveRows,
    )}`,
  );
  console.log(
    `\nours ${oursSeconds.toFixed(0)} s, all ${wall.toFixed(0)} s wall · load average at the end ${loadavg()[0]!.toFixed(2)}`,
  );
}

await main();
