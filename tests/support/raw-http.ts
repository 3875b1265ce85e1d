import { connect } from 'node:net';

/** What a raw exchange got back: the answer's bytes as text, and the round trip in ms. */
export interface RawAnswer {
  text: string;
  status: number;
  ms: number;
  /** The client's local port (the server sees it as the remote port). */
  port: number;
}

/**
 * Writes `payload` (bytes fetch would never send: malformed request lines, absolute-form
 * targets, bad encodings) to `url`'s port and reads the answer until the server closes the
 * connection; send `Connection: close`. `ms` runs from the first byte written to the last byte
 * read on loopback: an upper bound of the server's time on the request. The socket is not
 * half-closed (a proxy may drop a request whose client half-closed).
 */
export function rawExchange(url: string, payload: Buffer | string, timeoutMs = 10_000): Promise<RawAnswer> {
  const { hostname, port: serverPort } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(serverPort), hostname);
    const chunks: Buffer[] = [];
    let started = 0;
    let port = 0;
    const finish = () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({
        text,
        status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0),
        ms: performance.now() - started,
        port,
      });
    };
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', finish);
    // A server that answers early and closes (413, 415) may reset the rest of a large upload.
    socket.on('error', (error) => (chunks.length > 0 ? finish() : reject(error)));
    socket.on('connect', () => {
      port = socket.localPort ?? 0;
      started = performance.now();
      socket.write(payload);
    });
  });
}

/** The JSON body of a raw answer (after the blank line). */
export function rawJson(answer: RawAnswer): unknown {
  const at = answer.text.indexOf('\r\n\r\n');
  return JSON.parse(answer.text.slice(at + 4));
}
