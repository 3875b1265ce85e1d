import { OppError } from './OppError.js';

/**
 * A tracking call that failed: an MLflow server answered an error, could not be reached, or the
 * local run store could not be written. Training never sees it: {@link SafeTracker} turns it into
 * a warning. `code` is MLflow's `error_code` (e.g. `RESOURCE_DOES_NOT_EXIST`) when there is one.
 */
export class TrackingError extends OppError {
  override name = 'TrackingError';

  /**
   * @param message - what failed, naming the endpoint or path.
   * @param code - MLflow's `error_code`, when the server sent one.
   * @param statusCode - the HTTP status, when there was a response.
   */
  constructor(
    message: string,
    readonly code?: string,
    readonly statusCode?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isTrackingError(error: unknown): error is TrackingError {
  return error instanceof TrackingError;
}
