import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Errors Node's HTTP parser raises before a request reaches a handler: status, code, message. */
const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'the request did not arrive in time'],
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'request headers are too large'],
};

/** The JSON body of an error answer, from its code and message. */
export type ErrorBody = (code: string, message: string) => unknown;

/**
 * Answers a server's `clientError` (a request Node could not parse) as JSON on the raw socket,
 * then closes it; a socket already gone is destroyed. Node's default is an empty 400.
 * @param errorBody - the server's error shape; default `{"error": {"code", "message"}}`.
 */
export function answerClientError(
  error: NodeJS.ErrnoException,
  socket: Duplex,
  errorBody: ErrorBody = (code, message) => ({ error: { code, message } }),
): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const [status, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? [
    400,
    'bad_request',
    'malformed HTTP request',
  ];
  const body = JSON.stringify(errorBody(code, message));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
