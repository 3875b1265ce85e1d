import { OppError } from './OppError.js';

/**
 * The record source (search index or record API) failed after every retry, or answered with
 * something that is not its wire format. `statusCode` is the last HTTP status, if any.
 */
export class SourceError extends OppError {
  override name = 'SourceError';

  constructor(
    message: string,
    readonly statusCode?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
