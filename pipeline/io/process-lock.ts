import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { OppError } from '../errors/OppError.js';

/**
 * Takes a single-process lock: `lock` holding this process's id, created atomically. A lock
 * left by a process that no longer runs (killed, or the machine restarted) is taken over; the
 * same process may take its own lock again.
 *
 * @param inUse - the error to throw when another running process holds the lock.
 * @throws that error, or an OppError when the lock file cannot be written.
 */
export function acquireProcessLock(lock: string, inUse: (owner: number) => Error): void {
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
    if (owner === process.pid) return;
    if (owner !== undefined && isProcessRunning(owner)) throw inUse(owner);
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
