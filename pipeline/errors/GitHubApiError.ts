import { OppError } from './OppError.js';

/** A GitHub REST call that failed: `status` is the HTTP status (0 when no response came). */
export class GitHubApiError extends OppError {
  override name = 'GitHubApiError';

  /**
   * @param message - what failed and what to do about it.
   * @param operation - the call, e.g. `create comment on acme/opp#12`.
   * @param status - HTTP status, 0 for a network failure.
   */
  constructor(
    message: string,
    readonly operation: string,
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
