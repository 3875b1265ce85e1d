import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Retry with exponential backoff and full jitter: the one retry loop of opp (MLflow calls, the
 * bid-request sources, GitHub comments).
 */

export interface RetryOptions {
  /** Tries in all, the first included. @default 5 */
  attempts?: number;
  /** Delay before the first retry, doubled each time. @default 250 */
  baseDelayMs?: number;
  /** Upper bound of one backoff delay. @default 8000 */
  maxDelayMs?: number;
  /** Upper bound of a delay the service asked for (`retryAfterMs`). @default maxDelayMs */
  maxRetryAfterMs?: number;
  /** Uniform numbers in [0, 1) for the jitter; injectable for a seeded one. @default Math.random */
  random?: () => number;
  /** Waits; injectable so tests do not sleep. @default setTimeout of node:timers/promises */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<unknown>;
  /** Aborts the wait between tries (it rejects with an AbortError). */
  signal?: AbortSignal;
  /** Called before each wait, for counting and logs. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

export const DEFAULT_RETRY = { attempts: 5, baseDelayMs: 250, maxDelayMs: 8000 } as const;

/** An error that says how long to wait before the next try (HTTP `Retry-After`). */
export interface RetryAfter {
  retryAfterMs?: number;
}

/**
 * Runs `action` until it succeeds, `isRetryable(error)` is false, or the attempts are spent;
 * then rethrows the last error. An error with `retryAfterMs` waits that long (capped by
 * `maxRetryAfterMs`) instead of the backoff.
 */
export async function withRetry<T>(
  action: (attempt: number) => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? DEFAULT_RETRY.attempts;
  const base = options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const max = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const maxHinted = options.maxRetryAfterMs ?? max;
  const random = options.random ?? Math.random;
  const wait = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }));
  for (let attempt = 1; ; attempt++) {
    try {
      return await action(attempt);
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
      const hinted = (error as RetryAfter | undefined)?.retryAfterMs;
      const delayMs =
        hinted !== undefined
          ? Math.min(maxHinted, hinted)
          : random() * Math.min(max, base * 2 ** (attempt - 1));
      options.onRetry?.({ attempt, delayMs, error });
      await wait(delayMs, options.signal);
    }
  }
}

/** Reads `retry-after-ms` (Azure), else `Retry-After` (seconds or an HTTP date), in ms. */
export function readRetryAfter(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number(headers.get('retry-after-ms') ?? headers.get('x-ms-retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
