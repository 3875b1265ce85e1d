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

interface Job {
  task: FitTask;
  onEpoch?: ((log: EpochLog) => void) | undefined;
  resolve: (result: FitTaskResult) => void;
  reject: (error: Error) => void;
}

/**
 * A pool of worker threads, each running fit tasks one at a time on its own tfjs backend
 * (tfjs-backend-wasm has no threads in Node, so this is how several cores get used). Tasks
 * are self-contained and seeded, so results do not depend on which worker runs which task.
 */
export class WorkerPool implements FitRunner {
  private readonly idle: Worker[] = [];
  private readonly queue: Job[] = [];
  private readonly busy = new Map<Worker, Job>();
  private closed = false;

  /**
   * @param concurrency - worker threads to start (≥ 1).
   * @param backend - the backend each worker uses (it announces nothing; the caller does).
   * @throws OppError when the compiled worker script is missing (run `npm run build`).
   */
  constructor(
    readonly concurrency: number,
    backend: BackendName,
  ) {
    if (!existsSync(FIT_WORKER_SCRIPT)) {
      throw new OppError(`worker script ${FIT_WORKER_SCRIPT} is missing: run \`npm run build\` first`);
    }
    for (let i = 0; i < concurrency; i++) {
      const worker = new Worker(FIT_WORKER_SCRIPT, { workerData: { backend } });
      worker.on('message', (reply: WorkerReply) => this.onReply(worker, reply));
      worker.on('error', (error) => this.onFailure(worker, error));
      worker.on('exit', (code) => {
        if (!this.closed) this.onFailure(worker, new OppError(`a training worker exited with code ${code}`));
      });
      this.idle.push(worker);
    }
  }

  run(task: FitTask, onEpoch?: (log: EpochLog) => void): Promise<FitTaskResult> {
    if (this.closed) return Promise.reject(new OppError('the worker pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, onEpoch, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    await Promise.all(all.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.shift()!;
      const job = this.queue.shift()!;
      this.busy.set(worker, job);
      worker.postMessage(job.task);
    }
  }

  private onReply(worker: Worker, reply: WorkerReply): void {
    const job = this.busy.get(worker);
    if (!job) return;
    if (reply.type === 'epoch') {
      job.onEpoch?.(reply.log);
      return;
    }
    this.busy.delete(worker);
    this.idle.push(worker);
    if (reply.type === 'done') job.resolve(reply.result);
    else {
      const error = new OppError(`${job.task.label}: ${reply.message}`);
      error.name = reply.name;
      job.reject(error);
    }
    this.dispatch();
  }

  private onFailure(worker: Worker, error: Error): void {
    const job = this.busy.get(worker);
    this.busy.delete(worker);
    job?.reject(error);
    // A crashed worker is not reused; fail what is queued rather than wait forever.
    if (this.idle.length === 0 && this.busy.size === 0)
      for (const queued of this.queue.splice(0)) queued.reject(error);
  }
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
  return workers > 1 ? new WorkerPool(workers, backend) : createSerialRunner();
}
