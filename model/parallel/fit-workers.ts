import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { OppError } from '../../pipeline/errors/OppError.js';
import { PACKAGE_ROOT } from '../../pipeline/util/package-root.js';
import type { BackendName } from '../tf/backend.js';
import type { EpochLog } from '../training/fit-network.js';
import type { FitTask, FitTaskResult } from '../training/fit-task.js';
import { createSerialRunner, type FitRunner } from './fit-runner.js';
import type { WorkerReply } from './fit-worker.js';
import { WorkerPool } from './WorkerPool.js';
import { workerThreadsFor } from './worker-threads.js';

/**
 * The worker file's name beside the bundle, in an action bundle that ships its own worker
 * (actions/bundle.mjs defines it for actions with a `src/fit-worker.ts`); undefined elsewhere.
 */
declare const OPP_BUNDLED_FIT_WORKER: string | undefined;

/**
 * The worker script. In an action bundle that ships one, the worker bundle beside it (so the
 * bundle never mixes its own code with a build/ of the checkout). Otherwise the compiled
 * JavaScript under build/ (resolved from PACKAGE_ROOT, so it works from source under vitest,
 * from build/, and from an installed package): Node cannot start a worker from a .ts file, and
 * `npm test` builds first (pretest).
 */
export const FIT_WORKER_SCRIPT =
  typeof OPP_BUNDLED_FIT_WORKER === 'string'
    ? fileURLToPath(new URL(OPP_BUNDLED_FIT_WORKER, import.meta.url))
    : join(PACKAGE_ROOT, 'build', 'model', 'parallel', 'fit-worker.js');

/**
 * Fit tasks on `concurrency` worker threads, each on its own tfjs backend (tfjs-backend-wasm
 * has no threads in Node, so this is how several cores get used). Tasks are self-contained and
 * seeded, so results do not depend on which worker runs which task. A worker that dies fails
 * its task and is replaced ({@link WorkerPool}).
 *
 * @param backend - the backend each worker uses (it announces nothing; the caller does).
 * @throws OppError when the compiled worker script is missing (run `npm run build`).
 */
export function startFitWorkers(concurrency: number, backend: BackendName): FitRunner {
  if (!existsSync(FIT_WORKER_SCRIPT)) {
    throw new OppError(`worker script ${FIT_WORKER_SCRIPT} is missing: run \`npm run build\` first`);
  }
  const pool = new WorkerPool({
    size: concurrency,
    spawn: () => new Worker(FIT_WORKER_SCRIPT, { workerData: { backend } }),
  });
  return {
    concurrency,
    run: (task: FitTask, onEpoch?: (log: EpochLog) => void) =>
      pool.run<FitTaskResult>({
        post: (worker) => worker.postMessage(task),
        onMessage: (message) => {
          const reply = message as WorkerReply;
          if (reply.type === 'epoch') {
            onEpoch?.(reply.log);
            return undefined;
          }
          if (reply.type === 'done') return { value: reply.result };
          const error = new OppError(`${task.label}: ${reply.message}`);
          error.name = reply.name;
          return { error };
        },
        onCrash: (code) => ({
          error: new OppError(`${task.label}: a training worker exited with code ${code}`),
        }),
      }),
    close: () => pool.close(),
  };
}

/**
 * The runner for `workers` threads: a pool of worker threads, or this thread alone for 1 and
 * for the native backends ({@link workerThreadsFor}; `announce` gets the line saying so).
 */
export function createFitRunner(
  requested: number,
  backend: BackendName,
  announce?: (line: string) => void,
): FitRunner {
  const { workers, note } = workerThreadsFor(requested, backend);
  if (note) announce?.(note);
  return workers > 1 ? startFitWorkers(workers, backend) : createSerialRunner();
}
