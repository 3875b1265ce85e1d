import type { Params } from './distributions.js';

/** What an objective gets besides its parameters: a way to report progress and be pruned. */
export interface TrialReporter {
  /** The trial's number in its study. */
  readonly number: number;
  /**
   * Records an intermediate value (e.g. validation AUC after epoch `step`).
   *
   * @returns true when the pruner says the trial should stop: call {@link TrialReporter.prune}.
   */
  report(step: number, value: number): Promise<boolean>;
  /** Stops the trial as pruned by throwing a `TrialPrunedError`. */
  prune(): never;
}

/**
 * A function a study optimises: the objective value of one setting of the parameters (the
 * study's direction says whether lower or higher is better). Throwing fails the trial, except
 * for a `TrialPrunedError`, which prunes it.
 */
export type ObjectiveFunction = (params: Params, reporter: TrialReporter) => number | Promise<number>;

/**
 * An objective that worker threads import: `module` is an absolute path (or file URL) of
 * compiled JavaScript, `exportName` the {@link ObjectiveFunction} it exports.
 */
export interface ObjectiveModule {
  readonly module: string;
  /** @default 'objective' */
  readonly exportName?: string;
}
