import { RandomSampler, type Sampler } from '../../model/hpo/random-sampler.js';
import { OPTUNA_TPE_OPTIONS, TpeSampler } from '../../model/hpo/sampler.js';

/** Our samplers by the name the HPO benches give them, each made from a seed. */
export const OUR_SAMPLERS: Readonly<Record<string, (seed: number) => Sampler>> = {
  tpe: (seed) => new TpeSampler({ seed }),
  // Our TPE with Optuna's defaults (univariate, random start-up, …): separates the sampler's
  // settings from everything else when ours and Optuna's differ.
  'tpe-optuna-defaults': (seed) => new TpeSampler({ ...OPTUNA_TPE_OPTIONS, seed }),
  // Ours with one independent TPE per parameter: how much the joint kernels concentrate the search.
  'tpe-univariate': (seed) => new TpeSampler({ seed, multivariate: false }),
  random: (seed) => new RandomSampler({ seed }),
};
