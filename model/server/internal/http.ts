import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FieldError } from '../validate-instance.js';

/** An answer other than 200: status, machine-readable code, message for people, and details. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * Answers with JSON text, in one `writeHead` + `end`: Node then writes head and body in one
 * system call. Headers go as a flat array (Node walks it without building an object).
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  text: string,
  headers?: Record<string, string>,
): void {
  const head = ['Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(text))];
  if (headers) for (const name in headers) head.push(name, headers[name]!);
  res.writeHead(status, head);
  res.end(text);
}

/** The JSON error answer for `error`. */
export function errorJson(error: HttpError): string {
  const { code, message, details } = error;
  return JSON.stringify({ error: details ? { code, message, details } : { code, message } });
}

/**
 * Reads a request body of at most `limit` bytes, then calls `done` once: with the body as text,
 * or with a 413 (too large) or 400 (the client went away) error. Callbacks, not a promise: a
 * promise and its `await` cost more than the rest of reading a small body.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  done: (error: HttpError | undefined, body: string) => void,
): void {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    done(
      new HttpError(413, 'body_too_large', `request body of ${declared} bytes is over the limit of ${limit}`),
      '',
    );
    return;
  }
  // Most bodies arrive in one chunk: keep it as it is, and join several only when there are.
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let size = 0;
  let finished = false;
  req.on('data', (chunk: Buffer) => {
    if (finished) return;
    size += chunk.length;
    if (size > limit) {
      finished = true;
      done(new HttpError(413, 'body_too_large', `request body is over the limit of ${limit} bytes`), '');
    } else if (first === undefined) first = chunk;
    else if (chunks === undefined) chunks = [first, chunk];
    else chunks.push(chunk);
  });
  req.on('end', () => {
    if (finished) return;
    finished = true;
    done(undefined, chunks ? Buffer.concat(chunks, size).toString('utf8') : (first?.toString('utf8') ?? ''));
  });
  req.on('error', (error) => {
    if (finished) return;
    finished = true;
    done(new HttpError(400, 'aborted', `the request body did not arrive whole (${error.message})`), '');
  });
}
