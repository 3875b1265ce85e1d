import type { BackendName } from '../tf/backend.js';

/**
 * Backends on tfjs-node's native binding (libtensorflow). It is loaded once per process, and a
 * second worker thread that loads it fails (tfjs#8388, tfjs#2079); on a GPU, threads would also
 * share one device. So these backends run in one thread: one process per GPU (each Azure ML
 * job or each GPU runner of the retrain matrix is one such process).
 */
const NATIVE_BACKENDS: ReadonlySet<BackendName> = new Set(['node', 'node-gpu']);

/** How many worker threads to run for `requested` on `backend`, and why, when fewer. */
export function workerThreadsFor(
  requested: number,
  backend: BackendName,
): { workers: number; note?: string } {
  if (requested > 1 && NATIVE_BACKENDS.has(backend)) {
    return {
      workers: 1,
      note:
        `opp: ${requested} workers asked, running 1: the ${backend} backend (tfjs-node's native ` +
        'binding) cannot load in several worker threads; use one process per GPU instead',
    };
  }
  return { workers: Math.max(1, requested) };
}
