/** Retry with exponential backoff and full jitter. For internal use. */

export interface RetryOptions {
  /** Tries in all, the first included. @default 5 */
  attempts?: number;
  /** Delay before the first retry, doubled each time. @default 250 */
  baseDelayMs?: number;
  /** Upper bound of one delay. @default 8000 */
  maxDelayMs?: number;
  /** Waits; injectable so tests do not sleep. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY = { attempts: 5, baseDelayMs: 250, maxDelayMs: 8000 } as const;

export const sleepMs = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** An error that says how long to wait before the next try (HTTP `Retry-After`). */
export interface RetryAfter {
  retryAfterMs?: number;
}

/**
 * Runs `action` until it succeeds, `isRetryable(error)` is false, or the attempts are spent;
 * then rethrows the last error.
 */
export async function withRetry<T>(
  action: (attempt: number) => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? DEFAULT_RETRY.attempts;
  const base = options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const max = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const sleep = options.sleep ?? sleepMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await action(attempt);
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
      const hinted = (error as RetryAfter | undefined)?.retryAfterMs;
      const backoff = Math.min(max, base * 2 ** (attempt - 1));
      await sleep(hinted !== undefined ? Math.min(max, hinted) : Math.random() * backoff);
    }
  }
}
