import { OppError } from './OppError.js';

/** Another run holds the ingest lease; this run did not start. */
export class LeaseHeldError extends OppError {
  override name = 'LeaseHeldError';

  /**
   * @param holder - who holds the lease (host:pid:nonce).
   * @param expiresAt - when the holder's lease runs out unless renewed.
   */
  constructor(
    message: string,
    readonly holder: string,
    readonly expiresAt: Date,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isLeaseHeldError(error: unknown): error is LeaseHeldError {
  return error instanceof LeaseHeldError;
}
