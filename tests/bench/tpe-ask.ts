/**
 * Our sampler as a JSON-lines process, so Optuna's study loop (its pruner, PyTorch trainer and
 * trial bookkeeping) can run with our TPE in place of its own: `optuna_training.py --sampler
 * opp` enqueues what this proposes. Then only the sampler differs between the two studies, on
 * the reference trainer. A benchmark tool.
 *
 *   node build/bench/tpe-ask.js --space configs/search-space.json --seed 0 [--sampler tpe]
 *   node build/bench/tpe-ask.js --space configs/search-space.json --replay configs.json
 *
 * With --replay, trial n gets the n-th parameters of a JSON array instead (the same
 * configurations on both trainers, for `npm run bench:trainer-parity`).
 *
 * Each input line: `{"number": n, "trials": [{"number", "state": "complete" | "pruned" |
 * "failed", "value", "params", "intermediate": [{"step", "value"}]}]}` (the study maximises);
 * each output line: `{"params": {...}}` for trial n.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Params } from '../../model/hpo/distributions.js';
import { loadSearchSpace } from '../../model/hpo/search-space.js';
import { observeTrials, type TrialRecord } from '../../model/hpo/trial.js';
import { OUR_SAMPLERS } from './bench-samplers.js';

interface AskLine {
  number: number;
  trials: Omit<TrialRecord, 'startedAt' | 'finishedAt'>[];
}

function option(name: string, fallback?: string): string {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) throw new Error(`tpe-ask: ${name} is required`);
  return value;
}

const space = loadSearchSpace(option('--space'));

/** What trial n runs: the next replayed configuration, or our sampler's proposal from the history. */
function proposer(): (ask: AskLine) => Params {
  if (process.argv.includes('--replay')) {
    const configs = JSON.parse(readFileSync(option('--replay'), 'utf8')) as Params[];
    return (ask) => {
      const params = configs[ask.number];
      if (!params)
        throw new Error(`tpe-ask: --replay has ${configs.length} configurations, trial ${ask.number} asked`);
      return params;
    };
  }
  const kind = option('--sampler', 'tpe');
  const make = OUR_SAMPLERS[kind];
  if (!make) throw new Error(`tpe-ask: unknown sampler ${kind} (${Object.keys(OUR_SAMPLERS).join(', ')})`);
  const sampler = make(Number(option('--seed', '0')));
  return (ask) => {
    const finished = ask.trials.map((t) => ({ ...t, startedAt: '', finishedAt: '' }));
    return sampler.sample(space, observeTrials(finished, [], 'maximize'), ask.number);
  };
}

const propose = proposer();
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  process.stdout.write(`${JSON.stringify({ params: propose(JSON.parse(line) as AskLine) })}\n`);
}
