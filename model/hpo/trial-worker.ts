import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { isTrialPrunedError, TrialPrunedError } from '../../pipeline/errors/TrialPrunedError.js';
import { type FromWorker, loadObjective, type ToWorker } from './worker-protocol.js';

/**
 * The body of one trial worker thread (started by `runStudy` from the compiled build/): it
 * imports the objective once, then runs the trials it is sent one at a time, relaying
 * intermediate values to the main thread, which answers whether to prune.
 */
async function main(): Promise<void> {
  const port = parentPort;
  if (isMainThread || !port) throw new Error('trial-worker.js runs only as a worker thread');
  const send = (message: FromWorker) => port.postMessage(message);
  const pending = new Map<string, (prune: boolean) => void>();
  let objective: Awaited<ReturnType<typeof loadObjective>>;
  try {
    objective = await loadObjective(workerData as { module: string; exportName: string; context?: unknown });
  } catch (error) {
    send({ type: 'load-error', error: (error as Error).message });
    return;
  }
  port.on('message', (message: ToWorker) => {
    if (message.type === 'prune-answer') {
      pending.get(`${message.number}:${message.step}`)?.(message.prune);
      pending.delete(`${message.number}:${message.step}`);
      return;
    }
    const { number, params } = message;
    let lastStep: number | undefined;
    const reporter = {
      number,
      report(step: number, value: number): Promise<boolean> {
        lastStep = step;
        return new Promise<boolean>((resolve) => {
          pending.set(`${number}:${step}`, resolve);
          send({ type: 'report', number, step, value });
        });
      },
      prune(): never {
        throw new TrialPrunedError(lastStep);
      },
    };
    Promise.resolve()
      .then(() => objective(params, reporter))
      .then(
        (value) => send({ type: 'done', number, value }),
        (error: unknown) =>
          send(
            isTrialPrunedError(error)
              ? { type: 'pruned', number }
              : { type: 'failed', number, error: error instanceof Error ? error.message : String(error) },
          ),
      );
  });
  send({ type: 'ready' });
}

void main();
