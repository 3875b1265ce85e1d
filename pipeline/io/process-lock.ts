import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { OppError } from '../errors/OppError.js';

/**
 * The one file lock of opp. Takes a single-process lock: `lock` holding this process's id,
 * created atomically. A lock left by a process that no longer runs (killed, or the machine
 * restarted) is taken over; the same process may take its own lock again unless `reenter` is
 * false.
 *
 * @param inUse - the error to throw when another running process (or, without `reenter`, this
 *   one) holds the lock.
 * @throws that error, or an OppError when the lock file cannot be written.
 */
export function acquireProcessLock(
  lock: string,
  inUse: (owner: number) => Error,
  { reenter = true }: { reenter?: boolean } = {},
): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new OppError(`${lock}: cannot create the lock: ${(error as Error).message}`, { cause: error });
      }
    }
    const owner = readOwner(lock);
    if (owner === process.pid && reenter) return;
    if (owner !== undefined && (owner === process.pid || isProcessRunning(owner))) throw inUse(owner);
    // Its owner is gone: the lock is stale.
    try {
      unlinkSync(lock);
    } catch {
      // Another process took it over first; the next attempt sees its lock.
    }
  }
  throw new OppError(`${lock}: could not take the lock`);
}

/** Releases the lock if this process holds it. */
export function releaseProcessLock(lock: string): void {
  if (readOwner(lock) !== process.pid) return;
  try {
    unlinkSync(lock);
  } catch {
    // Already gone.
  }
}

export interface WaitForLockOptions {
  /** How long to wait for another process's lock. */
  timeoutMs: number;
  /** How often to look again. @default 20 */
  pollMs?: number;
  /** The error to throw when the wait times out. */
  timedOut: (owner: number) => Error;
}

/** Calls for one lock in this process, run one after another (the lock lets its owner in again). */
const lockQueues = new Map<string, Promise<unknown>>();

/**
 * Runs `work` holding `lock` ({@link acquireProcessLock}), waiting while another running
 * process holds it; within this process, calls for one lock run one after another.
 *
 * @throws the `timedOut` error when another process holds the lock for over `timeoutMs`.
 */
export async function withProcessLock<T>(
  lock: string,
  work: () => Promise<T>,
  options: WaitForLockOptions,
): Promise<T> {
  const previous = lockQueues.get(lock) ?? Promise.resolve();
  const run = previous
    .catch(() => undefined)
    .then(async () => {
      await waitForLock(lock, options);
      try {
        return await work();
      } finally {
        releaseProcessLock(lock);
      }
    });
  lockQueues.set(lock, run);
  try {
    return await run;
  } finally {
    if (lockQueues.get(lock) === run) lockQueues.delete(lock);
  }
}

async function waitForLock(lock: string, options: WaitForLockOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
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
    if (Date.now() > deadline) throw options.timedOut(owner);
    await sleep(options.pollMs ?? 20);
  }
}

function readOwner(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(lock, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when a process with this id exists on this host (signal 0 only checks). */
export function isProcessRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
