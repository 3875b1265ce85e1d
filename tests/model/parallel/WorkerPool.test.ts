import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { type PoolTask, WorkerPool } from '../../../model/parallel/WorkerPool.js';

/**
 * A worker that answers `{ n }` with `{ n, double }`, exits with code 7 on `{ n: -1 }`, and
 * (with `failLoad`) says it cannot start instead of `ready`.
 */
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.failLoad) parentPort.postMessage({ type: 'load-error' });
else parentPort.postMessage({ type: 'ready' });
parentPort.on('message', ({ n }) => {
  if (n === -1) process.exit(7);
  setTimeout(() => parentPort.postMessage({ n, double: 2 * n }), 5);
});
`;

function pool(size: number, failLoad: () => boolean = () => false) {
  let spawned = 0;
  const workers = new WorkerPool({
    size,
    spawn: () => {
      spawned++;
      return new Worker(SCRIPT, { eval: true, workerData: { failLoad: failLoad() } });
    },
    ready: (worker) =>
      new Promise((resolve, reject) =>
        worker.once('message', (m: { type: string }) =>
          m.type === 'ready' ? resolve() : reject(new Error('cannot load')),
        ),
      ),
  });
  return { workers, spawned: () => spawned };
}

const double = (n: number): PoolTask<number> => ({
  post: (worker) => worker.postMessage({ n }),
  onMessage: (message) => {
    const m = message as { n: number; double: number };
    return m.n === n ? { value: m.double } : undefined;
  },
  onCrash: (code) => ({ error: new Error(`task ${n}: exited with code ${code}`) }),
});

describe('WorkerPool', () => {
  it('runs more tasks than workers, each once, one at a time per worker', async () => {
    const { workers } = pool(2);
    try {
      await workers.started;
      const results = await Promise.all([1, 2, 3, 4, 5].map((n) => workers.run(double(n))));
      expect(results).toEqual([2, 4, 6, 8, 10]);
    } finally {
      await workers.close();
    }
  });

  it('settles the task of a worker that dies as the task says, replaces the worker and goes on', async () => {
    const { workers, spawned } = pool(1);
    try {
      const crashed = workers.run(double(-1));
      const after = workers.run(double(21));
      await expect(crashed).rejects.toThrow('task -1: exited with code 7');
      expect(await after).toBe(42);
      expect(spawned()).toBe(2);
    } finally {
      await workers.close();
    }
  });

  it('ends the pool when a worker cannot start: started rejects, and so does every task', async () => {
    const { workers } = pool(2, () => true);
    try {
      await expect(workers.started).rejects.toThrow('cannot load');
      await expect(workers.run(double(1))).rejects.toThrow('cannot load');
    } finally {
      await workers.close();
    }
  });

  it('ends the pool when a replacement cannot start', async () => {
    let starts = 0;
    const { workers } = pool(1, () => starts++ > 0);
    try {
      await workers.started;
      await expect(workers.run(double(-1))).rejects.toThrow(/exited with code 7/);
      await expect(workers.run(double(1))).rejects.toThrow('cannot load');
    } finally {
      await workers.close();
    }
  });
});
