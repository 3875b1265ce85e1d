/** One HTTP request to an MLflow server, with bearer token, timeout and retries. For internal use. */
import { TrackingError } from '../../errors/TrackingError.js';
import { type RetryAfter, type RetryOptions, readRetryAfter, withRetry } from '../../util/retry.js';

/** Returns a bearer token for each request (e.g. from @azure/identity), or undefined for none. */
export type TokenProvider = () => Promise<string | undefined>;

/** Which failures a request may be retried on. */
export type RetryPolicy =
  /** 429, 5xx and network errors: for reads and idempotent writes. */
  | 'transient'
  /** Only failures where the server cannot have applied the request (429, connection refused). */
  | 'unapplied';

export interface SendOptions {
  tokenProvider?: TokenProvider;
  /**
   * HTTP Basic credentials (from a tracking URI's `user:password@`), sent when the token
   * provider gives no bearer token. @default none
   */
  basicAuth?: { username: string; password: string };
  retry?: RetryOptions;
  /** Per-request timeout. @default 30000 */
  timeoutMs?: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface Request {
  method: string;
  url: string;
  body: string | Uint8Array | undefined;
  /** For messages, e.g. `POST /api/2.0/mlflow/runs/create`. */
  label: string;
  policy: RetryPolicy;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
/** Network error codes that mean the request never reached the server. */
const UNSENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

class RequestError extends TrackingError implements RetryAfter {
  /** Set when the client already retried this failure as often as allowed. */
  retriedByClient = false;
  constructor(
    message: string,
    code: string | undefined,
    statusCode: number | undefined,
    readonly unsent: boolean,
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, code, statusCode, options);
  }
}

/**
 * Sends a request and parses the JSON answer, retrying as `policy` allows.
 *
 * @throws TrackingError with MLflow's `error_code` and the HTTP status (or the network code).
 */
export async function sendRequest(request: Request, options: SendOptions): Promise<unknown> {
  const retryable = (error: unknown) =>
    error instanceof RequestError &&
    (error.unsent ||
      error.statusCode === 429 ||
      (request.policy === 'transient' &&
        (error.statusCode === undefined || RETRYABLE_STATUS.has(error.statusCode))));
  try {
    return await withRetry(() => sendOnce(request, options), retryable, options.retry);
  } catch (error) {
    if (error instanceof RequestError) error.retriedByClient = retryable(error);
    throw error;
  }
}

async function sendOnce({ method, url, body, label }: Request, options: SendOptions): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (typeof body === 'string') headers['content-type'] = 'application/json';
  else if (body) headers['content-type'] = 'application/octet-stream';
  const token = await options.tokenProvider?.();
  if (token) headers.authorization = `Bearer ${token}`;
  else if (options.basicAuth) {
    const { username, password } = options.basicAuth;
    headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    throw new RequestError(
      `${label}: ${code ?? (error as Error).message}`,
      code,
      undefined,
      UNSENT_CODES.has(code ?? ''),
      undefined,
      {
        cause: error,
      },
    );
  }
  const text = await response.text();
  if (response.ok) return text ? JSON.parse(text) : {};
  let detail: { error_code?: string; message?: string } = {};
  try {
    detail = JSON.parse(text);
  } catch {
    detail = { message: text.slice(0, 200) };
  }
  throw new RequestError(
    `${label}: HTTP ${response.status}${detail.error_code ? ` ${detail.error_code}` : ''}: ${detail.message ?? ''}`.trim(),
    detail.error_code,
    response.status,
    false,
    readRetryAfter(response.headers),
  );
}

/**
 * True when the client already spent its retries on this failure (a 429, a 5xx of an
 * idempotent call, a refused connection), so a caller should not retry it again.
 */
export function isRetriedByClient(error: unknown): boolean {
  return error instanceof RequestError && error.retriedByClient;
}
