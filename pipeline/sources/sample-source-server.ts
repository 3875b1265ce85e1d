import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Random } from '../util/random.js';
import { type FilterClause, parseFilter, parseOrderBy } from './odata-filter.js';
import type { SampleSource, SourceDocument } from './SampleSource.js';

/** Field names of the sample index's documents. */
export const INDEX_FIELDS = { key: 'id', modified: 'lastModified' } as const;
/** Azure AI Search limits: at most 1,000 results per page (`top`), `skip` at most 100,000. */
export const MAX_TOP = 1000;
export const MAX_SKIP = 100_000;
const DEFAULT_TOP = 50;
/** The record API's limit of ids per call (SEED.md). */
export const MAX_RECORD_IDS = 100;

/** Fault knobs: each a probability per request (or per record, for `malformedRate`). */
export interface SourceFaults {
  /** Answer 500/503. Default 0. */
  errorRate?: number;
  /** Answer 429 with Retry-After. Default 0. */
  throttleRate?: number;
  /** What 429 asks to wait, ms (sent as `retry-after-ms` and, rounded up, `Retry-After` seconds). Default 1000. */
  retryAfterMs?: number;
  /** Never answer (the client must time out). Default 0. */
  timeoutRate?: number;
  /** Close the connection without an answer. Default 0. */
  dropRate?: number;
  /** Fraction of records served malformed (stable per record version). Default 0. */
  malformedRate?: number;
  /** Delay before every answer, ms. Default 0. */
  latencyMs?: number;
  /** Seed of the fault draws. Default 1. */
  seed?: number;
}

export interface SampleSourceServerOptions {
  /** Index query key expected in `api-key`. Default 'local-index-key'. */
  apiKey?: string;
  /** Record API key expected in `x-functions-key`. Default 'local-functions-key'. */
  functionsKey?: string;
  faults?: SourceFaults;
}

/** A running sample source. */
export interface SampleSourceServer {
  /** Base URL, e.g. `http://127.0.0.1:12345`. */
  readonly url: string;
  /** URL of the record API's GetBatchRecords. */
  readonly recordApiUrl: string;
  readonly apiKey: string;
  readonly functionsKey: string;
  /** Requests answered, by outcome. */
  readonly stats: Record<string, number>;
  /** Replaces the fault knobs (e.g. to heal a source mid-test). */
  setFaults(faults: SourceFaults): void;
  /** True when `doc` is served malformed under the current knobs. */
  isMalformed(doc: SourceDocument): boolean;
  /** The record as the record API serves it now (malformed or not). */
  recordFor(doc: SourceDocument): Record<string, unknown>;
  stop(): Promise<void>;
}

/**
 * Serves `source` over HTTP on 127.0.0.1 in two wire formats: Azure AI Search's
 * `POST /indexes/{index}/docs/search?api-version=…` (documents `{id, lastModified}`; `filter`,
 * `orderby`, `top`, `skip`, `count`, `select` in the body, `$`-prefixed names accepted too)
 * and the record API's `POST …/GetBatchRecords {"RecordIds": [...]}`. Faults are injected
 * by the knobs in `options.faults`.
 */
export async function startSampleSourceServer(
  source: SampleSource,
  options: SampleSourceServerOptions = {},
): Promise<SampleSourceServer> {
  const apiKey = options.apiKey ?? 'local-index-key';
  const functionsKey = options.functionsKey ?? 'local-functions-key';
  let faults: Required<SourceFaults> = withDefaults(options.faults);
  let random = new Random(faults.seed);
  const stats: Record<string, number> = {};
  const count = (key: string) => {
    stats[key] = (stats[key] ?? 0) + 1;
  };
  const sockets = new Set<Socket>();
  const hung = new Set<ServerResponse>();

  const isMalformed = (doc: SourceDocument) =>
    faults.malformedRate > 0 &&
    hash01(`${faults.seed}|${doc.indexId}|${doc.modified}`) < faults.malformedRate;

  const recordFor = (doc: SourceDocument) => (isMalformed(doc) ? malform(doc.record) : doc.record);

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      count('crashed');
      send(response, 500, { error: { code: 'InternalError', message: String(error) } });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    const fault = drawFault(random.next(), faults);
    if (fault !== undefined) count(fault);
    if (fault === 'dropped') {
      request.socket.destroy();
      return;
    }
    if (fault === 'hung') {
      hung.add(response);
      return;
    }
    if (fault === 'throttled') {
      response.setHeader('retry-after-ms', String(faults.retryAfterMs));
      response.setHeader('Retry-After', String(Math.ceil(faults.retryAfterMs / 1000)));
      send(response, 429, { error: { code: 'TooManyRequests', message: 'slow down' } });
      return;
    }
    if (fault === 'failed') {
      send(response, random.chance(0.5) ? 500 : 503, {
        error: { code: 'ServiceUnavailable', message: 'injected' },
      });
      return;
    }
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method === 'POST' && /^\/indexes\/[^/]+\/docs\/search$/.test(url.pathname)) {
      if (request.headers['api-key'] !== apiKey) {
        reject(response, 403, 'invalid api-key');
        return;
      }
      if (!url.searchParams.get('api-version')) {
        reject(response, 400, 'api-version is required');
        return;
      }
      searchIndex(body, response);
      return;
    }
    if (request.method === 'POST' && url.pathname.endsWith('/GetBatchRecords')) {
      if (request.headers['x-functions-key'] !== functionsKey) {
        reject(response, 401, 'invalid x-functions-key');
        return;
      }
      getBatchRecords(body, response);
      return;
    }
    reject(response, 404, `no route for ${request.method} ${url.pathname}`);
  }

  function searchIndex(body: string, response: ServerResponse): void {
    const query = parseJson(body);
    if (!query) {
      reject(response, 400, 'the body must be a JSON object');
      return;
    }
    const param = (name: string) => query[name] ?? query[`$${name}`];
    let clauses: FilterClause[];
    let order: ReturnType<typeof parseOrderBy>;
    try {
      clauses = parseFilter(String(param('filter') ?? ''));
      order = parseOrderBy(String(param('orderby') ?? ''));
    } catch (error) {
      reject(response, 400, (error as Error).message);
      return;
    }
    const top = Number(param('top') ?? DEFAULT_TOP);
    const skip = Number(param('skip') ?? 0);
    if (!Number.isInteger(top) || top < 0 || top > MAX_TOP) {
      reject(response, 400, `top must be 0..${MAX_TOP}`);
      return;
    }
    if (!Number.isInteger(skip) || skip < 0 || skip > MAX_SKIP) {
      reject(response, 400, `skip must be 0..${MAX_SKIP}`);
      return;
    }
    for (const clause of clauses) {
      if (clause.field !== INDEX_FIELDS.modified || typeof clause.value !== 'number') {
        reject(response, 400, `only ${INDEX_FIELDS.modified} may be filtered, with a DateTimeOffset`);
        return;
      }
    }
    let from = Number.NEGATIVE_INFINITY;
    let to = Number.POSITIVE_INFINITY;
    let fromInclusive = true;
    let toInclusive = false;
    for (const { op, value } of clauses as { op: string; value: number }[]) {
      if (op === 'ge' || op === 'gt') [from, fromInclusive] = [value, op === 'ge'];
      else if (op === 'lt' || op === 'le') [to, toInclusive] = [value, op === 'le'];
      else [from, to, fromInclusive, toInclusive] = [value, value, true, true];
    }
    let matches = source.range(from, to, fromInclusive, toInclusive);
    const descending = order[0]?.descending === true;
    if (order.some((o) => o.field !== INDEX_FIELDS.modified && o.field !== INDEX_FIELDS.key)) {
      reject(response, 400, 'only lastModified and id are sortable');
      return;
    }
    if (descending) matches = [...matches].reverse();
    const page = matches.slice(skip, skip + top).map((doc) => ({
      '@search.score': 1,
      [INDEX_FIELDS.key]: doc.indexId,
      [INDEX_FIELDS.modified]: new Date(doc.modified).toISOString(),
    }));
    count('searched');
    send(response, 200, {
      ...(param('count') === true ? { '@odata.count': matches.length } : {}),
      value: page,
    });
  }

  function getBatchRecords(body: string, response: ServerResponse): void {
    const request = parseJson(body);
    const ids = request?.RecordIds;
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
      reject(response, 400, 'the body must be {"RecordIds": [string, ...]}');
      return;
    }
    if (ids.length > MAX_RECORD_IDS) {
      reject(response, 400, `at most ${MAX_RECORD_IDS} RecordIds per call`);
      return;
    }
    const records = [];
    for (const id of ids as string[]) {
      const doc = source.get(id);
      if (!doc) continue;
      records.push(recordFor(doc));
    }
    count('batches');
    send(response, 200, records);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    recordApiUrl: `${url}/api/GetBatchRecords`,
    apiKey,
    functionsKey,
    stats,
    isMalformed,
    recordFor,
    setFaults(next) {
      faults = withDefaults(next);
      random = new Random(faults.seed);
    },
    async stop() {
      for (const response of hung) response.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Fault = 'dropped' | 'hung' | 'throttled' | 'failed';

/** Which fault (if any) a uniform draw in [0, 1) falls on, the knobs' rates laid end to end. */
function drawFault(draw: number, faults: Required<SourceFaults>): Fault | undefined {
  const bands: [Fault, number][] = [
    ['dropped', faults.dropRate],
    ['hung', faults.timeoutRate],
    ['throttled', faults.throttleRate],
    ['failed', faults.errorRate],
  ];
  let edge = 0;
  for (const [fault, rate] of bands) {
    edge += rate;
    if (draw < edge) return fault;
  }
  return undefined;
}

function withDefaults(faults: SourceFaults = {}): Required<SourceFaults> {
  return {
    errorRate: 0,
    throttleRate: 0,
    retryAfterMs: 1000,
    timeoutRate: 0,
    dropRate: 0,
    malformedRate: 0,
    latencyMs: 0,
    seed: 1,
    ...faults,
  };
}

/** A record the schema rejects (its state is a number) but that still carries its id. */
function malform(record: Record<string, unknown>): Record<string, unknown> {
  const { PartitionKey: _a, partitionKey: _b, Table: _c, table: _d, ...rest } = record;
  return { ...rest, PartitionKey: 404 };
}

function reject(response: ServerResponse, status: number, message: string): void {
  send(response, status, { error: { code: String(status), message } });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A stable hash of `text` in [0, 1) (FNV-1a). */
function hash01(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 4294967296;
}
