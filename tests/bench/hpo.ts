/**
 * `npm run bench:hpo`: our TPE and random search against Optuna's TPE
 * (shared/anchors/reference_hpo.py, Debian python3-optuna) on Branin, Hartmann-6 and a 10-D
 * shifted sphere: median best value over seeds at each budget. A benchmark, not a test.
 *
 *   npm run bench:hpo -- [--seeds 30] [--seed-offset 0] [--budgets 20,50,100] [--no-optuna]
 *                        [--samplers tpe,tpe-optuna-defaults,random,...]
 *
 * Our samplers use seeds offset..offset+seeds−1; Optuna always uses 0..seeds−1 (its script).
 *
 * Environment: OPP_REFERENCE_HPO (path of reference_hpo.py), OPP_PYTHON (default /usr/bin/python3),
 * OPP_OPTUNA_RESULTS (a file with the script's saved output, to skip re-running Optuna).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { erfc } from '../../model/hpo/numerics.js';
import type { Sampler } from '../../model/hpo/random-sampler.js';
import { Study } from '../../model/hpo/study.js';
import { TEST_FUNCTIONS, type TestFunction } from '../../model/hpo/test-functions.js';
import { median } from '../../model/metrics/summary.js';
import { PACKAGE_ROOT } from '../../pipeline/util/package-root.js';
import { OUR_SAMPLERS } from './bench-samplers.js';

const run = promisify(execFile);

interface Args {
  seeds: number;
  budgets: number[];
  optuna: boolean;
  samplers: string[];
  seedOffset: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    seeds: 30,
    budgets: [20, 50, 100],
    optuna: true,
    samplers: ['tpe', 'tpe-optuna-defaults', 'random'],
    seedOffset: 0,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seeds') args.seeds = Number(argv[++i]);
    else if (a === '--budgets') args.budgets = argv[++i]!.split(',').map(Number);
    else if (a === '--no-optuna') args.optuna = false;
    else if (a === '--seed-offset') args.seedOffset = Number(argv[++i]);
    else if (a === '--samplers') args.samplers = argv[++i]!.split(',');
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** Best value within the first b trials, per budget b, for one seed. */
async function bestByBudget(
  fn: TestFunction,
  sampler: Sampler,
  budgets: readonly number[],
): Promise<number[]> {
  const study = await Study.open({ name: fn.name, space: fn.space, sampler });
  const values: number[] = [];
  for (let i = 0; i < Math.max(...budgets); i++) {
    const trial = await study.ask();
    const value = fn.evaluate(trial.params);
    values.push(value);
    await study.tell(trial.number, { state: 'complete', value });
  }
  return budgets.map((b) => Math.min(...values.slice(0, b)));
}

interface OptunaLine {
  function: string;
  best: Record<string, number[]>;
  s_per_trial: number;
  optuna: string;
}

function parseOptuna(text: string): Map<string, OptunaLine> {
  const lines = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as OptunaLine);
  return new Map(lines.map((l) => [l.function, l]));
}

async function runOptuna(args: Args): Promise<Map<string, OptunaLine> | string> {
  const saved = process.env.OPP_OPTUNA_RESULTS;
  if (saved) return parseOptuna(readFileSync(saved, 'utf8'));
  const script =
    process.env.OPP_REFERENCE_HPO ?? join(PACKAGE_ROOT, '..', 'shared', 'anchors', 'reference_hpo.py');
  const python = process.env.OPP_PYTHON ?? '/usr/bin/python3';
  if (!existsSync(script)) return `reference script not found at ${script} (set OPP_REFERENCE_HPO)`;
  try {
    const { stdout } = await run(
      python,
      [script, '--seeds', String(args.seeds), '--budgets', args.budgets.join(',')],
      {
        maxBuffer: 1 << 24,
      },
    );
    return parseOptuna(stdout);
  } catch (error) {
    return `Optuna run failed (apt-get install -y python3-optuna?): ${(error as Error).message.split('\n')[0]}`;
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const optunaPromise = args.optuna ? runOptuna(args) : Promise.resolve('skipped (--no-optuna)');
  const results = new Map<string, Map<string, number[][]>>(); // fn → sampler → [seed][budget]
  const seconds = new Map<string, number>();
  for (const fn of TEST_FUNCTIONS) {
    const bySampler = new Map<string, number[][]>();
    for (const name of args.samplers) {
      const make = OUR_SAMPLERS[name];
      if (!make) throw new Error(`unknown sampler ${name} (known: ${Object.keys(OUR_SAMPLERS).join(', ')})`);
      const started = performance.now();
      const perSeed: number[][] = [];
      for (let seed = args.seedOffset; seed < args.seedOffset + args.seeds; seed++)
        perSeed.push(await bestByBudget(fn, make(seed), args.budgets));
      seconds.set(name, (seconds.get(name) ?? 0) + (performance.now() - started) / 1000);
      bySampler.set(name, perSeed);
    }
    results.set(fn.name, bySampler);
  }
  const optuna = await optunaPromise;
  const header = ['function', 'sampler', ...args.budgets.map((b) => `median best @${b}`)];
  const rows: string[][] = [];
  for (const fn of TEST_FUNCTIONS) {
    const bySampler = results.get(fn.name)!;
    for (const [name, perSeed] of bySampler) {
      rows.push([
        fn.name,
        `opp ${name}`,
        ...args.budgets.map((_, j) => fmt(median(perSeed.map((s) => s[j]!)))),
      ]);
    }
    if (typeof optuna !== 'string') {
      const line = optuna.get(fn.name);
      if (line)
        rows.push([
          fn.name,
          `optuna ${line.optuna} tpe`,
          ...args.budgets.map((b) => fmt(median(line.best[String(b)]!))),
        ]);
    }
  }
  console.log(
    `HPO benchmark: ${args.seeds} seeds (opp ${args.seedOffset}..${args.seedOffset + args.seeds - 1}, Optuna 0..${args.seeds - 1}); minimisation; median of the best value found within each budget`,
  );
  console.log(table(header, rows));
  if (typeof optuna === 'string') console.log(`Optuna: ${optuna}`);
  else if (args.samplers.includes('tpe')) {
    console.log(
      '\nopp tpe vs Optuna TPE: P(ours < theirs) over all seed pairs (0.5 = even), and the two-sided Mann-Whitney p-value',
    );
    for (const fn of TEST_FUNCTIONS) {
      const ours = results.get(fn.name)!.get('tpe')!;
      const theirs = optuna.get(fn.name);
      if (!theirs) continue;
      const cells = args.budgets.map((b, j) => {
        const test = mannWhitney(
          ours.map((s) => s[j]!),
          theirs.best[String(b)]!,
        );
        return `@${b} ${test.probability.toFixed(2)} (p=${test.p.toFixed(3)})`;
      });
      console.log(`  ${fn.name.padEnd(10)} ${cells.join('  ')}`);
    }
    const optunaSeconds = [...optuna.values()]
      .map((l) => `${l.function} ${(l.s_per_trial * 1000).toFixed(2)} ms`)
      .join(', ');
    console.log(`\nSampler overhead per trial: Optuna ${optunaSeconds}`);
  }
  const trialsPerSampler = TEST_FUNCTIONS.length * args.seeds * Math.max(...args.budgets);
  for (const [name, s] of seconds)
    console.log(`  opp ${name}: ${((s / trialsPerSampler) * 1000).toFixed(2)} ms per trial`);
}

/**
 * Mann-Whitney U of "a is lower than b": the share of pairs (a_i, b_j) with a_i < b_j (ties
 * count half) and its two-sided p-value by the normal approximation (no tie correction).
 */
function mannWhitney(a: readonly number[], b: readonly number[]): { probability: number; p: number } {
  let u = 0;
  for (const x of a) for (const y of b) u += x < y ? 1 : x === y ? 0.5 : 0;
  const n = a.length * b.length;
  const sd = Math.sqrt((n * (a.length + b.length + 1)) / 12);
  const z = Math.abs(u - n / 2) / sd;
  return { probability: u / n, p: erfc(z / Math.SQRT2) };
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

await main();
