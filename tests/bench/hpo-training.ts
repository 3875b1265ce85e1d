/**
 * `npm run bench:hpo-training`: our TPE against our random search on the training objective
 * (`opp hpo`'s: the general MLP on sample records, validation AUC, seed search space): median
 * best validation AUC over sampler seeds at each budget, and wall time per trial. A benchmark,
 * not a test.
 *
 *   npm run bench:hpo-training -- [--records 5000] [--seeds 3] [--budgets 10,20] [--max-epochs 10]
 *                                 [--workers 2] [--samplers tpe,random] [--pruner median|none]
 *
 * Every study shares one data split and fit seed (the objective is a fixed function of the
 * parameters), so studies differ only in their sampler and its seed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MedianPruner, NopPruner } from '../../model/hpo/pruner.js';
import { RandomSampler, type Sampler } from '../../model/hpo/random-sampler.js';
import { runStudy } from '../../model/hpo/run-study.js';
import { TpeSampler } from '../../model/hpo/sampler.js';
import { loadSearchSpace } from '../../model/hpo/search-space.js';
import { trainingObjectiveModule } from '../../model/hpo/training-objective.js';
import type { TrialRecord } from '../../model/hpo/trial.js';
import { loadTrainingConfig } from '../../model/training-config.js';
import { generateSampleRecords } from '../../pipeline/sources/sample-records.js';
import { defaultConfigPath } from '../../pipeline/util/package-root.js';

const SAMPLERS: Record<string, (seed: number) => Sampler> = {
  tpe: (seed) => new TpeSampler({ seed }),
  random: (seed) => new RandomSampler({ seed }),
};

interface Args {
  records: number;
  seeds: number;
  budgets: number[];
  maxEpochs: number;
  workers: number;
  samplers: string[];
  pruner: 'median' | 'none';
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    records: 5000,
    seeds: 3,
    budgets: [10, 20],
    maxEpochs: 10,
    workers: 2,
    samplers: ['tpe', 'random'],
    pruner: 'median',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--records') args.records = Number(argv[++i]);
    else if (a === '--seeds') args.seeds = Number(argv[++i]);
    else if (a === '--budgets') args.budgets = argv[++i]!.split(',').map(Number);
    else if (a === '--max-epochs') args.maxEpochs = Number(argv[++i]);
    else if (a === '--workers') args.workers = Number(argv[++i]);
    else if (a === '--samplers') args.samplers = argv[++i]!.split(',');
    else if (a === '--pruner') args.pruner = argv[++i] === 'none' ? 'none' : 'median';
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
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
  const space = loadSearchSpace(defaultConfigPath('search-space.json'));
  const trials = Math.max(...args.budgets);
  console.log(
    `training objective: ${args.records} sample records, seed search space, maxEpochs ${args.maxEpochs}, ` +
      `${args.workers} workers, ${args.pruner} pruner, ${args.seeds} seeds, ${trials} trials per study`,
  );
  const totals = new Map(
    args.samplers.map((name) => [
      name,
      { bests: args.budgets.map((): number[] => []), seconds: 0, pruned: 0, ran: 0, epochs: 0 },
    ]),
  );
  // Seed-major, so a run cut short still holds paired results of every sampler.
  for (let seed = 0; seed < args.seeds; seed++) {
    for (const name of args.samplers) {
      const total = totals.get(name)!;
      const started = performance.now();
      const result = await runStudy({
        name: `${name}-${seed}`,
        space,
        direction: 'maximize',
        sampler: SAMPLERS[name]!(seed),
        pruner:
          args.pruner === 'median' ? new MedianPruner({ startupTrials: 5, warmupSteps: 2 }) : new NopPruner(),
        objective: trainingObjectiveModule({
          data,
          spec: defaultConfigPath('features.json'),
          config,
          seed: base.training.seed,
          backend: 'wasm',
        }),
        trials,
        workers: args.workers,
      });
      const wall = (performance.now() - started) / 1000;
      total.seconds += wall;
      total.pruned += result.pruned;
      total.ran += result.ran;
      for (const t of result.trials) total.epochs += t.intermediate.length;
      for (const [i, b] of args.budgets.entries()) total.bests[i]!.push(bestWithin(result.trials, b));
      console.log(
        `${name} seed ${seed}: ${args.budgets.map((b, i) => `@${b} ${total.bests[i]!.at(-1)!.toFixed(4)}`).join(' ')}` +
          ` · ${result.pruned} pruned, ${result.failed} failed · ${wall.toFixed(1)} s (${(wall / result.ran).toFixed(2)} s/trial)`,
      );
    }
  }
  const budgets = args.budgets.map((b) => `@${b}`).join(' | ');
  console.log(`\n| sampler | ${budgets} | pruned share | epochs/trial | wall s/trial |`);
  console.log(`| ------- | ${args.budgets.map(() => '---').join(' | ')} | --- | --- | --- |`);
  for (const [name, t] of totals) {
    console.log(
      `| ${name} | ${t.bests.map((b) => median(b).toFixed(4)).join(' | ')} | ${(t.pruned / t.ran).toFixed(2)} | ` +
        `${(t.epochs / t.ran).toFixed(1)} | ${(t.seconds / t.ran).toFixed(2)} |`,
    );
  }
}

await main();
