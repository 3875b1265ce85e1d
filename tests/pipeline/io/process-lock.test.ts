import { existsSync, mkdtempSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  acquireProcessLock,
  releaseProcessLock,
  withProcessLock,
} from '../../../pipeline/io/process-lock.js';

const lockIn = () => join(mkdtempSync(join(tmpdir(), 'opp-lock-')), 'x.lock');
const busy = (owner: number) => new Error(`busy: ${owner}`);
/** A process that runs for the whole test and is not this one. */
const otherLiveProcess = process.ppid;
/** A pid no process has (above Linux's pid_max). */
const deadProcess = 2 ** 22 + 1;

describe('acquireProcessLock', () => {
  it('writes this process id, lets its owner in again, and releases only its own lock', () => {
    const lock = lockIn();
    acquireProcessLock(lock, busy);
    expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
    acquireProcessLock(lock, busy);
    expect(() => acquireProcessLock(lock, busy, { reenter: false })).toThrow(`busy: ${process.pid}`);
    releaseProcessLock(lock);
    expect(existsSync(lock)).toBe(false);

    writeFileSync(lock, String(otherLiveProcess));
    releaseProcessLock(lock);
    expect(existsSync(lock)).toBe(true);
  });

  it('refuses a lock a running process holds and takes over one whose process is gone', () => {
    const lock = lockIn();
    writeFileSync(lock, String(otherLiveProcess));
    expect(() => acquireProcessLock(lock, busy)).toThrow(`busy: ${otherLiveProcess}`);
    writeFileSync(lock, String(deadProcess));
    acquireProcessLock(lock, busy);
    expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
  });
});

describe('withProcessLock', () => {
  const options = {
    timeoutMs: 2_000,
    pollMs: 5,
    timedOut: (owner: number) => new Error(`timed out: ${owner}`),
  };

  it('runs the calls of one process one after another and frees the lock after each', async () => {
    const lock = lockIn();
    const events: string[] = [];
    const task = (name: string) =>
      withProcessLock(
        lock,
        async () => {
          events.push(`${name} start`);
          await new Promise((done) => setTimeout(done, 10));
          events.push(`${name} end`);
          if (name === 'b') throw new Error('b failed');
          return name;
        },
        options,
      );
    const results = await Promise.allSettled([task('a'), task('b'), task('c')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
    expect(existsSync(lock)).toBe(false);
  });

  it('waits while another process holds the lock, and times out naming it', async () => {
    const lock = lockIn();
    writeFileSync(lock, String(otherLiveProcess));
    setTimeout(() => unlinkSync(lock), 50);
    expect(await withProcessLock(lock, async () => 'after the wait', options)).toBe('after the wait');

    writeFileSync(lock, String(otherLiveProcess));
    await expect(withProcessLock(lock, async () => 'never', { ...options, timeoutMs: 30 })).rejects.toThrow(
      `timed out: ${otherLiveProcess}`,
    );
  });
});
