import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { answerClientError } from '../util/answer-client-error.js';
import type { LocalEndpointState } from './LocalDeploymentTarget.js';

/** Header that pins a request to one deployment, as on Azure ML managed online endpoints. */
export const DEPLOYMENT_HEADER = 'azureml-model-deployment';
/** How often the router re-reads the endpoint state (traffic changes apply within this time). */
const RELOAD_MS = 250;
/** A request must arrive whole within this time (slow clients are cut off). */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Smooth weighted round-robin (as in nginx): deterministic, and spreads each deployment's
 * share evenly over time (90/10 gives 9 of every 10 requests to the first, never 9 in a row
 * then 1 at random).
 */
export class WeightedRoundRobin {
  private current = new Map<string, number>();

  /** Picks the next deployment for `weights` (percent); `undefined` when all are 0. */
  next(weights: Record<string, number>): string | undefined {
    const entries = Object.entries(weights).filter(([, w]) => w > 0);
    if (entries.length === 0) return undefined;
    const total = entries.reduce((a, [, w]) => a + w, 0);
    let best: string | undefined;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (const [name, weight] of entries) {
      const value = (this.current.get(name) ?? 0) + weight;
      this.current.set(name, value);
      if (value > bestValue) {
        best = name;
        bestValue = value;
      }
    }
    this.current.set(best!, bestValue - total);
    return best;
  }
}

/** A running router. */
export interface LocalEndpointRouter {
  url: string;
  close(): Promise<void>;
}

/** Errors Node's HTTP parser raises before a request reaches the router, answered as JSON. */

/** An answer the router gives itself (not a deployment's). */
class RouterError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Serves a local endpoint on one port: splits requests across the deployments' servers by
 * the endpoint's traffic (re-read from `readState`), or sends them to the deployment named in
 * the `azureml-model-deployment` header. Answers 503 when no deployment takes traffic, 404 for
 * a pinned deployment the endpoint lacks, 400 for a request target that is not a path
 * (absolute-form, `*`): the upstream URL is the deployment's origin plus the request's path, so
 * no request reaches another host. Any failure is answered with a JSON 500; the router stays up.
 */
export async function startLocalEndpointRouter(
  readState: () => Promise<LocalEndpointState>,
  options: { port?: number; host?: string } = {},
): Promise<LocalEndpointRouter> {
  let state: LocalEndpointState = await readState();
  let loadedAt = Date.now();
  let reloading: Promise<void> | undefined;
  const reload = (): Promise<void> => {
    reloading ??= readState()
      .then(
        (next) => {
          state = next;
        },
        () => undefined,
      )
      .finally(() => {
        loadedAt = Date.now();
        reloading = undefined;
      });
    return reloading;
  };
  const picker = new WeightedRoundRobin();
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (Date.now() - loadedAt > RELOAD_MS) await reload();
    const path = req.url ?? '';
    if (!path.startsWith('/'))
      throw new RouterError(
        400,
        `the request target must be a path starting with "/", got ${JSON.stringify(path.slice(0, 100))}`,
      );
    const pinned = req.headers[DEPLOYMENT_HEADER];
    if (pinned !== undefined && typeof pinned !== 'string')
      throw new RouterError(400, `send one ${DEPLOYMENT_HEADER} header`);
    const name = pinned ?? picker.next(state.traffic);
    if (name === undefined) throw new RouterError(503, 'no deployment takes traffic');
    // Own properties only: `__proto__` or `constructor` must not read Object.prototype.
    const target = Object.hasOwn(state.deployments, name) ? state.deployments[name] : undefined;
    if (!target)
      throw new RouterError(pinned === undefined ? 503 : 404, `no deployment ${JSON.stringify(name)}`);
    proxy(req, res, target.url, name, path);
  };
  const server: Server = createServer(
    {
      requestTimeout: REQUEST_TIMEOUT_MS,
      headersTimeout: REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: 1000,
    },
    (req, res) => {
      route(req, res).catch((error: unknown) => {
        const status = error instanceof RouterError ? error.status : 500;
        const message =
          error instanceof RouterError ? error.message : `router failed: ${(error as Error).message}`;
        answer(res, status, message);
        // Unread request bytes would otherwise be parsed as the next request on this connection.
        if (!req.complete) res.once('finish', () => req.socket.destroy());
      });
    },
  );
  // Node answers an Expect other than 100-continue with an empty 417 unless told otherwise.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const expect = JSON.stringify(String(req.headers.expect).slice(0, 100));
    res.shouldKeepAlive = false;
    answer(res, 417, `the Expect header is not supported (got ${expect}; only 100-continue is)`);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) =>
    answerClientError(error, socket, (_code, message) => ({ error: message })),
  );
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: message });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Sends the request to `base`'s host and port with `path` as its target: never to another host. */
function proxy(
  req: IncomingMessage,
  res: ServerResponse,
  base: string,
  deployment: string,
  path: string,
): void {
  const origin = new URL(base);
  const upstream = request(
    {
      protocol: origin.protocol,
      hostname: origin.hostname,
      port: origin.port,
      path,
      method: req.method,
      headers: { ...req.headers, host: origin.host },
    },
    (reply) => {
      res.writeHead(reply.statusCode ?? 502, { ...reply.headers, [DEPLOYMENT_HEADER]: deployment });
      reply.pipe(res);
      reply.on('error', () => res.destroy());
    },
  );
  upstream.on('error', (error) => answer(res, 502, `deployment ${deployment}: ${error.message}`));
  req.on('error', () => upstream.destroy());
  req.pipe(upstream);
}
