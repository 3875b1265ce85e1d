import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalEndpointState } from './LocalDeploymentTarget.js';

/** Header that pins a request to one deployment, as on Azure ML managed online endpoints. */
export const DEPLOYMENT_HEADER = 'azureml-model-deployment';
/** How often the router re-reads the endpoint state (traffic changes apply within this time). */
const RELOAD_MS = 250;

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

/**
 * Serves a local endpoint on one port: splits requests across the deployments' servers by
 * the endpoint's traffic (re-read from `readState`), or sends them to the deployment named in
 * the `azureml-model-deployment` header. Answers 503 when no deployment takes traffic.
 */
export async function startLocalEndpointRouter(
  readState: () => Promise<LocalEndpointState>,
  options: { port?: number; host?: string } = {},
): Promise<LocalEndpointRouter> {
  let state: LocalEndpointState = await readState();
  let loadedAt = Date.now();
  const picker = new WeightedRoundRobin();
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (Date.now() - loadedAt > RELOAD_MS) {
        state = await readState().catch(() => state);
        loadedAt = Date.now();
      }
      const pinned = req.headers[DEPLOYMENT_HEADER];
      const name = typeof pinned === 'string' ? pinned : picker.next(state.traffic);
      const target = name ? state.deployments[name] : undefined;
      if (!target) {
        res.writeHead(typeof pinned === 'string' ? 404 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: name ? `no deployment ${name}` : 'no deployment takes traffic' }));
        return;
      }
      proxy(req, res, target.url, name!);
    })();
  });
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

function proxy(req: IncomingMessage, res: ServerResponse, base: string, deployment: string): void {
  const url = new URL(req.url ?? '/', base);
  const upstream = request(
    url,
    { method: req.method, headers: { ...req.headers, host: url.host } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, { ...answer.headers, [DEPLOYMENT_HEADER]: deployment });
      answer.pipe(res);
    },
  );
  upstream.on('error', (error) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `deployment ${deployment}: ${error.message}` }));
  });
  req.pipe(upstream);
}
