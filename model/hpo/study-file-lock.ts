import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { StudyError } from '../../pipeline/errors/StudyError.js';

/** The lock file that marks a study file as in use by one process. */
export function studyLockPath(file: string): string {
  return `${file}.lock`;
}

/**
 * Takes the single-writer lock of a study file: `<file>.lock` holding this process's id,
 * created atomically. A lock left by a process that no longer runs (killed mid-study) is taken
 * over; the same process may take its own lock again (it opens a study more than once).
 *
 * @throws StudyError when another running process holds the lock.
 */
export function acquireStudyLock(file: string): void {
  const lock = studyLockPath(file);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StudyError(`${lock}: cannot create the study lock: ${(error as Error).message}`, file, {
          cause: error,
        });
      }
    }
    const owner = readOwner(lock);
    if (owner === process.pid) return;
    if (owner !== undefined && isRunning(owner)) {
      throw new StudyError(
        `${file} is in use by process ${owner} (lock ${lock}): one process writes a study file at a time; wait for it, or use another study name`,
        file,
      );
    }
    // Its owner is gone: the lock is stale.
    try {
      unlinkSync(lock);
    } catch {
      // Another process took it over first; the next attempt sees its lock.
    }
  }
  throw new StudyError(`${lock}: could not take the study lock`, file);
}

/** Releases the lock if this process holds it. */
export function releaseStudyLock(file: string): void {
  const lock = studyLockPath(file);
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

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
