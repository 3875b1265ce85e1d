import { mkdir, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryError } from '../../errors/RegistryError.js';

/** How long to wait for a lock before giving up. */
const LOCK_TIMEOUT_MS = 15_000;
/** A lock older than this is taken to be left behind by a crashed process. */
const STALE_LOCK_MS = 60_000;
const RETRY_MS = 15;

/**
 * Runs `work` while holding a lock folder (`mkdir` is atomic on every local file system, also
 * between processes). A lock left by a crashed process is broken after a minute.
 */
export async function withDirLock<T>(lockDir: string, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(lockDir).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) await rm(lockDir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new RegistryError(`timed out waiting for lock ${lockDir}`);
      else await sleep(RETRY_MS);
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}
