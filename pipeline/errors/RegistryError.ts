import { OppError } from './OppError.js';

/** A model registry operation failed: unknown model or version, a corrupt bundle, a bad stage change. */
export class RegistryError extends OppError {
  override name = 'RegistryError';

  /**
   * @param message - what failed and what to do about it.
   * @param model - the model name, when the failure concerns one model.
   * @param version - the model version, when the failure concerns one version.
   */
  constructor(
    message: string,
    readonly model?: string,
    readonly version?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
