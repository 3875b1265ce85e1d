import { StorageError } from '../errors/StorageError.js';

/** HTTP statuses the storage layer branches on. */
export const HTTP_NOT_FOUND = 404;
export const HTTP_CONFLICT = 409;
export const HTTP_PRECONDITION_FAILED = 412;

/** An Azure SDK RestError (tables and blobs share the class; checked by name, as the SDK does). */
interface RestErrorLike extends Error {
  statusCode?: number;
  code?: string;
}

export function isRestError(error: unknown): error is RestErrorLike {
  return error instanceof Error && error.name === 'RestError';
}

/** The HTTP status of an Azure SDK error, or undefined (no answer, or not a RestError). */
export function restStatus(error: unknown): number | undefined {
  return isRestError(error) ? error.statusCode : undefined;
}

/** Wraps an Azure SDK failure in a StorageError that says what was being done. */
export function toStorageError(error: unknown, doing: string): StorageError {
  const status = restStatus(error);
  const code = isRestError(error) ? error.code : undefined;
  const detail =
    status === undefined
      ? `storage did not answer${code ? ` (${code})` : ''}: is Azurite running, or ${'OPP_STORAGE_CONNECTION_STRING'} right?`
      : `storage answered HTTP ${status}${code ? ` ${code}` : ''}`;
  return new StorageError(`${doing} failed: ${detail}`, status, { cause: error });
}
