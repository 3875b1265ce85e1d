import type { Random } from '../../pipeline/util/random.js';
import { type Distribution, internalBox, internalStep } from './distributions.js';
import {
  logNormalMass,
  logNormalPdf,
  logSumExp,
  logTruncatedNormalBinMass,
  sampleTruncatedNormal,
} from './numerics.js';

/** Options of a {@link ParzenEstimator}; the defaults are Optuna's `TPESampler` defaults. */
export interface ParzenEstimatorOptions {
  /** Add a wide kernel (centre of the box, σ = its width) so unexplored regions keep some mass. @default true */
  considerPrior?: boolean;
  /** The prior kernel's weight, relative to observations weighted 1. @default 1 */
  priorWeight?: number;
  /** Clip σ from below at width / min(100, 1 + kernels) (Bergstra et al. 2011's "magic clip"). @default true */
  magicClip?: boolean;
  /** Let the box's end points count as neighbours of the outermost kernels. @default false */
  considerEndpoints?: boolean;
  /**
   * Whether the estimator models several parameters jointly (kernels are always joint over the
   * dimensions given); only changes the default `bandwidth`, as in Optuna. @default false
   */
  multivariate?: boolean;
  /**
   * How σ is chosen: `neighbour` (hyperopt's rule: the larger distance to the neighbouring
   * centres, per dimension) or `scott` (0.2·n^(−1/(d+4))·width, Optuna's multivariate rule after
   * Falkner et al. 2018). @default 'scott' when multivariate, else 'neighbour'
   */
  bandwidth?: 'neighbour' | 'scott';
  /** Scale of the `scott` rule (Optuna: 0.2). @default 0.2 */
  scottScale?: number;
  /**
   * When set, σ is clipped from below at this share of the range instead of by the magic clip
   * (Watanabe 2023's minimum bandwidth factor). @default undefined
   */
  minBandwidthFactor?: number;
}

/** Scale of the multivariate bandwidth rule (Optuna's SIGMA0_MAGNITUDE; Falkner et al. 2018). */
const MULTIVARIATE_SIGMA_SCALE = 0.2;
/** The magic clip never lets σ fall below width / this. */
const MAGIC_CLIP_MAX_KERNELS = 100;
/** σ floor without the magic clip. */
const MIN_SIGMA = 1e-12;

interface NumericDimension {
  readonly kind: 'numeric';
  readonly mus: Float64Array;
  readonly sigmas: Float64Array;
  /** ln of each kernel's mass inside the box: its truncation constant. */
  readonly logZ: Float64Array;
  readonly low: number;
  readonly high: number;
  readonly step: number | undefined;
}

interface CategoricalDimension {
  readonly kind: 'categorical';
  /** probs[k][c]: kernel k's probability of choice c. */
  readonly probs: readonly number[][];
}

type Dimension = NumericDimension | CategoricalDimension;

/**
 * A Parzen (kernel density) estimator over encoded parameter vectors: a weighted mixture with
 * one kernel per observation (a truncated normal per numeric dimension, a smoothed one-hot per
 * categorical dimension) plus an optional prior kernel. TPE builds one for the good trials,
 * l(x), and one for the rest, g(x) (Bergstra et al. 2011, "Algorithms for Hyper-Parameter
 * Optimization", NeurIPS, §4; Watanabe 2023, "Tree-structured Parzen Estimator: Understanding
 * Its Algorithm Components and Their Roles for Better Empirical Performance", arXiv:2304.11127).
 *
 * Points are encoded by {@link encodeValue}: `ln x` for log scales, choice index for categories.
 */
export class ParzenEstimator {
  private readonly logWeights: Float64Array;
  private readonly weights: number[];
  private readonly dimensions: Dimension[];

  /**
   * @param distributions - one per dimension.
   * @param observations - encoded points, one array of `distributions.length` numbers each.
   * @param weights - one non-negative weight per observation (see `defaultWeights`).
   * @param options - see {@link ParzenEstimatorOptions}.
   * @throws RangeError when weights and observations differ in number or the prior weight is not positive.
   */
  constructor(
    distributions: readonly Distribution[],
    observations: readonly (readonly number[])[],
    weights: readonly number[],
    options: ParzenEstimatorOptions = {},
  ) {
    if (weights.length !== observations.length) {
      throw new RangeError(
        `weights must match observations, but got ${weights.length} and ${observations.length}`,
      );
    }
    const priorWeight = options.priorWeight ?? 1;
    if (!(priorWeight > 0)) throw new RangeError(`priorWeight must be positive, but got ${priorWeight}`);
    const prior = (options.considerPrior ?? true) || observations.length === 0;
    const rawWeights = prior ? [...weights, priorWeight] : [...weights];
    const total = rawWeights.reduce((sum, w) => sum + w, 0);
    this.weights = rawWeights.map((w) => w / total);
    this.logWeights = Float64Array.from(this.weights, Math.log);
    this.dimensions = distributions.map((distribution, d) =>
      distribution.type === 'categorical'
        ? categoricalDimension(
            distribution.choices.length,
            observations.map((o) => o[d]!),
            prior,
            priorWeight,
          )
        : numericDimension(
            distribution,
            observations.map((o) => o[d]!),
            prior,
            options,
            distributions.length,
          ),
    );
  }

  /** Draws `count` encoded points: pick a kernel by weight, then draw each dimension from it. */
  sample(random: Random, count: number): number[][] {
    const points: number[][] = [];
    for (let i = 0; i < count; i++) {
      const k = random.weighted(this.weights);
      points.push(this.dimensions.map((dim) => sampleDimension(dim, k, random)));
    }
    return points;
  }

  /** ln of the mixture's density (probability mass for grid and categorical dimensions) at `point`. */
  logPdf(point: readonly number[]): number {
    const terms = new Float64Array(this.logWeights.length);
    for (let k = 0; k < terms.length; k++) {
      let sum = this.logWeights[k]!;
      for (let d = 0; d < this.dimensions.length; d++) sum += logKernel(this.dimensions[d]!, k, point[d]!);
      terms[k] = sum;
    }
    return logSumExp(terms);
  }
}

function categoricalDimension(
  choices: number,
  observed: readonly number[],
  prior: boolean,
  priorWeight: number,
): CategoricalDimension {
  // Each observation's kernel is its one-hot plus a uniform smoothing of priorWeight / kernels,
  // so one lucky choice cannot take all the mass; the prior kernel is uniform.
  const kernels = observed.length + (prior ? 1 : 0);
  const probs = observed.map((index) => {
    const row = new Array<number>(choices).fill(priorWeight / kernels);
    row[index] = row[index]! + 1;
    return normalise(row);
  });
  if (prior) probs.push(new Array<number>(choices).fill(1 / choices));
  return { kind: 'categorical', probs };
}

function numericDimension(
  distribution: Exclude<Distribution, { type: 'categorical' }>,
  observed: readonly number[],
  prior: boolean,
  options: ParzenEstimatorOptions,
  dimensionCount: number,
): NumericDimension {
  const { low, high } = internalBox(distribution);
  const step = internalStep(distribution);
  const width = high - low;
  const n = observed.length;
  let sigmas: number[];
  const bandwidth = options.bandwidth ?? (options.multivariate ? 'scott' : 'neighbour');
  if (bandwidth === 'scott') {
    const sigma =
      (options.scottScale ?? MULTIVARIATE_SIGMA_SCALE) *
      Math.max(n, 1) ** (-1 / (dimensionCount + 4)) *
      width;
    sigmas = observed.map(() => sigma);
  } else {
    sigmas = neighbourBandwidths(observed, low, high, prior, options.considerEndpoints ?? false);
  }
  const maxSigma = width;
  const minSigma =
    options.minBandwidthFactor !== undefined
      ? options.minBandwidthFactor * width
      : (options.magicClip ?? true)
        ? width / Math.min(MAGIC_CLIP_MAX_KERNELS, 1 + n + (prior ? 1 : 0))
        : MIN_SIGMA;
  sigmas = sigmas.map((s) => Math.min(maxSigma, Math.max(minSigma, s)));
  const mus = [...observed];
  if (prior) {
    mus.push(0.5 * (low + high));
    sigmas.push(width);
  }
  const muArray = Float64Array.from(mus);
  const sigmaArray = Float64Array.from(sigmas);
  const logZ = muArray.map((mu, k) =>
    logNormalMass((low - mu) / sigmaArray[k]!, (high - mu) / sigmaArray[k]!),
  );
  return {
    kind: 'numeric',
    mus: muArray,
    sigmas: sigmaArray,
    logZ,
    low,
    high,
    step,
  };
}

/**
 * Hyperopt's adaptive bandwidth (Bergstra et al. 2011, §4.2): σ of each kernel is the larger of
 * the distances to its left and right neighbours among the sorted centres (prior centre
 * included), the box's ends standing in as neighbours of the outermost ones only when
 * `considerEndpoints`.
 */
export function neighbourBandwidths(
  observed: readonly number[],
  low: number,
  high: number,
  prior: boolean,
  considerEndpoints: boolean,
): number[] {
  const centres = prior ? [...observed, 0.5 * (low + high)] : [...observed];
  const order = centres.map((_, i) => i).sort((a, b) => centres[a]! - centres[b]! || a - b);
  const sorted = [low, ...order.map((i) => centres[i]!), high];
  const sortedSigmas = order.map((_, j) =>
    Math.max(sorted[j + 1]! - sorted[j]!, sorted[j + 2]! - sorted[j + 1]!),
  );
  if (!considerEndpoints && sorted.length >= 4) {
    sortedSigmas[0] = sorted[2]! - sorted[1]!;
    sortedSigmas[sortedSigmas.length - 1] = sorted[sorted.length - 2]! - sorted[sorted.length - 3]!;
  }
  const sigmas = new Array<number>(centres.length);
  order.forEach((i, j) => {
    sigmas[i] = sortedSigmas[j]!;
  });
  return sigmas.slice(0, observed.length);
}

function sampleDimension(dim: Dimension, k: number, random: Random): number {
  if (dim.kind === 'categorical') return random.weighted(dim.probs[k]!);
  const x = sampleTruncatedNormal(random, dim.mus[k]!, dim.sigmas[k]!, dim.low, dim.high);
  if (dim.step === undefined) return x;
  // Snap to the grid point whose bin holds x; the box was widened by step/2 on each side.
  const grid = dim.low + dim.step / 2;
  const snapped = grid + Math.round((x - grid) / dim.step) * dim.step;
  return Math.min(dim.high - dim.step / 2, Math.max(grid, snapped));
}

function logKernel(dim: Dimension, k: number, x: number): number {
  if (dim.kind === 'categorical') return Math.log(dim.probs[k]![x] ?? 0);
  const mu = dim.mus[k]!;
  const sigma = dim.sigmas[k]!;
  if (dim.step !== undefined) return logTruncatedNormalBinMass(x, dim.step, mu, sigma, dim.low, dim.high);
  if (x < dim.low || x > dim.high) return Number.NEGATIVE_INFINITY;
  return logNormalPdf((x - mu) / sigma) - Math.log(sigma) - dim.logZ[k]!;
}

function normalise(row: number[]): number[] {
  let total = 0;
  for (const p of row) total += p;
  return row.map((p) => p / total);
}
