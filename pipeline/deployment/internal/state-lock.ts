import { setTimeout as sleep } from 'node:timers/promises';
import { OppError } from '../../errors/OppError.js';
import { acquireProcessLock, releaseProcessLock } from '../../io/process-lock.js';

/** How long a state change waits for another process's lock on the endpoint (changes take milliseconds). */
const STATE_LOCK_TIMEOUT_MS = 30_000;
const STATE_LOCK_POLL_MS = 20;
/** State changes in this process, per state file: the process lock lets its owner in again. */
const stateQueues = new Map<string, Promise<unknown>>();

/**
 * Runs `work` holding the lock of a local endpoint's state file (`<file>.lock`, see
 * {@link acquireProcessLock}), waiting while another running process holds it; within this
 * process, calls for one file run one after another (the process lock lets its owner in again).
 *
 * @throws OppError when another process holds the lock for over 30 s.
 */
export async function withStateLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const previous = stateQueues.get(file) ?? Promise.resolve();
  const run = previous
    .catch(() => undefined)
    .then(async () => {
      await lockState(file);
      try {
        return await work();
      } finally {
        releaseProcessLock(`${file}.lock`);
      }
    });
  stateQueues.set(file, run);
  try {
    return await run;
  } finally {
    if (stateQueues.get(file) === run) stateQueues.delete(file);
  }
}

/** Takes the lock of a state file, waiting while another running process holds it. */
async function lockState(file: string): Promise<void> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + STATE_LOCK_TIMEOUT_MS;
  for (;;) {
    let owner: number | undefined;
    try {
      acquireProcessLock(lock, (pid) => {
        owner = pid;
        return new Error(`locked by ${pid}`);
      });
      return;
    } catch (error) {
      if (owner === undefined) throw error;
    }
    if (Date.now() > deadline) {
      throw new OppError(
        `${file} is locked by process ${owner} (lock ${lock}) for over ${STATE_LOCK_TIMEOUT_MS / 1000} s: is another opp deploy stuck? Stop it, or remove the lock if no such process runs`,
      );
    }
    await sleep(STATE_LOCK_POLL_MS);
  }
}
