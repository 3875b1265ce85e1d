/**
 * Base class of every error opp throws on purpose. Its message says what was wrong and,
 * where it can, what to do about it; `cause` keeps the underlying error.
 */
export class OppError extends Error {
  override name = 'OppError';
}

/** True for any error opp raised on purpose (as opposed to a bug or a library failure). */
export function isOppError(error: unknown): error is OppError {
  return error instanceof OppError;
}
