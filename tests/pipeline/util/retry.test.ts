import { describe, expect, it } from 'vitest';
import { readRetryAfter, withRetry } from '../../../pipeline/util/retry.js';

/** An action that fails `failures` times with `error`, then answers `done`. */
function flaky(failures: number, error: () => unknown = () => new Error('flaky')) {
  const calls: number[] = [];
  const action = async (attempt: number) => {
    calls.push(attempt);
    if (calls.length <= failures) throw error();
    return 'done';
  };
  return { action, calls };
}

describe('withRetry', () => {
  it('tries again until the action succeeds, waiting a jittered, doubling backoff', async () => {
    const { action, calls } = flaky(3);
    const waits: number[] = [];
    const result = await withRetry(action, () => true, {
      baseDelayMs: 100,
      maxDelayMs: 250,
      random: () => 0.5,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(result).toBe('done');
    expect(calls).toEqual([1, 2, 3, 4]);
    // 0.5 × min(250, 100 · 2^k): the third backoff is capped.
    expect(waits).toEqual([50, 100, 125]);
  });

  it('rethrows the last error once the attempts are spent, and at once when it is not retryable', async () => {
    const spent = flaky(10, () => new Error('still down'));
    await expect(
      withRetry(spent.action, () => true, { attempts: 3, sleep: async () => undefined }),
    ).rejects.toThrow('still down');
    expect(spent.calls).toEqual([1, 2, 3]);

    const fatal = flaky(10, () => new TypeError('bad request'));
    await expect(
      withRetry(fatal.action, (error) => !(error instanceof TypeError), { sleep: async () => undefined }),
    ).rejects.toThrow(TypeError);
    expect(fatal.calls).toEqual([1]);
  });

  it('waits what the error asks (retryAfterMs), capped by maxRetryAfterMs, and reports each retry', async () => {
    const hinted = (retryAfterMs: number) => Object.assign(new Error('busy'), { retryAfterMs });
    let n = 0;
    const hints = [700, 90_000];
    const waits: number[] = [];
    const retries: number[] = [];
    await withRetry(
      async () => {
        if (n < hints.length) throw hinted(hints[n++]!);
        return 1;
      },
      () => true,
      {
        maxRetryAfterMs: 60_000,
        sleep: async (ms) => void waits.push(ms),
        onRetry: ({ attempt, delayMs }) => retries.push(attempt, delayMs),
      },
    );
    expect(waits).toEqual([700, 60_000]);
    expect(retries).toEqual([1, 700, 2, 60_000]);
  });

  it('stops waiting when its signal aborts', async () => {
    const stop = new AbortController();
    const { action, calls } = flaky(10);
    const running = withRetry(action, () => true, {
      baseDelayMs: 60_000,
      random: () => 1,
      signal: stop.signal,
    });
    setTimeout(() => stop.abort(), 20);
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls).toEqual([1]);
  });
});

describe('readRetryAfter', () => {
  const now = Date.parse('2026-12-05T10:00:00Z');
  it.each([
    [{ 'retry-after-ms': '1500' }, 1500],
    [{ 'x-ms-retry-after-ms': '250', 'retry-after': '9' }, 250],
    [{ 'retry-after': '3' }, 3000],
    [{ 'retry-after': 'Sat, 05 Dec 2026 10:00:04 GMT' }, 4000],
    [{ 'retry-after': 'Sat, 05 Dec 2026 09:59:00 GMT' }, 0],
    [{ 'retry-after': 'soon' }, undefined],
    [{}, undefined],
  ])('reads %j as %j ms', (headers, ms) => {
    expect(readRetryAfter(new Headers(headers), now)).toBe(ms);
  });
});
