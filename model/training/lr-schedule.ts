import { median } from '../metrics/summary.js';

/**
 * `training.lrSchedule: {"reduceOnPlateau": …}`: the learning rate is multiplied by `factor`
 * once more than `patience` epochs in a row have not lowered the validation loss by a relative
 * 1e-4 (PyTorch's `ReduceLROnPlateau` defaults, mode `min`). At the seed's learning rate and
 * batch 64 the network overfits within a few epochs; a smaller step then keeps improving where
 * early stopping would otherwise end the fit (UCI bank: +0.005 test AUC, tests/bench/RESULTS.md).
 */
export interface PlateauSettings {
  factor: number;
  patience: number;
}

/** Relative improvement a validation loss needs to count as better (PyTorch's default). */
const PLATEAU_THRESHOLD = 1e-4;

/**
 * The learning rate of each epoch of one fit: constant, cut on plateaus of the validation loss,
 * or given per epoch (a final fit without validation rows replays its cross-validation's).
 */
export class LearningRates {
  private current: number;
  private best = Number.POSITIVE_INFINITY;
  private bad = 0;

  /**
   * @param base - the configured learning rate.
   * @param plateau - cut on plateaus (needs {@link observe} after each epoch).
   * @param rates - the rate of each epoch (1-based epoch e → rates[e − 1], the last one after); wins over `plateau`.
   */
  constructor(
    base: number,
    private readonly plateau?: PlateauSettings,
    private readonly rates?: readonly number[],
  ) {
    this.current = base;
  }

  /** The rate to train epoch `epoch` (1-based) with. */
  at(epoch: number): number {
    if (this.rates && this.rates.length > 0) return this.rates[Math.min(epoch, this.rates.length) - 1]!;
    return this.current;
  }

  /** Takes an epoch's validation loss; the next {@link at} may be lower. */
  observe(valLoss: number): void {
    if (!this.plateau || this.rates) return;
    if (valLoss < this.best * (1 - PLATEAU_THRESHOLD)) {
      this.best = valLoss;
      this.bad = 0;
    } else if (++this.bad > this.plateau.patience) {
      this.current *= this.plateau.factor;
      this.bad = 0;
    }
  }
}

/**
 * The per-epoch rates a final fit of `epochs` epochs replays: at each epoch, the median of the
 * cross-validation folds' rates (a fold that stopped earlier keeps its last rate).
 */
export function replayedRates(
  folds: readonly (readonly { learningRate?: number }[])[],
  epochs: number,
  base: number,
): number[] {
  if (folds.length === 0) return new Array<number>(epochs).fill(base);
  return Array.from({ length: epochs }, (_, e) =>
    median(folds.map((history) => history[Math.min(e, history.length - 1)]?.learningRate ?? base)),
  );
}
