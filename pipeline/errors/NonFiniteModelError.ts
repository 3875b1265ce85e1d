import { OppError } from './OppError.js';

/**
 * A model bundle holds a weight (or scaler, threshold, percentile) that is NaN or ±Infinity, or
 * scores a probe batch to something other than a probability in [0, 1]. Such a model must not
 * be saved, registered, deployed or served: retrain it.
 */
export class NonFiniteModelError extends OppError {
  override name = 'NonFiniteModelError';

  /**
   * @param message - which bundle, division and tensor, and what to do.
   * @param bundle - the bundle folder (or `division <n>` for one not yet saved).
   * @param division - the bundle's division.
   * @param tensor - the offending tensor, e.g. `layer 2 weights` or `probe output`.
   */
  constructor(
    message: string,
    readonly bundle: string,
    readonly division: number,
    readonly tensor: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
