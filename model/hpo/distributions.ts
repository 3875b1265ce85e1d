import type { Random } from '../../pipeline/util/random.js';

/** One value of a hyper-parameter: a number for numeric parameters, any JSON scalar for categories. */
export type ParamValue = number | string | boolean;

/** The parameters of one trial, by name; a conditional parameter whose condition fails is absent. */
export type Params = Readonly<Record<string, ParamValue>>;

/**
 * A real-valued parameter on `[low, high]`: uniform (`log: false`), log-uniform (`log: true`,
 * uniform in `ln x`), or quantised (`step`: only `low + k·step` values, not with `log`).
 */
export interface FloatDistribution {
  readonly type: 'float';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  readonly step?: number;
}

/** An integer parameter on `[low, high]` in steps of `step` (1 when `log`), optionally log-scaled. */
export interface IntDistribution {
  readonly type: 'int';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  readonly step: number;
}

/** One of a fixed, ordered list of choices (their order carries no meaning). */
export interface CategoricalDistribution {
  readonly type: 'categorical';
  readonly choices: readonly ParamValue[];
}

export type Distribution = FloatDistribution | IntDistribution | CategoricalDistribution;

/**
 * When a conditional parameter exists: its parent `param` is present and its value is one of
 * `in`, and/or (numeric parents) within `[min, max]`. All given clauses must hold.
 */
export interface ParamCondition {
  readonly param: string;
  readonly in?: readonly ParamValue[];
  readonly min?: number;
  readonly max?: number;
}

/** A named parameter: its distribution and, for a conditional parameter, when it exists. */
export interface ParamSpec {
  readonly name: string;
  readonly distribution: Distribution;
  readonly when?: ParamCondition;
}

/**
 * A validated search space. `params` is in dependency order: every parent comes before the
 * parameters conditioned on it, so a sampler can walk it once.
 */
export interface SearchSpace {
  readonly params: readonly ParamSpec[];
}

/** True when `spec` exists given the parameters sampled so far (its parent, if any, is among them). */
export function isActive(spec: ParamSpec, params: Params): boolean {
  const when = spec.when;
  if (!when) return true;
  const parent = params[when.param];
  if (parent === undefined) return false;
  if (when.in && !when.in.includes(parent)) return false;
  if (when.min !== undefined && !(typeof parent === 'number' && parent >= when.min)) return false;
  if (when.max !== undefined && !(typeof parent === 'number' && parent <= when.max)) return false;
  return true;
}

/** True when `value` is a value `distribution` can produce (type, bounds, grid). */
export function contains(distribution: Distribution, value: ParamValue): boolean {
  if (distribution.type === 'categorical') return distribution.choices.includes(value);
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (value < distribution.low || value > distribution.high) return false;
  if (distribution.type === 'int' && !Number.isInteger(value)) return false;
  const step = distribution.step;
  if (step === undefined) return true;
  const k = (value - distribution.low) / step;
  return Math.abs(k - Math.round(k)) < GRID_TOLERANCE;
}

/** Relative slack for "on the grid" checks, which floating point rounding needs. */
const GRID_TOLERANCE = 1e-8;

/** Draws one value uniformly (log-uniformly for `log`) from `distribution`. */
export function sampleUniform(distribution: Distribution, random: Random): ParamValue {
  if (distribution.type === 'categorical')
    return distribution.choices[random.int(distribution.choices.length)]!;
  const box = internalBox(distribution);
  return decodeValue(distribution, random.uniform(box.low, box.high));
}

/**
 * The box a numeric distribution lives in once encoded for a Parzen estimator: `ln` of the
 * bounds for log scales, widened by half a step on each side for quantised values so every grid
 * point owns an equal interval (Bergstra et al. 2011, §4's `quniform`).
 */
export function internalBox(distribution: FloatDistribution | IntDistribution): {
  low: number;
  high: number;
} {
  const half = distribution.step === undefined ? 0 : distribution.step / 2;
  if (distribution.log) {
    return { low: Math.log(distribution.low - half), high: Math.log(distribution.high + half) };
  }
  return { low: distribution.low - half, high: distribution.high + half };
}

/**
 * The grid step in the encoded space, or undefined where the encoded space is continuous
 * (continuous floats, and log-scaled integers, whose log grid is not even: they are treated as
 * continuous in `ln x` and rounded on decoding, as Optuna does).
 */
export function internalStep(distribution: FloatDistribution | IntDistribution): number | undefined {
  return distribution.log ? undefined : distribution.step;
}

/** A parameter value in the estimator's encoding: `ln x` for log scales, the choice index for categories. */
export function encodeValue(distribution: Distribution, value: ParamValue): number {
  if (distribution.type === 'categorical') return distribution.choices.indexOf(value);
  const x = value as number;
  return distribution.log ? Math.log(x) : x;
}

/** The inverse of {@link encodeValue}, snapping to the grid and clamping to the bounds. */
export function decodeValue(distribution: Distribution, x: number): ParamValue {
  if (distribution.type === 'categorical') return distribution.choices[Math.round(x)]!;
  let value = distribution.log ? Math.exp(x) : x;
  const step = distribution.step;
  if (step !== undefined) {
    value = distribution.low + Math.round((value - distribution.low) / step) * step;
    // Remove the float noise `k·step` leaves (0.1 + 2·0.1 = 0.30000000000000004).
    value = Number(value.toPrecision(12));
  }
  return Math.min(distribution.high, Math.max(distribution.low, value));
}
