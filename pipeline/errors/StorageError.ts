import { OppError } from './OppError.js';

/**
 * Table or blob storage failed or cannot be reached. `statusCode` is the HTTP status when the
 * service answered (undefined when it could not be reached at all).
 */
export class StorageError extends OppError {
  override name = 'StorageError';

  constructor(
    message: string,
    readonly statusCode?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isStorageError(error: unknown): error is StorageError {
  return error instanceof StorageError;
}
