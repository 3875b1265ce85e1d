import { median } from '../metrics/summary.js';
import type { IntermediateValue, ObservedTrial } from './trial.js';

/** Decides whether a running trial should stop, from its intermediate losses and other trials'. */
export interface Pruner {
  /**
   * @param intermediate - the running trial's intermediate values as losses (lower is better), in step order.
   * @param trials - the study's other trials (finished ones carry their intermediate losses).
   * @returns true when the trial should stop now.
   */
  shouldPrune(intermediate: readonly IntermediateValue[], trials: readonly ObservedTrial[]): boolean;
}

/** Never prunes. */
export class NopPruner implements Pruner {
  shouldPrune(): boolean {
    return false;
  }
}

/** Options of {@link MedianPruner}; defaults are Optuna's `MedianPruner` defaults. */
export interface MedianPrunerOptions {
  /** No pruning until this many trials have completed. @default 5 */
  startupTrials?: number;
  /** No pruning before this step (e.g. the first epochs, which are noisy). @default 0 */
  warmupSteps?: number;
  /** Only consider pruning every this many steps after the warm-up. @default 1 */
  intervalSteps?: number;
  /** At least this many completed trials must have reported the current step. @default 1 */
  minTrials?: number;
}

/**
 * The median stopping rule (Golovin et al. 2017, "Google Vizier", §3.2.2): stop a trial at step
 * s when its best loss so far is worse than the median of the losses completed trials
 * reported at step s.
 */
export class MedianPruner implements Pruner {
  private readonly startupTrials: number;
  private readonly warmupSteps: number;
  private readonly intervalSteps: number;
  private readonly minTrials: number;

  /** @throws RangeError for negative counts or an interval below 1. */
  constructor(options: MedianPrunerOptions = {}) {
    this.startupTrials = options.startupTrials ?? 5;
    this.warmupSteps = options.warmupSteps ?? 0;
    this.intervalSteps = options.intervalSteps ?? 1;
    this.minTrials = options.minTrials ?? 1;
    if (this.startupTrials < 0)
      throw new RangeError(`startupTrials must be non-negative, but got ${this.startupTrials}`);
    if (this.warmupSteps < 0)
      throw new RangeError(`warmupSteps must be non-negative, but got ${this.warmupSteps}`);
    if (this.intervalSteps < 1)
      throw new RangeError(`intervalSteps must be at least 1, but got ${this.intervalSteps}`);
    if (this.minTrials < 1) throw new RangeError(`minTrials must be at least 1, but got ${this.minTrials}`);
  }

  shouldPrune(intermediate: readonly IntermediateValue[], trials: readonly ObservedTrial[]): boolean {
    const last = intermediate.at(-1);
    if (!last) return false;
    const complete = trials.filter((t) => t.state === 'complete');
    if (complete.length < this.startupTrials) return false;
    if (last.step < this.warmupSteps) return false;
    if ((last.step - this.warmupSteps) % this.intervalSteps !== 0) return false;
    const atStep = complete
      .map((t) => t.intermediate.find((v) => v.step === last.step)?.value)
      .filter((v): v is number => v !== undefined && !Number.isNaN(v));
    if (atStep.length < this.minTrials) return false;
    const best = Math.min(
      ...intermediate.map((v) => (Number.isNaN(v.value) ? Number.POSITIVE_INFINITY : v.value)),
    );
    return best > median(atStep);
  }
}

/** Options of {@link SuccessiveHalvingPruner}. */
export interface SuccessiveHalvingPrunerOptions {
  /** Steps every trial gets before its first promotion test (the first rung). @default 1 */
  minResource?: number;
  /** Each rung keeps the best 1/η of the trials that reached it. @default 4 */
  reductionFactor?: number;
}

/**
 * Asynchronous successive halving (Li et al. 2020, "A System for Massively Parallel
 * Hyperparameter Tuning", ASHA): rungs sit at steps minResource·ηᵏ; a trial reaching a rung
 * continues only if its loss there is within the best 1/η of all losses reported at that rung.
 */
export class SuccessiveHalvingPruner implements Pruner {
  private readonly minResource: number;
  private readonly reductionFactor: number;

  /** @throws RangeError for a resource below 1 or a reduction factor below 2. */
  constructor(options: SuccessiveHalvingPrunerOptions = {}) {
    this.minResource = options.minResource ?? 1;
    this.reductionFactor = options.reductionFactor ?? 4;
    if (this.minResource < 1)
      throw new RangeError(`minResource must be at least 1, but got ${this.minResource}`);
    if (this.reductionFactor < 2)
      throw new RangeError(`reductionFactor must be at least 2, but got ${this.reductionFactor}`);
  }

  shouldPrune(intermediate: readonly IntermediateValue[], trials: readonly ObservedTrial[]): boolean {
    const last = intermediate.at(-1);
    if (!last || !this.isRung(last.step)) return false;
    const atRung = trials
      .map((t) => t.intermediate.find((v) => v.step === last.step)?.value)
      .filter((v): v is number => v !== undefined && !Number.isNaN(v));
    const all = [...atRung, last.value].sort((a, b) => a - b);
    const keep = Math.max(1, Math.floor(all.length / this.reductionFactor));
    if (all.length < this.reductionFactor) return false;
    return last.value > all[keep - 1]!;
  }

  private isRung(step: number): boolean {
    for (let rung = this.minResource; rung <= step; rung *= this.reductionFactor)
      if (rung === step) return true;
    return false;
  }
}
