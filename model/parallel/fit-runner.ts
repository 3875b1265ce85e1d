import type { EpochLog } from '../training/fit-network.js';
import { type FitTask, type FitTaskResult, runFitTask } from '../training/fit-task.js';

/** Runs fit tasks: in this thread, one at a time, or on a pool of worker threads. */
export interface FitRunner {
  /** Number of tasks that can run at once. */
  readonly concurrency: number;
  run(task: FitTask, onEpoch?: (log: EpochLog) => void): Promise<FitTaskResult>;
  close(): Promise<void>;
}

/**
 * Runs tasks in this thread, strictly one after another (in submission order), so progress
 * is readable and the tf engine holds one model at a time.
 */
export function createSerialRunner(): FitRunner {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    concurrency: 1,
    run(task, onEpoch) {
      const result = tail.then(() => runFitTask(task, onEpoch));
      tail = result.catch(() => undefined);
      return result;
    },
    async close() {
      await tail;
    },
  };
}
