import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { StudyError } from '../../pipeline/errors/StudyError.js';
import { PACKAGE_ROOT } from '../../pipeline/util/package-root.js';
import { WorkerPool } from '../parallel/WorkerPool.js';
import type { ObjectiveModule } from './objective.js';
import type { AskedTrial, TrialOutcome } from './study.js';
import { DEFAULT_OBJECTIVE_EXPORT, type FromWorker, type ToWorker } from './worker-protocol.js';

/** The compiled worker script: workers always run JavaScript from build/ (`npm run build`). */
const TRIAL_WORKER_PATH = join(PACKAGE_ROOT, 'build', 'model', 'hpo', 'trial-worker.js');

/** Runs one trial: its intermediate values go to `report`, which answers whether to prune. */
export interface TrialExecutor {
  run(trial: AskedTrial, report: (step: number, value: number) => boolean): Promise<TrialOutcome>;
  close(): Promise<void>;
}

/**
 * Starts `size` trial worker threads ({@link WorkerPool}) and waits until each has imported
 * the objective; each then runs one trial at a time. A worker that dies fails its trial and is
 * replaced.
 *
 * @throws StudyError when the build is missing or the objective module cannot be loaded.
 */
export async function startTrialWorkers(objective: ObjectiveModule, size: number): Promise<TrialExecutor> {
  if (!existsSync(TRIAL_WORKER_PATH)) {
    throw new StudyError(
      `${TRIAL_WORKER_PATH} is missing: run \`npm run build\` first (workers run compiled code)`,
    );
  }
  const pool = new WorkerPool({
    size,
    spawn: () =>
      new Worker(TRIAL_WORKER_PATH, {
        // Flags that only make sense for the main entry (e.g. --input-type of `node -e`) break a worker.
        execArgv: process.execArgv.filter((flag) => !flag.startsWith('--input-type')),
        workerData: {
          module: objective.module,
          exportName: objective.exportName ?? DEFAULT_OBJECTIVE_EXPORT,
          ...(objective.context === undefined ? {} : { context: objective.context }),
        },
      }),
    ready: (worker) => waitReady(worker, objective),
  });
  try {
    await pool.started;
  } catch (error) {
    await pool.close();
    throw error;
  }
  return {
    run: (trial, report) =>
      pool.run<TrialOutcome>({
        post: (worker) =>
          worker.postMessage({ type: 'run', number: trial.number, params: trial.params } satisfies ToWorker),
        onMessage: (raw, worker) => {
          const message = raw as FromWorker;
          if (!('number' in message) || message.number !== trial.number) return undefined;
          if (message.type === 'report') {
            const prune = report(message.step, message.value);
            worker.postMessage({
              type: 'prune-answer',
              number: message.number,
              step: message.step,
              prune,
            } satisfies ToWorker);
            return undefined;
          }
          if (message.type === 'done') return { value: { state: 'complete', value: message.value } };
          if (message.type === 'pruned') return { value: { state: 'pruned' } };
          return { value: { state: 'failed', error: message.error } };
        },
        // The study records a failed trial and goes on with the replacement thread.
        onCrash: (code) => ({
          value: { state: 'failed', error: `worker thread exited with code ${code} during the trial` },
        }),
      }),
    close: () => pool.close(),
  };
}

function waitReady(worker: Worker, objective: ObjectiveModule): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromWorker) => {
      if (message.type === 'ready') {
        worker.off('message', onMessage);
        resolve();
      } else if (message.type === 'load-error') {
        worker.off('message', onMessage);
        reject(new StudyError(`cannot load objective ${objective.module}: ${message.error}`));
      }
    };
    worker.on('message', onMessage);
    worker.once('error', (error) =>
      reject(new StudyError(`trial worker failed: ${error.message}`, undefined, { cause: error })),
    );
  });
}
