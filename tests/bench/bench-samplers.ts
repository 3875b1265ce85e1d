import { RandomSampler, type Sampler } from '../../model/hpo/random-sampler.js';
import { OPTUNA_TPE_OPTIONS, TpeSampler } from '../../model/hpo/sampler.js';

/** Our samplers by the name the HPO benches give them, each made from a seed. */
export const OUR_SAMPLERS: Readonly<Record<string, (seed: number) => Sampler>> = {
  tpe: (seed) => new TpeSampler({ seed }),
  // Our TPE with Optuna's defaults (univariate, random start-up, …): separates the sampler's
  // settings from everything else when ours and Optuna's differ.
  'tpe-optuna-defaults': (seed) => new TpeSampler({ ...OPTUNA_TPE_OPTIONS, seed }),
  // Single changes from our defaults, for ablations (tests/bench/RESULTS.md).
  'tpe-magic-clip': (seed) => new TpeSampler({ seed, goodMinBandwidth: null }),
  'tpe-univariate': (seed) => new TpeSampler({ seed, multivariate: false }),
  'tpe-random-startup': (seed) => new TpeSampler({ seed, startup: 'random' }),
  random: (seed) => new RandomSampler({ seed }),
};
