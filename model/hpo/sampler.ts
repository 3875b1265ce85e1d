import type { Random } from '../../pipeline/util/random.js';
import {
  decodeValue,
  encodeValue,
  isActive,
  type ParamSpec,
  type Params,
  type ParamValue,
  type SearchSpace,
} from './distributions.js';
import { ParzenEstimator, type ParzenEstimatorOptions } from './parzen-estimator.js';
import {
  type Sampler,
  sampleSpaceLatinHypercube,
  sampleSpaceUniform,
  trialRandom,
} from './random-sampler.js';
import type { ObservedTrial } from './trial.js';

/** Most good trials TPE keeps, however long the study (Optuna's `default_gamma` cap). */
const MAX_GOOD_TRIALS = 25;
/** Share of trials counted as good by {@link defaultGamma}. */
const GOOD_FRACTION = 0.1;
/** How many of the newest trials keep full weight in {@link defaultWeights}. */
const FULL_WEIGHT_TRIALS = 25;

/**
 * How many of `n` trials form the good group l(x): ⌈0.1·n⌉, at most 25 (Optuna's
 * `default_gamma`; Watanabe 2023, §3.1 finds a linear γ with a cap robust).
 */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(GOOD_FRACTION * n), MAX_GOOD_TRIALS);
}

/**
 * Kernel weights of `n` trials in trial-number order: all 1 below 25 trials; beyond, the 25
 * newest weigh 1 and older ones ramp linearly from 1/n (hyperopt's "linear forgetting",
 * Optuna's `default_weights`).
 */
export function defaultWeights(n: number): number[] {
  if (n < FULL_WEIGHT_TRIALS) return new Array<number>(n).fill(1);
  const ramp = n - FULL_WEIGHT_TRIALS;
  const start = 1 / n;
  const weights: number[] = [];
  for (let i = 0; i < ramp; i++) weights.push(ramp === 1 ? start : start + ((1 - start) * i) / (ramp - 1));
  for (let i = 0; i < FULL_WEIGHT_TRIALS; i++) weights.push(1);
  return weights;
}

/** Default share of a range below which σ of l(x)'s kernels may not fall (see `goodMinBandwidth`). */
export const DEFAULT_GOOD_MIN_BANDWIDTH = 0.03;

/**
 * Options of {@link TpeSampler}. The defaults are opp's, chosen by the ablation in
 * tests/bench/RESULTS.md; {@link OPTUNA_TPE_OPTIONS} gives Optuna's `TPESampler` defaults.
 */
export interface TpeSamplerOptions {
  /** Seed of every random draw; same seed and same history ⇒ same suggestion. @default 0 */
  seed?: number;
  /** Finished (complete or pruned) trials drawn before TPE starts. @default 10 */
  startupTrials?: number;
  /** How start-up trials are drawn: independently at random, or as a Latin hypercube. @default 'latin-hypercube' */
  startup?: 'random' | 'latin-hypercube';
  /** Candidates drawn from l(x), of which the best by log l − log g is proposed. @default 48 */
  eiCandidates?: number;
  /** Number of good trials given the number of trials. @default {@link defaultGamma} */
  gamma?: (n: number) => number;
  /** Kernel weights given a group's size, oldest first. @default {@link defaultWeights} */
  weights?: (n: number) => number[];
  /**
   * Joint kernels over the parameters that exist together (Falkner et al. 2018; Watanabe 2023
   * §3.3 finds it helps), instead of one independent TPE per parameter. @default true
   */
  multivariate?: boolean;
  /** σ rule (see {@link ParzenEstimatorOptions.bandwidth}). @default 'neighbour' */
  bandwidth?: 'neighbour' | 'scott';
  /** Scale of the `scott` rule. @default 0.2 */
  scottScale?: number;
  /** Add the wide prior kernel. @default true */
  considerPrior?: boolean;
  /** Weight of the prior kernel (observations weigh 1). @default 2 */
  priorWeight?: number;
  /** Let the box's ends count as neighbours. @default false */
  considerEndpoints?: boolean;
  /** Magic clip for g(x) (and for l(x) when `goodMinBandwidth` is null). @default true */
  magicClip?: boolean;
  /**
   * Floor of σ in l(x), as a share of each range, replacing the magic clip there (which, with
   * few good trials, keeps l(x) almost as wide as the prior and TPE close to random search);
   * null keeps the magic clip, as Optuna does. @default 0.03
   */
  goodMinBandwidth?: number | null;
  /**
   * Count running trials as bad ones ("constant liar", Ginsbourger et al. 2010), so parallel
   * workers do not all propose the same point. No effect on serial studies. @default true
   */
  constantLiar?: boolean;
}

/** Optuna 3.x's `TPESampler()` defaults, for comparisons (univariate, random start-up, 24 candidates). */
export const OPTUNA_TPE_OPTIONS: Readonly<TpeSamplerOptions> = {
  startup: 'random',
  eiCandidates: 24,
  multivariate: false,
  bandwidth: 'neighbour',
  priorWeight: 1,
  goodMinBandwidth: null,
};

/**
 * The Tree-structured Parzen Estimator (Bergstra et al. 2011, "Algorithms for Hyper-Parameter
 * Optimization", NeurIPS; Watanabe 2023, arXiv:2304.11127). After `startupTrials` start-up
 * trials, each proposal splits the trials into the γ best (good) and the rest (bad), fits
 * Parzen estimators l(x) to the good and g(x) to the bad, draws `eiCandidates` points from
 * l(x) and proposes the one with the largest log l(x) − log g(x), which maximises expected
 * improvement under TPE's model.
 *
 * Conditional parameters: each group of parameters sharing one condition (each parameter,
 * without `multivariate`) is modelled from only the trials in which it existed, and sampled
 * only when its condition holds given the parameters already chosen: the "tree" of TPE.
 *
 * @example
 * const sampler = new TpeSampler({ seed: 7 });
 * const params = sampler.sample(space, observeTrials(finished, running, 'maximize'), 12);
 */
export class TpeSampler implements Sampler {
  private readonly seed: number;
  private readonly startupTrials: number;
  private readonly startup: 'random' | 'latin-hypercube';
  private readonly eiCandidates: number;
  private readonly gamma: (n: number) => number;
  private readonly weights: (n: number) => number[];
  private readonly constantLiar: boolean;
  private readonly multivariate: boolean;
  private readonly goodOptions: ParzenEstimatorOptions;
  private readonly badOptions: ParzenEstimatorOptions;

  /** @throws RangeError for a non-positive candidate count, a negative start-up count or bandwidth floor. */
  constructor(options: TpeSamplerOptions = {}) {
    this.seed = options.seed ?? 0;
    this.startupTrials = options.startupTrials ?? 10;
    this.startup = options.startup ?? 'latin-hypercube';
    this.eiCandidates = options.eiCandidates ?? 48;
    this.gamma = options.gamma ?? defaultGamma;
    this.weights = options.weights ?? defaultWeights;
    this.constantLiar = options.constantLiar ?? true;
    this.multivariate = options.multivariate ?? true;
    this.badOptions = {
      considerPrior: options.considerPrior ?? true,
      priorWeight: options.priorWeight ?? 2,
      magicClip: options.magicClip ?? true,
      considerEndpoints: options.considerEndpoints ?? false,
      multivariate: this.multivariate,
      bandwidth: options.bandwidth ?? 'neighbour',
      ...(options.scottScale === undefined ? {} : { scottScale: options.scottScale }),
    };
    const floor =
      options.goodMinBandwidth === undefined ? DEFAULT_GOOD_MIN_BANDWIDTH : options.goodMinBandwidth;
    this.goodOptions = floor === null ? this.badOptions : { ...this.badOptions, minBandwidthFactor: floor };
    if (!(this.startupTrials >= 0))
      throw new RangeError(`startupTrials must be non-negative, but got ${this.startupTrials}`);
    if (!(this.eiCandidates >= 1))
      throw new RangeError(`eiCandidates must be at least 1, but got ${this.eiCandidates}`);
    if (floor !== null && !(floor > 0 && floor <= 1))
      throw new RangeError(`goodMinBandwidth must be in (0, 1] or null, but got ${floor}`);
  }

  sample(space: SearchSpace, trials: readonly ObservedTrial[], number: number): Params {
    const random = trialRandom(this.seed, number);
    const finished = trials.filter((t) => t.state === 'complete' || t.state === 'pruned');
    if (finished.length < this.startupTrials) {
      return this.startup === 'latin-hypercube'
        ? sampleSpaceLatinHypercube(space, this.seed, number, this.startupTrials)
        : sampleSpaceUniform(space, random);
    }
    const { good, bad } = this.split(trials);
    const params: Record<string, ParamValue> = {};
    for (const group of parameterGroups(space, this.multivariate)) {
      if (!isActive(group[0]!, params)) continue;
      const values = this.sampleGroup(group, good, bad, random);
      group.forEach((spec, i) => {
        params[spec.name] = values[i]!;
      });
    }
    return params;
  }

  /** Splits usable trials into the γ(n) best and the rest, running trials always among the rest. */
  private split(trials: readonly ObservedTrial[]): { good: ObservedTrial[]; bad: ObservedTrial[] } {
    const ranked = rankTrials(trials);
    const running = this.constantLiar ? trials.filter((t) => t.state === 'running') : [];
    const goodCount = Math.min(ranked.length, this.gamma(ranked.length + running.length));
    return { good: ranked.slice(0, goodCount), bad: [...ranked.slice(goodCount), ...running] };
  }

  private sampleGroup(
    group: readonly ParamSpec[],
    good: readonly ObservedTrial[],
    bad: readonly ObservedTrial[],
    random: Random,
  ): ParamValue[] {
    const distributions = group.map((spec) => spec.distribution);
    const below = this.estimator(group, good, true);
    const above = this.estimator(group, bad, false);
    let best: number[] | undefined;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (const candidate of below.sample(random, this.eiCandidates)) {
      const score = below.logPdf(candidate) - above.logPdf(candidate);
      if (best === undefined || score > bestScore) {
        best = candidate;
        bestScore = score;
      }
    }
    return best!.map((x, i) => decodeValue(distributions[i]!, x));
  }

  private estimator(
    group: readonly ParamSpec[],
    trials: readonly ObservedTrial[],
    good: boolean,
  ): ParzenEstimator {
    const having = trials
      .filter((t) => group.every((spec) => t.params[spec.name] !== undefined))
      .sort((a, b) => a.number - b.number);
    const observations = having.map((t) =>
      group.map((spec) => encodeValue(spec.distribution, t.params[spec.name]!)),
    );
    const weights = this.weights(having.length).slice(0, having.length);
    return new ParzenEstimator(
      group.map((spec) => spec.distribution),
      observations,
      weights,
      good ? this.goodOptions : this.badOptions,
    );
  }
}

/**
 * Complete trials by loss, then pruned trials: those that got further first, then by their
 * last reported loss (Optuna's ordering; Watanabe 2023, §2.2). Failed and running trials are left out.
 */
export function rankTrials(trials: readonly ObservedTrial[]): ObservedTrial[] {
  const complete = trials
    .filter((t) => t.state === 'complete' && t.loss !== undefined && !Number.isNaN(t.loss))
    .sort((a, b) => a.loss! - b.loss! || a.number - b.number);
  const pruned = trials
    .filter((t) => t.state === 'pruned')
    .map((t) => {
      const last = t.intermediate.at(-1);
      return {
        t,
        step: last?.step ?? Number.NEGATIVE_INFINITY,
        loss: last?.value ?? Number.POSITIVE_INFINITY,
      };
    })
    .sort((a, b) => b.step - a.step || a.loss - b.loss || a.t.number - b.t.number)
    .map((p) => p.t);
  return [...complete, ...pruned];
}

/**
 * Parameters modelled together: one group per parameter (univariate TPE), or with
 * `multivariate` one group per distinct condition, so parameters that always exist together
 * share joint kernels. Groups come in dependency order.
 */
export function parameterGroups(space: SearchSpace, multivariate: boolean): ParamSpec[][] {
  if (!multivariate) return space.params.map((spec) => [spec]);
  const groups = new Map<string, ParamSpec[]>();
  for (const spec of space.params) {
    const key = JSON.stringify(spec.when ?? null);
    const group = groups.get(key);
    if (group) group.push(spec);
    else groups.set(key, [spec]);
  }
  return [...groups.values()];
}
