import { Random } from '../../pipeline/util/random.js';
import {
  type Distribution,
  decodeValue,
  internalBox,
  isActive,
  type Params,
  type ParamValue,
  type SearchSpace,
  sampleUniform,
} from './distributions.js';
import type { ObservedTrial } from './trial.js';

/**
 * Proposes the parameters of one trial. `sample` must depend only on its arguments (and the
 * sampler's seed), so a study replays the same way and can resume on another machine.
 */
export interface Sampler {
  /**
   * @param space - the search space.
   * @param trials - every trial known so far, finished and running, in trial-number order.
   * @param number - the number of the trial to propose for.
   * @returns a value for every parameter whose condition holds, and for no other.
   */
  sample(space: SearchSpace, trials: readonly ObservedTrial[], number: number): Params;
}

/**
 * The random stream of trial `number` of a study seeded `seed`: one stream per trial, so what
 * trial 17 draws does not depend on how many draws trials 0-16 made, nor on which machine or
 * worker asked first.
 */
export function trialRandom(seed: number, number: number): Random {
  let h = Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(number + 1, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35);
  return new Random((h ^ (h >>> 13)) >>> 0);
}

/** Draws every active parameter uniformly (log-uniformly for log scales), in dependency order. */
export function sampleSpaceUniform(space: SearchSpace, random: Random): Params {
  const params: Record<string, ParamValue> = {};
  for (const spec of space.params) {
    if (isActive(spec, params)) params[spec.name] = sampleUniform(spec.distribution, random);
  }
  return params;
}

/** Options of {@link RandomSampler}. */
export interface RandomSamplerOptions {
  /** @default 0 */
  seed?: number;
}

/** Random search (Bergstra & Bengio 2012): every trial drawn independently and uniformly. */
export class RandomSampler implements Sampler {
  private readonly seed: number;

  constructor(options: RandomSamplerOptions = {}) {
    this.seed = options.seed ?? 0;
  }

  sample(space: SearchSpace, _trials: readonly ObservedTrial[], number: number): Params {
    return sampleSpaceUniform(space, trialRandom(this.seed, number));
  }
}

/**
 * A Latin-hypercube design for the first `strata` trials (McKay et al. 1979): in each
 * dimension, trial `number` falls in stratum perm(number mod strata) of `strata` equal slices
 * of the (encoded, e.g. log) range, at a random point inside it, so a few start-up trials
 * cover every range evenly instead of clumping. The permutations come from the study seed and
 * the jitter from the trial's own stream, so the design does not depend on trial order.
 */
export function sampleSpaceLatinHypercube(
  space: SearchSpace,
  seed: number,
  number: number,
  strata: number,
): Params {
  const random = trialRandom(seed, number);
  const design = new Random((Math.imul(seed, 0x2c1b3c6d) ^ 0x297a2d39) >>> 0);
  const params: Record<string, ParamValue> = {};
  for (const spec of space.params) {
    const perm = design.shuffle(Array.from({ length: strata }, (_, i) => i));
    if (!isActive(spec, params)) continue;
    const u = (perm[number % strata]! + random.next()) / strata;
    params[spec.name] = fromUnit(spec.distribution, u);
  }
  return params;
}

function fromUnit(distribution: Distribution, u: number): ParamValue {
  if (distribution.type === 'categorical') {
    return distribution.choices[
      Math.min(distribution.choices.length - 1, Math.floor(u * distribution.choices.length))
    ]!;
  }
  const box = internalBox(distribution);
  return decodeValue(distribution, box.low + u * (box.high - box.low));
}
