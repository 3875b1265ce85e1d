import type { Worker } from 'node:worker_threads';

/**
 * One task as a pool runs it on a worker: how to send it, how to read the worker's messages
 * while it runs, and what it becomes when the worker dies under it.
 */
export interface PoolTask<T> {
  /** Sends the task to the worker. */
  post(worker: Worker): void;
  /**
   * A message from the worker while this task runs: `{ value }` or `{ error }` when it ends the
   * task, undefined for one along the way (progress, a question answered on `worker`).
   */
  onMessage(message: unknown, worker: Worker): { value: T } | { error: Error } | undefined;
  /** What the task becomes when its worker thread exits under it (a crash, out of memory). */
  onCrash(exitCode: number): { value: T } | { error: Error };
}

export interface WorkerPoolOptions {
  /** Worker threads, ≥ 1. */
  size: number;
  /** Starts one worker thread. */
  spawn: () => Worker;
  /**
   * Resolves once a new worker can take tasks (e.g. it has loaded its code); rejects when it
   * cannot, which ends the pool: no task can run any more. Default: at once.
   */
  ready?: (worker: Worker) => Promise<void>;
}

interface Slot {
  worker: Worker;
  /** The task running on it, with how to settle it. */
  running?: { task: PoolTask<unknown>; settle: (outcome: { value: unknown } | { error: Error }) => void };
}

interface Queued {
  task: PoolTask<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * A fixed set of worker threads, each running one task at a time, tasks handed out in the order
 * they came. A worker that dies fails (or settles, as its task says) the task it ran and is
 * replaced, so a crash costs one task, not a thread; a replacement that cannot start ends
 * the pool with that error for every waiting and later task.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly idle: Slot[] = [];
  private readonly queue: Queued[] = [];
  private closed = false;
  private fatal: Error | undefined;
  /** Settles when every first worker is ready (or one could not start). */
  readonly started: Promise<void>;

  constructor(private readonly options: WorkerPoolOptions) {
    const starting: Promise<void>[] = [];
    for (let i = 0; i < options.size; i++) {
      const slot: Slot = { worker: options.spawn() };
      this.slots.push(slot);
      starting.push(this.start(slot));
    }
    this.started = Promise.all(starting).then(() => {
      if (this.fatal) throw this.fatal;
    });
    // A caller that never awaits `started` learns of a failed start from its tasks instead.
    this.started.catch(() => undefined);
  }

  get size(): number {
    return this.options.size;
  }

  /** Runs `task` on the next free worker. */
  run<T>(task: PoolTask<T>): Promise<T> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ task, resolve: resolve as (value: unknown) => void, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const queued of this.queue.splice(0)) queued.reject(new Error('the worker pool is closed'));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  /** Waits until the slot's worker is ready, then listens to it and offers it work. */
  private async start(slot: Slot): Promise<void> {
    const worker = slot.worker;
    // Errors surface through `exit` (and `ready`); an unhandled one would end the process.
    worker.on('error', () => undefined);
    // A worker that exits before it is ready (its code crashed while loading) cannot start.
    let exitedEarly: (code: number) => void = () => undefined;
    const early = new Promise<never>((_, reject) => {
      exitedEarly = (code) =>
        reject(new Error(`a worker thread exited with code ${code} before it was ready`));
    });
    worker.once('exit', exitedEarly);
    try {
      await Promise.race([this.options.ready?.(worker) ?? Promise.resolve(), early]);
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
      return;
    } finally {
      worker.off('exit', exitedEarly);
    }
    if (this.closed || slot.worker !== worker) return;
    worker.on('message', (message: unknown) => {
      const running = slot.running;
      const outcome = running?.task.onMessage(message, worker);
      if (running && outcome) {
        slot.running = undefined;
        this.idle.push(slot);
        running.settle(outcome);
        this.dispatch();
      }
    });
    worker.once('exit', (code) => {
      if (this.closed) return;
      const running = slot.running;
      slot.running = undefined;
      running?.settle(running.task.onCrash(code));
      slot.worker = this.options.spawn();
      void this.start(slot);
    });
    this.idle.push(slot);
    this.dispatch();
  }

  private dispatch(): void {
    while (!this.fatal && this.idle.length > 0 && this.queue.length > 0) {
      const slot = this.idle.shift()!;
      const { task, resolve, reject } = this.queue.shift()!;
      slot.running = {
        task,
        settle: (outcome) => ('error' in outcome ? reject(outcome.error) : resolve(outcome.value)),
      };
      task.post(slot.worker);
    }
  }

  /** A worker could not start: nothing can run any more. */
  private fail(error: Error): void {
    this.fatal ??= error;
    for (const queued of this.queue.splice(0)) queued.reject(this.fatal);
  }
}
