import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerClientError } from '../../pipeline/util/answer-client-error.js';
import { errorJson, HttpError, readBody, sendJson } from './internal/http.js';
import { KeyCheck } from './internal/key-check.js';
import { type PreparedModels, prepareModels, scoreBody } from './internal/score-body.js';
import {
  Counter,
  type CounterSeries,
  Gauge,
  Histogram,
  type HistogramSeries,
  renderMetrics,
} from './prometheus.js';
import type { ModelSet } from './scoring-model.js';

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

const DEFAULT_MAX_BODY = 1 << 20;
const DEFAULT_MAX_INSTANCES = 1000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const ROUTES: Record<string, string> = {
  '/score': 'POST',
  '/health/live': 'GET',
  '/health/ready': 'GET',
  '/metrics': 'GET',
};
const METRICS_HEADERS = ['Content-Type', 'text/plain; version=0.0.4; charset=utf-8'];
/** `application/json`, with parameters only after a `;` (not `application/json-seq`). */
const JSON_TYPE = /^application\/json\s*(?:;|$)/i;
/** A `charset` parameter of a content type (the body must be UTF-8). */
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/** A route's metric series, looked up once: counting a request is then two field updates. */
class RouteMetrics {
  private readonly codes = new Map<number, CounterSeries>();
  private readonly latency: HistogramSeries;
  constructor(
    private readonly route: string,
    private readonly requests: Counter,
    latency: Histogram,
  ) {
    this.latency = latency.series({ route });
  }

  /** Counts a request answered with `status` that began at `started` (performance.now()). */
  record(status: number, started: number): void {
    let series = this.codes.get(status);
    if (series === undefined) {
      series = this.requests.series({ route: this.route, code: status });
      this.codes.set(status, series);
    }
    series.inc();
    this.latency.observe((performance.now() - started) / 1000);
  }
}

/**
 * The scoring HTTP server: strict validation (4xx with a JSON error naming each bad field,
 * never 200 with an error inside), division routing with fallback to the general model, bearer
 * keys, Prometheus metrics, model hot swap and graceful shutdown. Plain `node:http`: the work per
 * request is small, so the framework's own cost would dominate. The `/score` path uses callbacks,
 * not promises, and writes each answer in one `writeHead` + `end` (tests/bench/RESULTS.md).
 */
export class ScoringServer {
  readonly requests = new Counter('opp_requests_total', 'HTTP requests by route and status code');
  readonly latency = new Histogram(
    'opp_request_duration_seconds',
    'Request latency by route',
    LATENCY_BUCKETS,
  );
  /** The base URL, e.g. `http://127.0.0.1:43123`. */
  readonly url: string;
  private loaded: PreparedModels;
  /** Once set, sockets end after their current answer instead of being kept alive. */
  private closing = false;
  private readonly keys: KeyCheck | null;
  private readonly info: Gauge;
  private readonly routeMetrics = new Map<string, RouteMetrics>();
  private readonly otherMetrics: RouteMetrics;
  private readonly maxBodyBytes: number;
  private readonly maxInstances: number;

  private constructor(
    private readonly server: Server,
    private readonly options: ScoringServerOptions,
    readonly instances: Counter,
    loaded: PreparedModels,
  ) {
    this.loaded = loaded;
    const address = server.address() as AddressInfo;
    this.url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
    this.keys = options.keys === null ? null : new KeyCheck(options.keys);
    this.info = new Gauge('opp_model_info', 'Models being served (value 1), by division', () =>
      [...this.loaded.set.models.values()].map((m) => [{ ...m.identity }, 1]),
    );
    for (const route of Object.keys(ROUTES)) {
      this.routeMetrics.set(route, new RouteMetrics(route, this.requests, this.latency));
    }
    this.otherMetrics = new RouteMetrics('other', this.requests, this.latency);
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.maxInstances = options.maxInstances ?? DEFAULT_MAX_INSTANCES;
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
    const instances = new Counter('opp_instances_scored_total', 'Instances scored, by division model');
    const loaded = prepareModels(options.models, options.divisions, instances);
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => answerClientError(error, socket));
    // Node answers an Expect other than 100-continue with an empty 417 unless told otherwise.
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
      const expect = String(req.headers.expect).slice(0, 100);
      const error = new HttpError(
        417,
        'expectation_failed',
        `the Expect header is not supported (got ${JSON.stringify(expect)}; only 100-continue is)`,
      );
      res.shouldKeepAlive = false;
      sendJson(res, 417, errorJson(error));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    const scoring = new ScoringServer(server, options, instances, loaded);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => scoring.handle(req, res));
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
    this.loaded = prepareModels(models, this.options.divisions, this.instances);
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

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const metrics = this.routeMetrics.get(path) ?? this.otherMetrics;
    try {
      if (path === '/score' && req.method === 'POST') {
        this.score(req, res, metrics, started);
        return;
      }
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
      let status = 200;
      if (path === '/health/live') this.reply(res, 200, '{"status":"live"}');
      else if (path === '/health/ready') status = this.ready(res);
      else {
        if (this.closing) res.shouldKeepAlive = false;
        res.writeHead(200, METRICS_HEADERS);
        res.end(renderMetrics([this.requests, this.instances, this.latency, this.info]));
      }
      metrics.record(status, started);
    } catch (error) {
      this.fail(req, res, metrics, started, error);
    }
  }

  /** POST /score: checks key and content type, reads the body, then answers in its 'end' event. */
  private score(req: IncomingMessage, res: ServerResponse, metrics: RouteMetrics, started: number): void {
    this.keys?.check(req.headers.authorization);
    const type = req.headers['content-type'] ?? '';
    if (!JSON_TYPE.test(type)) {
      throw new HttpError(
        415,
        'unsupported_media_type',
        `send Content-Type: application/json (got ${type.slice(0, 100) || 'none'})`,
      );
    }
    const charset = CHARSET.exec(type)?.[1];
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      throw new HttpError(
        415,
        'unsupported_media_type',
        `send the body as UTF-8 (Content-Type charset=${charset.slice(0, 40)} is not supported)`,
      );
    }
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      throw new HttpError(
        415,
        'unsupported_media_type',
        `send the body uncompressed (Content-Encoding: ${encoding.slice(0, 40)} is not supported)`,
        undefined,
        { 'Accept-Encoding': 'identity' },
      );
    }
    readBody(req, this.maxBodyBytes, (error, body) => {
      if (error) {
        this.fail(req, res, metrics, started, error);
        return;
      }
      let text: string;
      try {
        text = scoreBody(this.loaded, body, this.maxInstances);
      } catch (e) {
        this.fail(req, res, metrics, started, e);
        return;
      }
      this.reply(res, 200, text);
      metrics.record(200, started);
    });
  }

  private ready(res: ServerResponse): number {
    const models = [...this.loaded.set.models.values()].map((m) => m.identity);
    const [status, body] =
      models.length > 0
        ? [200, { status: 'ready', source: this.loaded.set.source, models }]
        : [503, { status: 'loading' }];
    this.reply(res, status, JSON.stringify(body));
    return status;
  }

  private reply(res: ServerResponse, status: number, text: string, headers?: Record<string, string>): void {
    // A request that arrived before close() began still gets its answer, then its socket ends.
    if (this.closing) res.shouldKeepAlive = false;
    sendJson(res, status, text, headers);
  }

  private fail(
    req: IncomingMessage,
    res: ServerResponse,
    metrics: RouteMetrics,
    started: number,
    error: unknown,
  ): void {
    const e =
      error instanceof HttpError
        ? error
        : new HttpError(500, 'internal', `scoring failed: ${(error as Error).message}`);
    this.reply(res, e.status, errorJson(e), e.headers);
    // Unread request bytes would otherwise be parsed as the next request on this connection.
    if (!req.complete) res.once('finish', () => req.socket.destroy());
    metrics.record(e.status, started);
  }
}
