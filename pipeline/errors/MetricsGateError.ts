import { OppError } from './OppError.js';

/**
 * A model that fails the metrics gate: `metric` came out at `actual` against the bound
 * `threshold` (a minimum, a maximum, or the production model's value less the allowed drop).
 * The message lists every failing check; the fields name the first one.
 */
export class MetricsGateError extends OppError {
  override name = 'MetricsGateError';

  /**
   * True once the failure has been shown to the user (e.g. the CLI printed the gate result),
   * so that the top-level handler does not print it a second time.
   */
  reported = false;

  /**
   * @param message - every failing check, one per line.
   * @param metric - the first failing metric (e.g. `auc`).
   * @param threshold - the bound it had to meet.
   * @param actual - the value it had.
   */
  constructor(
    message: string,
    readonly metric: string,
    readonly threshold: number,
    readonly actual: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isMetricsGateError(error: unknown): error is MetricsGateError {
  return error instanceof MetricsGateError;
}
