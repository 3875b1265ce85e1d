import { parentPort, workerData } from 'node:worker_threads';
import { type BackendName, useBackend } from '../tf/backend.js';
import type { EpochLog } from '../training/fit-network.js';
import { type FitTask, type FitTaskResult, runFitTask } from '../training/fit-task.js';

/** What a training worker sends back for the task it is running. */
export type WorkerReply =
  | { type: 'epoch'; log: EpochLog }
  | { type: 'done'; result: FitTaskResult }
  | { type: 'error'; name: string; message: string };

// Started by startFitWorkers (fit-workers.ts): set the backend once, then run tasks one at a time as they arrive.
if (parentPort) {
  const port = parentPort;
  const ready = useBackend((workerData as { backend: BackendName }).backend);
  let tail: Promise<void> = Promise.resolve();
  port.on('message', (task: FitTask) => {
    tail = tail.then(async () => {
      try {
        await ready;
        const result = await runFitTask(task, (log) =>
          port.postMessage({ type: 'epoch', log } satisfies WorkerReply),
        );
        port.postMessage({ type: 'done', result } satisfies WorkerReply);
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        port.postMessage({ type: 'error', name: e.name, message: e.message } satisfies WorkerReply);
      }
    });
  });
}
