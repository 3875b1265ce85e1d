import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScoringServer } from '../../../model/server/ScoringServer.js';
import { compileFeatureSpec } from '../../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../../pipeline/features/feature-spec.js';
import { generateSampleRecords } from '../../../pipeline/sources/sample-records.js';
import { defaultConfigPath } from '../../../pipeline/util/package-root.js';
import { Random } from '../../../pipeline/util/random.js';
import { jsonOf } from '../../support/http.js';
import { linearModelSet } from '../../support/linear-scoring-model.js';

const spec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));
const models = linearModelSet(spec, [0, 2]);
const HOSTILE_REQUESTS = 10_000;
const CONCURRENCY = 16;
const random = new Random(2024);

/** Valid raw records, and the probability each must get. */
const valid = [...generateSampleRecords({ n: 300, seed: 9 })]
  .map(({ _sample, ...record }) => record)
  .filter((record) => spec.computeFeatures(record).ok && spec.computeDivision(record).ok)
  .map((record) => {
    const features = spec.computeFeatures(record);
    const division = spec.computeDivision(record);
    const model = models.models.get(division.ok && division.division === 2 ? 2 : 0)!;
    return { record, p: features.ok ? model.probabilities(features.features, 1)[0]! : Number.NaN };
  });

function randomJson(depth: number): unknown {
  switch (random.int(depth > 3 ? 5 : 8)) {
    case 0:
      return random.pick([null, true, false]);
    case 1:
      return random.pick([0, -0, 1, -1, 1e308, -1e308, 5e-324, 2 ** 53 + 1, random.normal() * 1e6]);
    case 2:
      return random.pick(['', 'x', '0', 'NaN', 'Infinity', '\u0000', '💥'.repeat(50), 'a'.repeat(1000)]);
    case 3:
      return spec.featureNames[random.int(spec.featureNames.length)];
    case 4:
      return random.pick([[], {}, '__proto__', 'constructor']);
    case 5:
      return Array.from({ length: random.int(5) }, () => randomJson(depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let i = random.int(6); i > 0; i--) {
        const key = random.chance(0.5)
          ? spec.featureNames[random.int(spec.featureNames.length)]!
          : random.pick(['record', 'instances', 'division', '__proto__', 'x']);
        object[key] = randomJson(depth + 1);
      }
      return object;
    }
  }
}

/** One hostile request: [method, path, headers, body]. */
function hostileRequest(): { method: string; path: string; headers: Record<string, string>; body?: string } {
  const json = { 'Content-Type': 'application/json' };
  const base = valid[random.int(valid.length)]!.record;
  switch (random.int(10)) {
    case 0:
      return { method: 'POST', path: '/score', headers: json, body: JSON.stringify(randomJson(0)) };
    case 1: {
      const depth = 1000 + random.int(20_000);
      return {
        method: 'POST',
        path: '/score',
        headers: json,
        body: `${'['.repeat(depth)}${']'.repeat(depth)}`,
      };
    }
    case 2:
      return {
        method: 'POST',
        path: '/score',
        headers: json,
        body: random.pick([
          '{"timestamp_days": 1e999999}',
          '{',
          '}',
          '[1,]',
          '{"a":1}{"b":2}',
          '\u00ff\u00fe',
          '"\\ud800"',
          'null',
          '1e400',
        ]),
      };
    case 3:
      return {
        method: 'POST',
        path: '/score',
        headers: {
          'Content-Type': random.pick([
            'text/plain',
            'application/xml',
            'multipart/form-data',
            'application/jsonx',
          ]),
        },
        body: JSON.stringify({ record: base }),
      };
    case 4:
      return {
        method: 'POST',
        path: '/score',
        headers: json,
        body: JSON.stringify({ instances: [{ record: base }], pad: 'x'.repeat(70_000) }),
      };
    case 5: {
      const record: Record<string, unknown> = { ...base };
      const key = random.pick(Object.keys(record));
      record[key] = randomJson(2);
      return {
        method: 'POST',
        path: '/score',
        headers: json,
        body: JSON.stringify({ record, division: random.pick([undefined, -1, 8, 2.5, '2', null]) }),
      };
    }
    case 6: {
      const features = Object.fromEntries(
        spec.featureNames.map((n) => [n, random.chance(0.9) ? 0 : randomJson(2)]),
      );
      return { method: 'POST', path: '/score', headers: json, body: JSON.stringify(features) };
    }
    case 7: {
      const method = random.pick(['GET', 'PUT', 'DELETE', 'PATCH']);
      return {
        method,
        path: '/score',
        headers: json,
        body: method === 'GET' || random.chance(0.5) ? undefined : '{}',
      };
    }
    case 8:
      return {
        method: 'GET',
        path: random.pick(['/', '/scores', '/score/../metrics', '/%00', `/${'a'.repeat(3000)}`, '/health']),
        headers: {},
      };
    default:
      return {
        method: 'POST',
        path: '/score',
        headers: json,
        body: JSON.stringify({
          instances: Array.from({ length: 101 + random.int(50) }, () => ({ record: base })),
        }),
      };
  }
}

let server: ScoringServer;
beforeAll(async () => {
  server = await ScoringServer.start({
    models,
    divisions: [0, 1, 2, 3, 4, 5, 6, 7],
    keys: null,
    maxBodyBytes: 64 * 1024,
    maxInstances: 100,
    requestTimeoutMs: 1000,
  });
});
afterAll(async () => {
  await server.close();
});

describe('the scoring server under hostile input', () => {
  it(`answers ${HOSTILE_REQUESTS} malformed or hostile requests with 4xx JSON errors and keeps scoring valid ones right`, async () => {
    const statuses = new Map<number, number>();
    let checked = 0;
    let next = 0;
    const worker = async () => {
      while (next < HOSTILE_REQUESTS) {
        const n = next++;
        const request = hostileRequest();
        const response = await fetch(`${server.url}${request.path}`, {
          method: request.method,
          headers: request.headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
        });
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status >= 500)
          throw new Error(`request ${n} got ${response.status}: ${text.slice(0, 200)}`);
        if (response.status >= 400) {
          const body = JSON.parse(text);
          expect(typeof body.error.code).toBe('string');
          expect(typeof body.error.message).toBe('string');
        }
        if (n % 10 === 0) {
          const { record, p } = valid[n % valid.length]!;
          const answer = await fetch(`${server.url}/score`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ record }),
          });
          expect(answer.status).toBe(200);
          expect((await jsonOf(answer)).probability).toBe(p);
          checked++;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const codes = [...statuses.keys()];
    expect(codes.every((code) => code === 200 || (code >= 400 && code < 500))).toBe(true);
    expect(codes).toEqual(expect.arrayContaining([400, 404, 405, 413, 415]));
    expect(checked).toBe(HOSTILE_REQUESTS / 10);
  }, 120_000);

  it('answers garbage bytes, oversized headers and slow clients with JSON errors', async () => {
    const { port } = new URL(server.url);
    const exchange = (payload: string, waitMs = 0) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1');
        let answer = '';
        socket.on('data', (chunk) => {
          answer += chunk;
        });
        socket.on('end', () => resolve(answer));
        socket.on('error', reject);
        socket.write(payload);
        if (waitMs === 0) socket.end();
      });
    expect(await exchange('\u0000\u0001GARBAGE\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 400 Bad Request[\s\S]*"code":"bad_request"/,
    );
    expect(
      await exchange(`GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
    ).toMatch(/^HTTP\/1\.1 431 [\s\S]*"code":"headers_too_large"/);
    const slow = await exchange(
      'POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"timesta',
      1,
    );
    expect(slow).toMatch(/^HTTP\/1\.1 408 [\s\S]*"code":"request_timeout"/);
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
  });
});
