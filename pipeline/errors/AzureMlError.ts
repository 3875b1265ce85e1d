import { OppError } from './OppError.js';

/**
 * An Azure ML call or job failed. `statusCode` and `code` come from the service when it
 * answered; `logs` holds the job's or deployment's log tail when it could be fetched.
 */
export class AzureMlError extends OppError {
  override name = 'AzureMlError';

  constructor(
    message: string,
    readonly details: { statusCode?: number; code?: string; logs?: string } = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isAzureMlError(error: unknown): error is AzureMlError {
  return error instanceof AzureMlError;
}
