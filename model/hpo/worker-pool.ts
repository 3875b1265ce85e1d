import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { StudyError } from '../../pipeline/errors/StudyError.js';
import { PACKAGE_ROOT } from '../../pipeline/util/package-root.js';
import type { ObjectiveModule } from './objective.js';
import type { AskedTrial, TrialOutcome } from './study.js';
import { DEFAULT_OBJECTIVE_EXPORT, type FromWorker, type ToWorker } from './worker-protocol.js';

/** The compiled worker script: workers always run JavaScript from build/ (`npm run build`). */
export const TRIAL_WORKER_PATH = join(PACKAGE_ROOT, 'build', 'model', 'hpo', 'trial-worker.js');

/** Runs one trial: its intermediate values go to `report`, which answers whether to prune. */
export interface TrialExecutor {
  run(trial: AskedTrial, report: (step: number, value: number) => boolean): Promise<TrialOutcome>;
  close(): Promise<void>;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  current?:
    | { number: number; report: (step: number, value: number) => boolean; resolve: (o: TrialOutcome) => void }
    | undefined;
}

/**
 * A fixed set of worker threads, each importing the objective module once and running one
 * trial at a time. A worker that dies fails its trial and is replaced.
 */
export class TrialWorkerPool implements TrialExecutor {
  private readonly slots: Slot[] = [];
  private readonly waiting: { resolve: (slot: Slot) => void; reject: (error: Error) => void }[] = [];
  private closed = false;
  /** Set when a replacement worker cannot load the objective: no more trials can run. */
  private fatal: Error | undefined;

  private constructor(
    private readonly objective: ObjectiveModule,
    size: number,
  ) {
    for (let i = 0; i < size; i++) this.slots.push({ worker: this.spawn(), busy: false });
  }

  /**
   * Starts `size` workers and waits until each has imported the objective.
   *
   * @throws StudyError when the build is missing or the objective module cannot be loaded.
   */
  static async start(objective: ObjectiveModule, size: number): Promise<TrialWorkerPool> {
    if (!existsSync(TRIAL_WORKER_PATH)) {
      throw new StudyError(
        `${TRIAL_WORKER_PATH} is missing: run \`npm run build\` first (workers run compiled code)`,
      );
    }
    const pool = new TrialWorkerPool(objective, size);
    try {
      await Promise.all(pool.slots.map((slot) => waitReady(slot.worker, objective)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    for (const slot of pool.slots) pool.listen(slot);
    return pool;
  }

  async run(trial: AskedTrial, report: (step: number, value: number) => boolean): Promise<TrialOutcome> {
    const slot = await this.idleSlot();
    return new Promise<TrialOutcome>((resolve) => {
      slot.current = { number: trial.number, report, resolve };
      const message: ToWorker = { type: 'run', number: trial.number, params: trial.params };
      slot.worker.postMessage(message);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private spawn(): Worker {
    return new Worker(TRIAL_WORKER_PATH, {
      // Flags that only make sense for the main entry (e.g. --input-type of `node -e`) break a worker.
      execArgv: process.execArgv.filter((flag) => !flag.startsWith('--input-type')),
      workerData: {
        module: this.objective.module,
        exportName: this.objective.exportName ?? DEFAULT_OBJECTIVE_EXPORT,
        ...(this.objective.context === undefined ? {} : { context: this.objective.context }),
      },
    });
  }

  private listen(slot: Slot): void {
    const worker = slot.worker;
    worker.on('message', (message: FromWorker) => {
      const current = slot.current;
      if (!current || !('number' in message) || message.number !== current.number) return;
      if (message.type === 'report') {
        const prune = current.report(message.step, message.value);
        const answer: ToWorker = { type: 'prune-answer', number: message.number, step: message.step, prune };
        worker.postMessage(answer);
      } else if (message.type === 'done') {
        this.finish(slot, { state: 'complete', value: message.value });
      } else if (message.type === 'pruned') {
        this.finish(slot, { state: 'pruned' });
      } else if (message.type === 'failed') {
        this.finish(slot, { state: 'failed', error: message.error });
      }
    });
    worker.on('error', () => undefined);
    worker.once('exit', (code) => {
      if (this.closed) return;
      // The thread died (a crash, out of memory): fail its trial and start a replacement,
      // which must import the objective before it is given work.
      const current = slot.current;
      slot.current = undefined;
      current?.resolve({ state: 'failed', error: `worker thread exited with code ${code} during the trial` });
      slot.worker = this.spawn();
      waitReady(slot.worker, this.objective).then(
        () => {
          this.listen(slot);
          this.release(slot);
        },
        (error: Error) => {
          this.fatal = error;
          for (const waiter of this.waiting.splice(0)) waiter.reject(error);
        },
      );
    });
  }

  private finish(slot: Slot, outcome: TrialOutcome): void {
    const current = slot.current;
    slot.current = undefined;
    current?.resolve(outcome);
    this.release(slot);
  }

  /** An idle slot, marked busy at once so two callers never get the same one. */
  private idleSlot(): Promise<Slot> {
    if (this.fatal) return Promise.reject(this.fatal);
    const slot = this.slots.find((s) => !s.busy);
    if (slot) {
      slot.busy = true;
      return Promise.resolve(slot);
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** Hands a slot that became idle to the next waiting caller, or marks it idle. */
  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next.resolve(slot);
    else slot.busy = false;
  }
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
