import { SourceError } from '../errors/SourceError.js';
import { Random } from '../util/random.js';

/** Statuses worth retrying: the service may answer differently next time. */
const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
/** Statuses whose Retry-After we honour. */
const RETRY_AFTER_STATUSES = new Set([429, 503]);

export interface RetryOptions {
  /** Per-attempt timeout (request and body), ms. Default 30,000. */
  timeoutMs?: number;
  /** Attempts in all, the first included. Default 8. */
  maxAttempts?: number;
  /** First backoff, ms; doubles each attempt, with full jitter. Default 200. */
  baseDelayMs?: number;
  /** Longest backoff, ms. Default 10,000. */
  maxDelayMs?: number;
  /** Longest Retry-After honoured, ms. Default 60,000. */
  maxRetryAfterMs?: number;
  /** Seed of the jitter (default: varies by process). */
  seed?: number;
  /** Aborts waiting and requests. */
  abortSignal?: AbortSignal;
  /** Called before each retry (for counting and logs). */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

/**
 * POSTs JSON and returns the parsed JSON answer, retrying timeouts, dropped connections,
 * unparsable bodies and 408/429/5xx with exponential backoff and full jitter; a 429 or 503
 * with `retry-after-ms` or `Retry-After` waits what the service asked instead.
 *
 * @param what - names the call in errors, e.g. "search index page".
 * @throws SourceError on a non-retryable status or when every attempt failed.
 */
export async function postJsonWithRetry(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  what: string,
  options: RetryOptions = {},
): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxAttempts = options.maxAttempts ?? 8;
  const baseDelayMs = options.baseDelayMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const random = new Random(options.seed ?? Date.now() ^ (process.pid << 8));
  const text = JSON.stringify(body);
  let lastReason = '';
  let lastStatus: number | undefined;
  for (let attempt = 1; ; attempt++) {
    options.abortSignal?.throwIfAborted();
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.abortSignal ? AbortSignal.any([timeout, options.abortSignal]) : timeout;
    let retryAfterMs: number | undefined;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: text,
        signal,
      });
      lastStatus = response.status;
      const answer = await response.text();
      if (response.ok) {
        try {
          return JSON.parse(answer);
        } catch {
          lastReason = `HTTP ${response.status} with a body that is not JSON`;
        }
      } else {
        lastReason = `HTTP ${response.status}: ${answer.slice(0, 200)}`;
        if (!RETRYABLE_STATUSES.has(response.status)) {
          throw new SourceError(`${what} failed: ${lastReason}`, response.status);
        }
        if (RETRY_AFTER_STATUSES.has(response.status)) retryAfterMs = readRetryAfter(response.headers);
      }
    } catch (error) {
      if (error instanceof SourceError) throw error;
      options.abortSignal?.throwIfAborted();
      lastStatus = undefined;
      lastReason = timeout.aborted
        ? `no answer within ${timeoutMs} ms`
        : `connection failed (${describe(error)})`;
    }
    if (attempt >= maxAttempts) {
      throw new SourceError(`${what} failed after ${attempt} attempts; last: ${lastReason}`, lastStatus);
    }
    const backoff = random.next() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    const delayMs =
      retryAfterMs === undefined ? backoff : Math.min(retryAfterMs, options.maxRetryAfterMs ?? 60_000);
    options.onRetry?.({ attempt, delayMs, reason: lastReason });
    await sleep(delayMs, options.abortSignal);
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

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error instanceof Error ? error.message : String(error));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
