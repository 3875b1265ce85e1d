import { OppError } from './OppError.js';

/**
 * Thrown by an objective to stop a trial the pruner asked to stop. It is not a failure: the
 * study records the trial as `pruned`, with the intermediate values it reported.
 */
export class TrialPrunedError extends OppError {
  override name = 'TrialPrunedError';

  /** @param step - the step (e.g. epoch) at which the trial was stopped, when known. */
  constructor(
    readonly step?: number,
    options?: ErrorOptions,
  ) {
    super(step === undefined ? 'trial pruned' : `trial pruned at step ${step}`, options);
  }
}

/**
 * True for a {@link TrialPrunedError}, also one thrown by another copy of this module (an
 * objective loaded in a worker thread may import its own), so the check falls back to the name.
 */
export function isTrialPrunedError(error: unknown): error is TrialPrunedError {
  return error instanceof TrialPrunedError || (error instanceof Error && error.name === 'TrialPrunedError');
}
