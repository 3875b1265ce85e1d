import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { median, quantileSorted } from '../../../model/metrics/summary.js';
import { ScoringServer } from '../../../model/server/ScoringServer.js';
import {
  DEPLOYMENT_HEADER,
  type LocalEndpointRouter,
  startLocalEndpointRouter,
} from '../../../pipeline/deployment/LocalEndpointRouter.js';
import { compileFeatureSpec } from '../../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../../pipeline/features/feature-spec.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';
import { linearModelSet } from '../../support/linear-scoring-model.js';
import { rawExchange, rawJson } from '../../support/raw-http.js';
import { type AttackResult, attack, type TimedCase } from '../../support/request-budget.js';

/** The budgets: server time per hostile request ≤ 1 MiB, and /health/live under attack. */
const REQUEST_BUDGET_MS = 100;
const LIVE_BUDGET_MS = 50;
/** No /health/live probe may wait this long: a stalled event loop. */
const LIVE_STALL_MS = 500;
/**
 * Runs per case. The budget applies to the fastest run: a busy machine only adds to a request's
 * time, while work that grows with a hostile input (the 1.7 s nested body of 4407e04) is there
 * in every run.
 */
const RUNS = 5;
const MiB = 1 << 20;

const spec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));
/** A valid instance: the features by name (one segment set). */
const FEATURES = Object.fromEntries(
  spec.featureNames.map((name) => [name, name === 'segment_unknown' ? 1 : 0]),
);

/** One raw HTTP/1.1 request with `Connection: close`. */
function raw(requestLine: string, headers: string[] = [], body?: Buffer | string): Buffer {
  const bytes = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
  const head = [requestLine, 'Host: x', 'Connection: close', ...headers];
  if (bytes && !headers.some((h) => /^(content-length|transfer-encoding):/i.test(h)))
    head.push(`Content-Length: ${bytes.length}`);
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), bytes ?? Buffer.alloc(0)]);
}
const JSON_TYPE = 'Content-Type: application/json';
const score = (body: Buffer | string, headers: string[] = [JSON_TYPE]) =>
  raw('POST /score HTTP/1.1', headers, body);
/** A body of `n` bytes or just under: `open` × k, `middle`, `close` × k. */
const nested = (open: string, close: string, middle = '') => {
  const k = Math.floor((MiB - middle.length) / (open.length + close.length));
  return `${open.repeat(k)}${middle}${close.repeat(k)}`;
};
const fill = (head: string, item: string, tail: string) =>
  `${head}${Array.from({ length: Math.floor((MiB - head.length - tail.length) / (item.length + 1)) }, () => item).join(',')}${tail}`;

interface Case extends TimedCase {
  /** Accepted statuses (default: any 4xx). */
  status?: number[];
}

/** Wide objects: 70k keys, refused by the pre-parse key count (MAX_JSON_OBJECT_KEYS) before any per-field work. */
function wideObjects(): Case[] {
  const keys = `{${Array.from({ length: 70_000 }, (_, i) => `"k${i}":0`).join(',')}}`;
  return [
    { name: 'instance of 70k unknown fields', payload: score(keys) },
    { name: 'record of 70k fields', payload: score(`{"record":${keys}}`) },
  ];
}

/** Hostile headers, request lines and targets, encodings and bodies, each ≤ 1 MiB. */
function hostileCases(): Case[] {
  const valid = JSON.stringify(FEATURES);
  return [
    { name: 'nested arrays, 1 MiB', payload: score(nested('[', ']')) },
    { name: 'nested objects, 1 MiB', payload: score(nested('{"a":', '}', '0')) },
    { name: 'unclosed arrays, 1 MiB', payload: score('['.repeat(MiB - 1)) },
    { name: 'nested instances, 1 MiB', payload: score(nested('{"instances":[', ']}')) },
    { name: 'huge instances array', payload: score(fill('{"instances":[', '0', ']}')), status: [413] },
    { name: 'huge top-level array', payload: score(fill('[', '0', ']')) },
    {
      name: '1000 valid instances',
      payload: score(JSON.stringify({ instances: Array(1000).fill(FEATURES) })),
      status: [200],
    },
    { name: 'invalid UTF-8, 1 MiB', payload: score(Buffer.alloc(MiB - 1, 0xff)) },
    { name: 'lone surrogates', payload: score(`"${'\\ud800'.repeat(100_000)}"`) },
    { name: 'number overflow 1e999999', payload: score('{"timestamp_days":1e999999}') },
    { name: '1 MiB of digits', payload: score(`{"timestamp_days":${'9'.repeat(MiB - 40)}}`) },
    { name: '1 MiB string', payload: score(`"${'a'.repeat(MiB - 2)}"`) },
    {
      name: 'gzip bomb',
      payload: score(gzipSync(Buffer.alloc(64 * MiB)), [JSON_TYPE, 'Content-Encoding: gzip']),
      status: [415],
    },
    {
      name: 'unknown Content-Encoding',
      payload: score(valid, [JSON_TYPE, 'Content-Encoding: x-squash']),
      status: [415],
    },
    {
      name: 'UTF-16 charset',
      payload: score(Buffer.from(valid, 'utf16le'), ['Content-Type: application/json; charset=utf-16le']),
      status: [415],
    },
    {
      name: 'application/json-seq',
      payload: score(valid, ['Content-Type: application/json-seq']),
      status: [415],
    },
    { name: 'Expect: fancy', payload: score(valid, [JSON_TYPE, 'Expect: fancy']), status: [417] },
    {
      name: 'huge header (15 KiB)',
      payload: raw('GET /health/live HTTP/1.1', [`X-Big: ${'a'.repeat(15_000)}`]),
      status: [200],
    },
    {
      name: 'oversized header (20 KiB)',
      payload: raw('GET /health/live HTTP/1.1', [`X-Big: ${'a'.repeat(20_000)}`]),
      status: [431],
    },
    {
      name: '1500 headers',
      payload: raw(
        'GET /health/live HTTP/1.1',
        Array.from({ length: 1500 }, (_, i) => `X-H${i}: v`),
      ),
      // About 16 KiB of headers, at Node's default limit: Node 20 reads them, Node 24 answers 431.
      status: [200, 431],
    },
    {
      name: '__proto__ and constructor headers',
      payload: score(valid, [JSON_TYPE, '__proto__: {"a":1}', 'constructor: x', 'hasOwnProperty: y']),
      status: [200],
    },
    {
      name: 'duplicate Content-Type',
      payload: score(valid, [JSON_TYPE, 'Content-Type: text/plain']),
      status: [200, 415],
    },
    {
      name: 'conflicting Content-Length',
      payload: score(valid, [JSON_TYPE, `Content-Length: ${valid.length}`, 'Content-Length: 3']),
      status: [400],
    },
    {
      name: 'Transfer-Encoding and Content-Length',
      payload: score(valid, [JSON_TYPE, 'Transfer-Encoding: chunked', 'Content-Length: 3']),
      status: [400],
    },
    { name: 'absolute-form http://a:b:c/', payload: raw('GET http://a:b:c/ HTTP/1.1') },
    {
      name: 'absolute-form POST to /score',
      payload: raw('POST http://127.0.0.1:1/score HTTP/1.1', [JSON_TYPE], valid),
    },
    { name: '//host target', payload: raw('GET //127.0.0.1:1/x HTTP/1.1') },
    { name: 'asterisk-form', payload: raw('OPTIONS * HTTP/1.1') },
    { name: 'percent-encoding junk', payload: raw('GET /%zz%00%ff/..%2f..%2fetc%2fpasswd HTTP/1.1') },
    { name: 'very long path (12 KiB)', payload: raw(`GET /${'a/'.repeat(6000)} HTTP/1.1`) },
    { name: 'garbage request line', payload: Buffer.from('\u0000\u0001GARBAGE\r\n\r\n'), status: [400] },
  ];
}

function report(label: string, result: AttackResult) {
  const rows = [...result.times].map(
    ([name, ms]) =>
      `  ${Math.min(...ms)
        .toFixed(1)
        .padStart(7)} / ${median(ms).toFixed(1).padStart(7)} ms  ${name}`,
  );
  const { live } = result;
  const sortedLive = [...live].sort((a, b) => a - b);
  console.info(
    `${label}: fastest / median server time per hostile request (${RUNS} runs):\n${rows.join('\n')}\n` +
      `  /health/live during the attack: ${live.length} probes, median ${median(live).toFixed(1)} ms, p75 ${quantileSorted(sortedLive, 0.75).toFixed(1)} ms, p90 ${quantileSorted(sortedLive, 0.9).toFixed(1)} ms, p95 ${quantileSorted(sortedLive, 0.95).toFixed(1)} ms, max ${Math.max(...live).toFixed(1)} ms`,
  );
}

function expectWithinBudget(result: AttackResult, cases: Case[]) {
  for (const c of cases) {
    const answer = result.answers.get(c.name)!;
    const ok = c.status ? c.status.includes(answer.status) : answer.status >= 400 && answer.status < 500;
    expect(ok, `${c.name}: answered ${answer.text.slice(0, 300)}`).toBe(true);
    if (answer.status >= 400) expect(rawJson(answer), c.name).toHaveProperty('error');
    expect(Math.min(...result.times.get(c.name)!), `${c.name}: server time`).toBeLessThan(REQUEST_BUDGET_MS);
  }
  expect(result.live.length).toBeGreaterThan(20);
  // Half the probes within the budget and none stalled: on a loaded 2-core box a probe that lands
  // behind a (within-budget) 1 MiB parse waits for it, so every percentile is printed but the
  // tail is not asserted; a request that blocks the loop, as the 1.7 s nested body did, fails the
  // stall bound.
  expect(median(result.live), '/health/live median under attack').toBeLessThan(LIVE_BUDGET_MS);
  expect(Math.max(...result.live), '/health/live slowest probe under attack').toBeLessThan(LIVE_STALL_MS);
}

let server: ScoringServer;
let router: LocalEndpointRouter;
beforeAll(async () => {
  // The default limits: 1 MiB bodies, 1000 instances.
  server = await ScoringServer.start({
    models: linearModelSet(spec, [0, 2]),
    divisions: [0, 1, 2],
    keys: null,
  });
  const deployment = {
    model: 'opp',
    version: '1',
    pid: 1,
    url: server.url,
    createdAt: '2026-01-01T00:00:00Z',
  };
  router = await startLocalEndpointRouter(async () => ({
    traffic: { blue: 100 },
    deployments: { blue: deployment },
  }));
});
afterAll(async () => {
  await router.close();
  await server.close();
});

describe('time budget under hostile requests', () => {
  it(`the scoring server answers each hostile request ≤ 1 MiB within ${REQUEST_BUDGET_MS} ms, and /health/live within ${LIVE_BUDGET_MS} ms meanwhile`, async () => {
    const cases = [...hostileCases(), ...wideObjects()];
    const result = await attack(server.url, cases, RUNS);
    report('scoring server', result);
    expectWithinBudget(result, cases);
    expect(rawJson(result.answers.get('nested arrays, 1 MiB')!)).toMatchObject({
      error: { code: 'nesting_too_deep', message: expect.stringContaining('limit of 32 levels') },
    });
    expect(rawJson(result.answers.get('Expect: fancy')!)).toMatchObject({
      error: { code: 'expectation_failed', message: expect.stringContaining('Expect') },
    });
    expect(rawJson(result.answers.get('gzip bomb')!)).toMatchObject({
      error: { code: 'unsupported_media_type', message: expect.stringContaining('Content-Encoding: gzip') },
    });
  }, 120_000);

  it(`the local endpoint router does the same in front of it, and refuses to proxy elsewhere`, async () => {
    const cases: Case[] = [
      ...hostileCases().filter((c) => c.name !== 'huge header (15 KiB)'),
      ...wideObjects(),
      {
        name: 'pinned to __proto__',
        payload: raw('GET /health/live HTTP/1.1', [`${DEPLOYMENT_HEADER}: __proto__`]),
        status: [404],
      },
      {
        name: 'pinned to constructor',
        payload: raw('GET /health/live HTTP/1.1', [`${DEPLOYMENT_HEADER}: constructor`]),
        status: [404],
      },
      {
        name: 'absolute-form to /health/live',
        payload: raw(`GET ${server.url}/health/live HTTP/1.1`),
        status: [400],
      },
    ];
    const result = await attack(router.url, cases, RUNS);
    report('router', result);
    expectWithinBudget(result, cases);
    expect(rawJson(result.answers.get('absolute-form http://a:b:c/')!)).toEqual({
      error: expect.stringContaining('the request target must be a path'),
    });
  }, 120_000);

  it('still answers Expect: 100-continue', async () => {
    const body = JSON.stringify(FEATURES);
    const answer = await rawExchange(server.url, score(body, [JSON_TYPE, 'Expect: 100-continue']));
    expect(answer.text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
    expect(answer.text).toContain('"probability":');
  });
});
