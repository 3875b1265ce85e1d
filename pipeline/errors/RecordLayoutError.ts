import { OppError } from './OppError.js';

/**
 * The record table was written with another partition layout than this version of opp writes
 * and reads (e.g. the old 16-partition one). Mixing layouts would store a record twice, so opp
 * refuses the table instead of guessing.
 */
export class RecordLayoutError extends OppError {
  override name = 'RecordLayoutError';

  /**
   * @param found - the layout found (`legacy` when rows exist but no layout is recorded).
   * @param expected - the layout this version uses.
   */
  constructor(
    message: string,
    readonly found: string,
    readonly expected: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
