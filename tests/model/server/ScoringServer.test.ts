import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScoringServer } from '../../../model/server/ScoringServer.js';
import { compileFeatureSpec } from '../../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../../pipeline/features/feature-spec.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';
import { jsonOf } from '../../support/http.js';
import { linearModelSet } from '../../support/linear-scoring-model.js';

const spec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));
const DIVISIONS = [0, 1, 2, 3, 4, 5, 6, 7];
const KEY = 'test-key-0123456789';

const FEATURES = {
  timestamp_days: 1500,
  is_duplicate: 0,
  project_size: 12000,
  blacklisted: 0,
  hotel_vip: 1,
  large_project_vip: 0,
  key_customer_vip: 1,
  historical_vip: 1,
  historical_vip_rating: 4,
  segment_education: 0,
  segment_entertainment_transit: 0,
  segment_hospitality_retail_dialysis: 0,
  segment_unknown: 0,
  segment_healthcare: 1,
  segment_spaces: 0,
};
/** The same opportunity as FEATURES, as the record API sends it. */
const RECORD = {
  RecordID: '<x@y.z>',
  timestamp: '2024-02-09T10:00:00Z',
  is_duplicate: false,
  project_size: '12,000 sq ft',
  vip_details: '{"HotelVip": true, "KeyCustomerVip": true, "HistoricalVip": true, "HistoricalVipRating": 4}',
  segment: 'Healthcare',
};

let server: ScoringServer;
const models = linearModelSet(spec, [0, 1, 3]);

beforeAll(async () => {
  server = await ScoringServer.start({
    models,
    divisions: DIVISIONS,
    keys: [KEY],
    maxInstances: 100,
    maxBodyBytes: 64 * 1024,
  });
});
afterAll(async () => {
  await server.close();
});

async function post(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/score`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await jsonOf(response) };
}

function expected(division: number, features = FEATURES): number {
  const model = models.models.get(division)!;
  return model.probabilities(
    Float64Array.from(spec.featureNames.map((n) => features[n as keyof typeof FEATURES])),
    1,
  )[0]!;
}

describe('POST /score', () => {
  it("answers one instance with the seed's fields and more", async () => {
    const { status, body } = await post(FEATURES);
    expect(status).toBe(200);
    const p = expected(0);
    expect(body).toEqual({
      probability: p,
      prediction: p >= 0.5 ? 1 : 0,
      confidence: Math.abs(p - 0.5) * 2,
      percentile: Math.round(p * 10_000) / 100,
      threshold: 0.5,
      model: { name: 'opp-division-0', version: '1', division: 0 },
    });
  });

  it('scores a raw record exactly as its features (no training/serving skew)', async () => {
    expect(spec.computeFeatures(RECORD)).toEqual({
      ok: true,
      features: Float64Array.from(spec.featureNames.map((n) => FEATURES[n as keyof typeof FEATURES])),
    });
    const fromRecord = await post({ record: RECORD });
    expect(fromRecord.status).toBe(200);
    expect(fromRecord.body.probability).toBe(expected(0));
  });

  it('routes by division and falls back to the general model, saying so', async () => {
    const { status, body } = await post({
      instances: [
        { ...FEATURES, division: 3 },
        { ...FEATURES, division: 5 },
        FEATURES,
        { record: { ...RECORD, division: 1 } },
      ],
    });
    expect(status).toBe(200);
    const [three, five, general, one] = body.predictions;
    expect(three).toMatchObject({ probability: expected(3), model: { division: 3 } });
    expect(three.fallback).toBeUndefined();
    expect(five).toMatchObject({
      probability: expected(0),
      model: { division: 0 },
      fallback: 'division 5 has no model of its own; the general model answered',
    });
    expect(general.model.division).toBe(0);
    expect(one).toMatchObject({ probability: expected(1), model: { division: 1 } });
  });

  it.each([
    [
      'a missing feature',
      (() => {
        const { project_size: _, ...rest } = FEATURES;
        return rest;
      })(),
      [{ field: 'project_size', message: 'missing' }],
    ],
    [
      'an unknown field',
      { ...FEATURES, colour: 'red' },
      [{ field: 'colour', message: 'unknown field (expected the features by name, or "record")' }],
    ],
    [
      'a string where a number belongs',
      { ...FEATURES, project_size: '12000' },
      [{ field: 'project_size', message: 'must be a finite number, got "12000"' }],
    ],
    [
      'a flag of 2',
      { ...FEATURES, hotel_vip: 2 },
      [{ field: 'hotel_vip', message: 'must be 0 or 1, got 2' }],
    ],
    [
      'a negative size',
      { ...FEATURES, project_size: -5 },
      [{ field: 'project_size', message: 'must be at least 0, got -5' }],
    ],
    [
      'a fractional rating',
      { ...FEATURES, historical_vip_rating: 2.5 },
      [{ field: 'historical_vip_rating', message: 'must be a whole number, got 2.5' }],
    ],
    [
      'two segments set',
      { ...FEATURES, segment_spaces: 1 },
      [
        {
          field: expect.stringContaining('segment_education|'),
          message: 'exactly one of these must be 1, got 2',
        },
      ],
    ],
    [
      'an unknown division',
      { ...FEATURES, division: 9 },
      [{ field: 'division', message: 'must be one of divisions 0, 1, 2, 3, 4, 5, 6, 7, got 9' }],
    ],
    [
      'a bad raw record',
      { record: { ...RECORD, project_size: 'huge' } },
      [
        {
          field: 'record.project_size',
          message: expect.stringMatching(/^expected a number with an optional unit .*got "huge"$/),
        },
      ],
    ],
    [
      'a record that is not an object',
      { record: 'x' },
      [{ field: 'record', message: 'must be a JSON object, got "x"' }],
    ],
    [
      'a bare array',
      [FEATURES],
      [{ field: '(body)', message: expect.stringContaining('must be a JSON object') }],
    ],
    [
      'a number too large for a double',
      `{"timestamp_days": 1e400}`,
      expect.arrayContaining([{ field: 'timestamp_days', message: 'must be a finite number, got null' }]),
    ],
  ])('answers 400 naming the field for %s', async (_label, body, details) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
    expect(response.body.error.details).toEqual(details);
  });

  it('names bad fields of batch instances by index', async () => {
    const response = await post({ instances: [FEATURES, { ...FEATURES, blacklisted: -1 }] });
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([
      { field: 'instances[1].blacklisted', message: 'must be 0 or 1, got -1' },
    ]);
  });

  it.each([
    ['invalid JSON', '{"timestamp_days": 1,', 400, 'invalid_json'],
    ['NaN, which JSON does not allow', '{"timestamp_days": NaN}', 400, 'invalid_json'],
    ['an empty instances list', { instances: [] }, 400, 'invalid_request'],
    [
      'too many instances',
      { instances: Array.from({ length: 101 }, () => FEATURES) },
      413,
      'too_many_instances',
    ],
    [
      'a body over the limit',
      JSON.stringify({ ...FEATURES, pad: 'x'.repeat(70_000) }),
      413,
      'body_too_large',
    ],
  ])('answers %s with %s', async (_label, body, status, code) => {
    const response = await post(body);
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
  });

  it('refuses a body that is not JSON with 415', async () => {
    const response = await post('a=1', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(response.status).toBe(415);
    expect(response.body.error.message).toContain('send Content-Type: application/json');
  });
});

describe('authentication', () => {
  it('asks for a key, refuses a wrong one and accepts a right one', async () => {
    const none = await fetch(`${server.url}/score`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(FEATURES),
    });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await jsonOf(none)).error.message).toBe('send Authorization: Bearer <scoring key>');
    const wrong = await post(FEATURES, { Authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.message).toBe('the scoring key is not valid');
    expect((await post(FEATURES)).status).toBe(200);
  });

  it('can only be turned off explicitly', async () => {
    await expect(ScoringServer.start({ models, divisions: DIVISIONS, keys: [] })).rejects.toThrow(
      /no scoring keys given/,
    );
    const open = await ScoringServer.start({ models, divisions: DIVISIONS, keys: null });
    try {
      const response = await fetch(`${open.url}/score`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(FEATURES),
      });
      expect(response.status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe('routes, health and metrics', () => {
  it('answers 404 for an unknown route and 405 with Allow for a wrong method', async () => {
    const missing = await fetch(`${server.url}/predict`);
    expect(missing.status).toBe(404);
    expect((await jsonOf(missing)).error.code).toBe('not_found');
    const wrong = await fetch(`${server.url}/score`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('is live, and ready with the models it serves', async () => {
    expect(await jsonOf(await fetch(`${server.url}/health/live`))).toEqual({ status: 'live' });
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect((await jsonOf(ready)).models).toHaveLength(3);
  });

  it('exposes Prometheus metrics: requests by code, latency, instances, model versions', async () => {
    await post(FEATURES);
    await post('{');
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/^opp_requests_total\{route="\/score",code="200"\} \d+$/m);
    expect(text).toMatch(/^opp_requests_total\{route="\/score",code="400"\} \d+$/m);
    expect(text).toMatch(/^opp_request_duration_seconds_bucket\{route="\/score",le="\+Inf"\} \d+$/m);
    expect(text).toMatch(/^opp_instances_scored_total\{division="0"\} \d+$/m);
    expect(text).toContain('opp_model_info{name="opp-division-3",version="1",division="3"} 1');
  });
});

describe('hot swap and shutdown', () => {
  it('swaps models under load without failing a request', async () => {
    const swapping = await ScoringServer.start({
      models: linearModelSet(spec, [0], '1'),
      divisions: DIVISIONS,
      keys: null,
    });
    try {
      const versions = new Set<string>();
      const statuses: number[] = [];
      const load = Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 60; i++) {
          const response = await fetch(`${swapping.url}/score`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(FEATURES),
          });
          statuses.push(response.status);
          versions.add((await jsonOf(response)).model.version);
        }
      });
      const swaps = (async () => {
        for (let v = 2; v <= 5; v++) {
          await new Promise((resolve) => setTimeout(resolve, 15));
          swapping.swapModels(linearModelSet(spec, [0], String(v)));
        }
      })();
      await Promise.all([...load, swaps]);
      expect(statuses.every((s) => s === 200)).toBe(true);
      expect(statuses).toHaveLength(480);
      expect(versions.has('5')).toBe(true);
      expect(versions.size).toBeGreaterThan(1);
    } finally {
      await swapping.close();
    }
  });

  it('lets a request in flight finish when closing', async () => {
    const closing = await ScoringServer.start({ models, divisions: DIVISIONS, keys: null });
    const { port } = new URL(closing.url);
    const body = JSON.stringify(FEATURES);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = closing.close();
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.write(body.slice(10));
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(answer).toContain('"probability"');
    await expect(fetch(`${closing.url}/health/live`)).rejects.toThrow();
    socket.destroy();
  });
});
