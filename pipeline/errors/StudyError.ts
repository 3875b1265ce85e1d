import { OppError } from './OppError.js';

/**
 * A hyper-parameter study that cannot be opened or continued: a study file made with another
 * search space or direction, a corrupt study file, a storage that refuses a write.
 */
export class StudyError extends OppError {
  override name = 'StudyError';

  /**
   * @param message - what was wrong and what to do about it.
   * @param study - the study's name or file, when there is one.
   */
  constructor(
    message: string,
    readonly study?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isStudyError(error: unknown): error is StudyError {
  return error instanceof StudyError;
}
