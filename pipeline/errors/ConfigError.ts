import { OppError } from './OppError.js';

/** A config file (or a config-like input) that cannot be read or does not match its schema. */
export class ConfigError extends OppError {
  override name = 'ConfigError';

  /**
   * @param message - what was wrong, already naming the file and JSON path.
   * @param file - the config file, when there is one.
   */
  constructor(
    message: string,
    readonly file?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError;
}
