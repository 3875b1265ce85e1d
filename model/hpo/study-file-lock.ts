import { StudyError } from '../../pipeline/errors/StudyError.js';
import { acquireProcessLock, releaseProcessLock } from '../../pipeline/io/process-lock.js';

/** The lock file that marks a study file as in use by one process. */
export function studyLockPath(file: string): string {
  return `${file}.lock`;
}

/**
 * Takes the single-writer lock of a study file (`<file>.lock`, see {@link acquireProcessLock}):
 * a lock left by a killed process is taken over; the same process may open a study more than once.
 *
 * @throws StudyError when another running process holds the lock.
 */
export function acquireStudyLock(file: string): void {
  const lock = studyLockPath(file);
  try {
    acquireProcessLock(
      lock,
      (owner) =>
        new StudyError(
          `${file} is in use by process ${owner} (lock ${lock}): one process writes a study file at a time; wait for it, or use another study name`,
          file,
        ),
    );
  } catch (error) {
    if (error instanceof StudyError) throw error;
    throw new StudyError((error as Error).message, file, { cause: error });
  }
}

/** Releases the lock if this process holds it. */
export function releaseStudyLock(file: string): void {
  releaseProcessLock(studyLockPath(file));
}
