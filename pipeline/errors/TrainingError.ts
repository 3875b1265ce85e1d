import { OppError } from './OppError.js';

/** Training cannot produce a sound model: a single class, too few rows, a loss that became NaN. */
export class TrainingError extends OppError {
  override name = 'TrainingError';

  /**
   * @param message - what went wrong and what to do about it.
   * @param division - the division whose model failed, when there is one.
   */
  constructor(
    message: string,
    readonly division?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
