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
 * compiled JavaScript, `exportName` the {@link ObjectiveFunction} it exports — or, with
 * `context`, an {@link ObjectiveFactory} that each worker calls once with `context`.
 */
export interface ObjectiveModule {
  readonly module: string;
  /** @default 'objective' */
  readonly exportName?: string;
  /**
   * Structured-clonable data (file paths, a config, a seed) handed to the export, which is
   * then a factory: what a worker sets up once (e.g. loading a data set) rather than per trial.
   */
  readonly context?: unknown;
}

/**
 * Makes a worker's objective from its {@link ObjectiveModule.context}; called once per worker
 * thread, before its first trial. Throwing fails the study's start, before any trial runs.
 */
export type ObjectiveFactory = (context: unknown) => ObjectiveFunction | Promise<ObjectiveFunction>;
