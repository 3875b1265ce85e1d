import { SourceError } from '../errors/SourceError.js';
import { Random } from '../util/random.js';
import { readRetryAfter, withRetry } from '../util/retry.js';

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

/** One attempt that failed in a way worth trying again; `message` is the reason. */
class RetryableFailure extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
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
  const random = new Random(options.seed ?? Date.now() ^ (process.pid << 8));
  const text = JSON.stringify(body);
  const attempt = async (): Promise<unknown> => {
    options.abortSignal?.throwIfAborted();
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.abortSignal ? AbortSignal.any([timeout, options.abortSignal]) : timeout;
    let response: Response;
    let answer: string;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: text,
        signal,
      });
      answer = await response.text();
    } catch (error) {
      options.abortSignal?.throwIfAborted();
      throw new RetryableFailure(
        timeout.aborted ? `no answer within ${timeoutMs} ms` : `connection failed (${describe(error)})`,
      );
    }
    if (response.ok) {
      try {
        return JSON.parse(answer);
      } catch {
        throw new RetryableFailure(`HTTP ${response.status} with a body that is not JSON`, response.status);
      }
    }
    const reason = `HTTP ${response.status}: ${answer.slice(0, 200)}`;
    if (!RETRYABLE_STATUSES.has(response.status)) {
      throw new SourceError(`${what} failed: ${reason}`, response.status);
    }
    const retryAfterMs = RETRY_AFTER_STATUSES.has(response.status)
      ? readRetryAfter(response.headers)
      : undefined;
    throw new RetryableFailure(reason, response.status, retryAfterMs);
  };
  try {
    return await withRetry(attempt, (error) => error instanceof RetryableFailure, {
      attempts: maxAttempts,
      baseDelayMs: options.baseDelayMs ?? 200,
      maxDelayMs: options.maxDelayMs ?? 10_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
      random: () => random.next(),
      ...(options.abortSignal ? { signal: options.abortSignal } : {}),
      onRetry: ({ attempt, delayMs, error }) =>
        options.onRetry?.({ attempt, delayMs, reason: (error as Error).message }),
    });
  } catch (error) {
    if (!(error instanceof RetryableFailure)) throw error;
    throw new SourceError(
      `${what} failed after ${maxAttempts} attempts; last: ${error.message}`,
      error.status,
    );
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error instanceof Error ? error.message : String(error));
}
