import { OppError } from './OppError.js';

/**
 * A file of an untrusted artifact (another workflow run's upload, e.g. a fork's metrics report)
 * that was refused: missing, a symbolic link, not a regular file, too large, not UTF-8 JSON, or
 * not matching its schema. Nothing of a refused file is used.
 */
export class ArtifactError extends OppError {
  override name = 'ArtifactError';

  /**
   * @param message - what was wrong, already naming the file.
   * @param file - the file's fixed name inside the artifact (e.g. `pr.json`).
   */
  constructor(
    message: string,
    readonly file: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
