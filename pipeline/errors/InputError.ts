import { OppError } from './OppError.js';

/** A data file that cannot be read as a whole: bad syntax, a missing column, an unknown field. */
export class InputError extends OppError {
  override name = 'InputError';

  /**
   * @param message - what was wrong and what was expected.
   * @param file - the input file.
   * @param line - 1-based line number, when the fault is on one line.
   */
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isInputError(error: unknown): error is InputError {
  return error instanceof InputError;
}
