import { availableParallelism } from 'node:os';
import { isTrialPrunedError, TrialPrunedError } from '../../pipeline/errors/TrialPrunedError.js';
import type { ObjectiveFunction, ObjectiveModule, TrialReporter } from './objective.js';
import { type OpenStudyOptions, Study, type TrialOutcome } from './study.js';
import { countStates, type TrialRecord } from './trial.js';
import { startTrialWorkers, type TrialExecutor } from './trial-workers.js';

/** Where a running study stands, passed to {@link RunStudyOptions.onProgress} after each trial. */
export interface StudyProgress {
  /** Finished trials in the study, including those stored before this run. */
  readonly finished: number;
  /** The number of finished trials the run aims for. */
  readonly total: number;
  readonly complete: number;
  readonly pruned: number;
  readonly failed: number;
  /** The trial that just finished. */
  readonly last: TrialRecord;
  /** The best complete trial so far. */
  readonly best?: TrialRecord;
}

/** Options of {@link runStudy}: those of `Study.open`, plus what to run and how. */
export interface RunStudyOptions extends OpenStudyOptions {
  /**
   * What to optimise. A function runs in this thread (trials overlap only where it awaits);
   * an {@link ObjectiveModule} runs in worker threads, one trial per thread at a time.
   */
  objective: ObjectiveFunction | ObjectiveModule;
  /** Finished trials the study should have at the end; trials already stored count. */
  trials: number;
  /**
   * Trials run at once. @default all cores (`os.availableParallelism()`) for a module, 1 for a function
   */
  workers?: number;
  /** Called after each trial is stored. */
  onProgress?: (progress: StudyProgress) => void;
  /** Stops asking for new trials; running ones finish and are stored. */
  signal?: AbortSignal;
}

/** What {@link runStudy} did. */
export interface RunStudyResult {
  readonly study: Study;
  /** Every finished trial of the study, in number order. */
  readonly trials: readonly TrialRecord[];
  readonly best?: TrialRecord;
  /** Trials run by this call (a resumed study runs only the missing ones). */
  readonly ran: number;
  readonly complete: number;
  readonly pruned: number;
  readonly failed: number;
}

/**
 * Opens (or resumes) a study and runs trials until it has `trials` finished ones, `workers` at
 * a time, storing each as it finishes.
 *
 * Determinism: each trial's random draws come from (seed, trial number), and a sampler sees
 * trials in number order, so with `workers: 1` the same seed gives the same trials, and a
 * resumed study continues as the uninterrupted one would have. With several workers, trials
 * numbered below the sampler's start-up count are still the same (they depend on nothing
 * else), but later TPE proposals depend on which trials had finished (and which were running,
 * for the constant liar) when each was asked: that depends on timing, so it is not reproducible.
 *
 * @throws StudyError when the stored study does not match, the build is missing (workers), or
 * the objective module cannot be loaded; ConfigError never (the search space is checked earlier).
 */
export async function runStudy(options: RunStudyOptions): Promise<RunStudyResult> {
  const study = await Study.open(options);
  const isModule = typeof options.objective !== 'function';
  const workers = Math.max(1, options.workers ?? (isModule ? availableParallelism() : 1));
  const toRun = Math.max(0, options.trials - study.trials.length);
  if (toRun === 0)
    return { study, trials: study.trials, ...bestOf(study), ran: 0, ...countStates(study.trials) };
  const lanes = Math.min(workers, toRun);
  let executor: TrialExecutor;
  try {
    executor =
      typeof options.objective === 'function'
        ? inThreadExecutor(options.objective)
        : await startTrialWorkers(options.objective, lanes);
  } catch (error) {
    await study.close();
    throw error;
  }
  let ran = 0;
  // Finished trials come from the storage, so with a shared store those of other processes
  // count too: together they stop near the total (over by at most their running trials).
  const wanted = () => study.trials.length + study.runningCount < options.trials;
  const lane = async (): Promise<void> => {
    while (wanted() && !options.signal?.aborted) {
      const trial = await study.ask();
      const outcome = await executor.run(trial, (step, value) => study.report(trial.number, step, value));
      const last = await study.tell(trial.number, outcome);
      ran++;
      options.onProgress?.({
        ...countStates(study.trials),
        finished: study.trials.length,
        total: options.trials,
        last,
        ...bestOf(study),
      });
    }
  };
  try {
    await Promise.all(Array.from({ length: lanes }, lane));
  } finally {
    await executor.close();
    await study.close();
  }
  return { study, trials: study.trials, ...bestOf(study), ran, ...countStates(study.trials) };
}

function bestOf(study: Study): { best?: TrialRecord } {
  const best = study.bestTrial;
  return best ? { best } : {};
}

function inThreadExecutor(objective: ObjectiveFunction): TrialExecutor {
  return {
    async run(trial, report): Promise<TrialOutcome> {
      let lastStep: number | undefined;
      const reporter: TrialReporter = {
        number: trial.number,
        report: async (step, value) => {
          lastStep = step;
          return report(step, value);
        },
        prune: () => {
          throw new TrialPrunedError(lastStep);
        },
      };
      try {
        return { state: 'complete', value: await objective(trial.params, reporter) };
      } catch (error) {
        if (isTrialPrunedError(error)) return { state: 'pruned' };
        return { state: 'failed', error: error instanceof Error ? error.message : String(error) };
      }
    },
    async close() {},
  };
}
