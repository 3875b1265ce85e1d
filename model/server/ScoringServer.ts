import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerClientError, HttpError, readBody, send } from './internal/http.js';
import { Counter, Gauge, Histogram, renderMetrics } from './prometheus.js';
import { type ModelSet, routeDivision, type ScoringModel } from './scoring-model.js';
import { createInstanceValidator, type FieldError, type ValidInstance } from './validate-instance.js';

export interface ScoringServerOptions {
  /** The models to answer with; replace them later with {@link ScoringServer.swapModels}. */
  models: ModelSet;
  /** Division ids a request may name (configs/divisions.json). */
  divisions: readonly number[];
  /** Keys accepted as `Authorization: Bearer <key>`; `null` turns authentication off. */
  keys: readonly string[] | null;
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Port; 0 picks a free one. @default 0 */
  port?: number;
  /** Largest request body accepted. @default 1 MiB */
  maxBodyBytes?: number;
  /** Most instances in one request. @default 1000 */
  maxInstances?: number;
  /** A request must arrive whole within this time (slow clients are cut off). @default 10 s */
  requestTimeoutMs?: number;
}

/** One answer per instance. `probability`, `prediction` and `confidence` are the seed's fields. */
export interface Prediction {
  probability: number;
  /** 1 = pursue: probability at or above the model's threshold. */
  prediction: 0 | 1;
  /** Distance from a coin toss, as the seed's score.py computed it: |p − 0.5| × 2, in [0, 1]. */
  confidence: number;
  /** Percentile rank of the probability among the training set's (0-100). */
  percentile: number;
  threshold: number;
  model: { name: string; version: string; division: number };
  /** Set when the requested division had no model of its own. */
  fallback?: string;
}

const DEFAULT_MAX_BODY = 1 << 20;
const DEFAULT_MAX_INSTANCES = 1000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const MAX_LISTED_ERRORS = 100;
const ROUTES: Record<string, string> = {
  '/score': 'POST',
  '/health/live': 'GET',
  '/health/ready': 'GET',
  '/metrics': 'GET',
};

interface Loaded {
  set: ModelSet;
  validate: ReturnType<typeof createInstanceValidator>;
}

/**
 * The scoring HTTP server: strict validation (4xx with a JSON error naming each bad field,
 * never 200 with an error inside), division routing with fallback to the general model, bearer
 * keys, Prometheus metrics, model hot swap and graceful shutdown. Plain `node:http`: the work per
 * request is small, so the framework's own cost would dominate.
 */
export class ScoringServer {
  readonly requests = new Counter('opp_requests_total', 'HTTP requests by route and status code');
  readonly instances = new Counter('opp_instances_scored_total', 'Instances scored, by division model');
  readonly latency = new Histogram(
    'opp_request_duration_seconds',
    'Request latency by route',
    LATENCY_BUCKETS,
  );
  /** The base URL, e.g. `http://127.0.0.1:43123`. */
  readonly url: string;
  private loaded: Loaded;
  /** Once set, sockets end after their current answer instead of being kept alive. */
  private closing = false;
  private readonly keyDigests: Buffer[] | null;
  private readonly info: Gauge;

  private constructor(
    private readonly server: Server,
    private readonly options: ScoringServerOptions,
    loaded: Loaded,
  ) {
    this.loaded = loaded;
    const address = server.address() as AddressInfo;
    this.url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
    this.keyDigests = options.keys === null ? null : options.keys.map(digest);
    this.info = new Gauge('opp_model_info', 'Models being served (value 1), by division', () =>
      [...this.loaded.set.models.values()].map((m) => [{ ...m.identity }, 1]),
    );
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: ScoringServerOptions): Promise<ScoringServer> {
    if (options.keys !== null && options.keys.length === 0) {
      throw new Error('no scoring keys given: pass at least one key, or turn authentication off explicitly');
    }
    const timeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const server = createServer({
      requestTimeout: timeout,
      headersTimeout: timeout,
      // Node checks for timed-out requests every 30 s by default: far too coarse for slow clients.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, timeout / 4)),
    });
    const models = load(options.models, options.divisions);
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => answerClientError(error, socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    const scoring = new ScoringServer(server, options, models);
    server.on('request', (req, res) => void scoring.handle(req, res));
    return scoring;
  }

  get models(): ModelSet {
    return this.loaded.set;
  }

  /**
   * Replaces the models. Requests already being scored finish on the models they started
   * with; the next request uses the new ones. Nothing is dropped.
   */
  swapModels(models: ModelSet): void {
    this.loaded = load(models, this.options.divisions);
  }

  /**
   * Stops accepting connections, lets in-flight requests finish (up to `graceMs`), then closes
   * what is left.
   */
  async close(graceMs = 10_000): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), graceMs);
    timer.unref();
    await closed;
    clearTimeout(timer);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    // A request that arrived before close() began still gets its answer, then its socket ends.
    res.once('finish', () => {
      if (this.closing) req.socket.end();
    });
    const path = (req.url ?? '/').split('?')[0]!;
    const route = path in ROUTES ? path : 'other';
    let status = 500;
    try {
      const method = ROUTES[path];
      if (!method)
        throw new HttpError(404, 'not_found', `no route ${path} (routes: ${Object.keys(ROUTES).join(', ')})`);
      if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) {
        throw new HttpError(
          405,
          'method_not_allowed',
          `${path} takes ${method}, not ${req.method}`,
          undefined,
          { Allow: method },
        );
      }
      if (path === '/health/live') status = send(res, 200, { status: 'live' });
      else if (path === '/health/ready') status = this.ready(res);
      else if (path === '/metrics') {
        status = 200;
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(renderMetrics([this.requests, this.instances, this.latency, this.info]));
      } else status = await this.score(req, res);
    } catch (error) {
      const e =
        error instanceof HttpError
          ? error
          : new HttpError(500, 'internal', `scoring failed: ${(error as Error).message}`);
      status = send(
        res,
        e.status,
        { error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } },
        e.headers,
      );
      // Unread request bytes would otherwise be parsed as the next request on this connection.
      if (!req.complete) res.once('finish', () => req.socket.destroy());
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.requests.inc({ route, code: status });
      this.latency.observe(seconds, { route });
    }
  }

  private ready(res: ServerResponse): number {
    const models = [...this.loaded.set.models.values()].map((m) => m.identity);
    return models.length > 0
      ? send(res, 200, { status: 'ready', source: this.loaded.set.source, models })
      : send(res, 503, { status: 'loading' });
  }

  private async score(req: IncomingMessage, res: ServerResponse): Promise<number> {
    this.authenticate(req);
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\b/i.test(type)) {
      throw new HttpError(
        415,
        'unsupported_media_type',
        `send Content-Type: application/json (got ${type || 'none'})`,
      );
    }
    const body = await readBody(req, this.options.maxBodyBytes ?? DEFAULT_MAX_BODY);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      throw new HttpError(400, 'invalid_json', `request body is not valid JSON: ${(error as Error).message}`);
    }
    const loaded = this.loaded;
    const batch =
      parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && 'instances' in parsed;
    const instances = batch ? (parsed as { instances: unknown }).instances : [parsed];
    if (batch) {
      const extra = Object.keys(parsed as object).filter((k) => k !== 'instances');
      if (extra.length > 0) {
        throw new HttpError(
          400,
          'invalid_request',
          'invalid request',
          extra.map((k) => ({ field: k, message: 'unknown field beside "instances"' })),
        );
      }
      if (!Array.isArray(instances) || instances.length === 0) {
        throw new HttpError(400, 'invalid_request', '"instances" must be a non-empty array of instances');
      }
    }
    const list = instances as unknown[];
    const maxInstances = this.options.maxInstances ?? DEFAULT_MAX_INSTANCES;
    if (list.length > maxInstances) {
      throw new HttpError(
        413,
        'too_many_instances',
        `at most ${maxInstances} instances per request, got ${list.length}`,
      );
    }

    const valid: ValidInstance[] = [];
    const errors: FieldError[] = [];
    for (let i = 0; i < list.length; i++) {
      const result = loaded.validate(list[i], batch ? `instances[${i}]` : '');
      if (Array.isArray(result)) errors.push(...result);
      else valid.push(result);
    }
    if (errors.length > 0) {
      const shown = errors.slice(0, MAX_LISTED_ERRORS);
      const more = errors.length > shown.length ? ` (first ${shown.length} of ${errors.length} listed)` : '';
      throw new HttpError(
        400,
        'invalid_request',
        `${errors.length} invalid field${errors.length > 1 ? 's' : ''}${more}`,
        shown,
      );
    }

    // Score each model's instances in one batch, then answer in request order.
    const predictions = new Array<Prediction>(valid.length);
    const byModel = new Map<ScoringModel, number[]>();
    const fallbacks = new Array<string | undefined>(valid.length);
    valid.forEach((instance, i) => {
      const route = routeDivision(loaded.set, instance.division);
      if (!route) throw new HttpError(503, 'not_ready', 'no general model is loaded');
      fallbacks[i] = route.fallback;
      const indices = byModel.get(route.model) ?? [];
      if (indices.length === 0) byModel.set(route.model, indices);
      indices.push(i);
    });
    for (const [model, indices] of byModel) {
      const width = model.spec.featureNames.length;
      const x = new Float64Array(indices.length * width);
      indices.forEach((i, row) => {
        x.set(valid[i]!.features, row * width);
      });
      const probabilities = model.probabilities(x, indices.length);
      indices.forEach((i, row) => {
        const p = probabilities[row]!;
        const fallback = fallbacks[i];
        predictions[i] = {
          probability: p,
          prediction: p >= model.threshold ? 1 : 0,
          confidence: Math.abs(p - 0.5) * 2,
          percentile: model.percentile(p),
          threshold: model.threshold,
          model: { ...model.identity },
          ...(fallback ? { fallback } : {}),
        };
      });
      this.instances.inc({ division: model.identity.division }, indices.length);
    }
    return send(res, 200, batch ? { predictions } : predictions[0]);
  }

  private authenticate(req: IncomingMessage): void {
    if (this.keyDigests === null) return;
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const given = match ? digest(match[1]!.trim()) : undefined;
    if (!given || !this.keyDigests.some((key) => timingSafeEqual(key, given))) {
      throw new HttpError(
        401,
        'unauthorized',
        header ? 'the scoring key is not valid' : 'send Authorization: Bearer <scoring key>',
        undefined,
        {
          'WWW-Authenticate': 'Bearer',
        },
      );
    }
  }
}

function load(set: ModelSet, divisions: readonly number[]): Loaded {
  const models = [...set.models.values()];
  if (models.length === 0) throw new Error(`${set.source}: no models to serve`);
  const hashes = new Set(models.map((m) => m.spec.hash));
  if (hashes.size > 1) throw new Error(`${set.source}: the models were trained with different feature specs`);
  return { set, validate: createInstanceValidator(models[0]!.spec, divisions) };
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
