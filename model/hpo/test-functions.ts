import { setTimeout as sleep } from 'node:timers/promises';
import type { Params, SearchSpace } from './distributions.js';
import type { TrialReporter } from './objective.js';

/**
 * Standard optimisation test functions (Dixon & Szegő 1978; Surjanovic & Bingham, "Virtual
 * Library of Simulation Experiments") as search spaces and objectives, for the HPO benchmark
 * and tests. Same definitions and boxes as `shared/anchors/reference_hpo.py`. All are minimised.
 */
export interface TestFunction {
  readonly name: string;
  readonly space: SearchSpace;
  readonly globalMinimum: number;
  evaluate(params: Params): number;
}

function box(names: readonly string[], low: number, high: number): SearchSpace {
  return { params: names.map((name) => ({ name, distribution: { type: 'float', low, high, log: false } })) };
}

const X = (n: number) => Array.from({ length: n }, (_, i) => `x${i}`);

/** Branin-Hoo on x1 ∈ [−5, 10], x2 ∈ [0, 15]; minimum 0.397887 at three points. */
export const branin: TestFunction = {
  name: 'branin',
  space: {
    params: [
      { name: 'x1', distribution: { type: 'float', low: -5, high: 10, log: false } },
      { name: 'x2', distribution: { type: 'float', low: 0, high: 15, log: false } },
    ],
  },
  globalMinimum: 0.397887,
  evaluate(params) {
    const x1 = params.x1 as number;
    const x2 = params.x2 as number;
    const b = 5.1 / (4 * Math.PI ** 2);
    const c = 5 / Math.PI;
    const t = 1 / (8 * Math.PI);
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
  },
};

const A6 = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const P6 = [
  [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
  [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
  [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.665],
  [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
];
const C6 = [1, 1.2, 3, 3.2];

/** Hartmann-6 on [0, 1]⁶; minimum −3.322368. */
export const hartmann6: TestFunction = {
  name: 'hartmann6',
  space: box(X(6), 0, 1),
  globalMinimum: -3.322368,
  evaluate(params) {
    let sum = 0;
    for (let i = 0; i < 4; i++) {
      let inner = 0;
      for (let j = 0; j < 6; j++) inner += A6[i]![j]! * ((params[`x${j}`] as number) - P6[i]![j]!) ** 2;
      sum += C6[i]! * Math.exp(-inner);
    }
    return -sum;
  },
};

/** The shift of {@link sphere10}'s minimum away from the box's centre (where the TPE prior sits). */
export const SPHERE_SHIFT = 1.234;

/** Σ (xᵢ − 1.234)² on [−5, 5]¹⁰; minimum 0. */
export const sphere10: TestFunction = {
  name: 'sphere10',
  space: box(X(10), -5, 5),
  globalMinimum: 0,
  evaluate(params) {
    let sum = 0;
    for (let i = 0; i < 10; i++) sum += ((params[`x${i}`] as number) - SPHERE_SHIFT) ** 2;
    return sum;
  },
};

/** The benchmark's functions, by name. */
export const TEST_FUNCTIONS: readonly TestFunction[] = [branin, hartmann6, sphere10];

/** An objective module export for worker tests: Branin of `params`. */
export async function braninObjective(params: Params): Promise<number> {
  return branin.evaluate(params);
}

/** Milliseconds {@link slowBraninObjective} waits, so a test can kill a study mid-way. */
export const SLOW_TRIAL_MS = 40;

/** An objective module export: Branin after a short wait, like a (very) small training run. */
export async function slowBraninObjective(params: Params): Promise<number> {
  await sleep(SLOW_TRIAL_MS);
  return branin.evaluate(params);
}

/** Epochs {@link braninEpochsObjective} "trains" for. */
export const EPOCHS = 8;

/**
 * An objective module export that imitates training: it reports a loss per "epoch" that
 * decays towards Branin of `params` (so bad settings look bad from the first epoch), and
 * stops when told to prune.
 */
export async function braninEpochsObjective(params: Params, reporter: TrialReporter): Promise<number> {
  const final = branin.evaluate(params);
  let loss = final;
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    loss = final + 50 / (epoch + 1);
    if (await reporter.report(epoch, loss)) reporter.prune();
  }
  return loss;
}

/**
 * An objective module export whose worker thread dies (exit code 3) when x1 < 0, as an
 * out-of-memory crash would: the study must fail that trial and go on with a new thread.
 */
export async function crashingBraninObjective(params: Params): Promise<number> {
  if ((params.x1 as number) < 0) process.exit(3);
  return branin.evaluate(params);
}
