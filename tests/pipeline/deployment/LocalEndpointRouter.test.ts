import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalEndpointState } from '../../../pipeline/deployment/LocalDeploymentTarget.js';
import {
  DEPLOYMENT_HEADER,
  type LocalEndpointRouter,
  startLocalEndpointRouter,
} from '../../../pipeline/deployment/LocalEndpointRouter.js';

/** A stand-in deployment server: answers each request with its target and Host header. */
async function listen(onRequest: (target: string) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    onRequest(req.url ?? '');
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ target: req.url, host: req.headers.host }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Sends raw bytes (request lines fetch will not send) and returns the whole answer. */
function exchange(url: string, payload: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
    socket.setTimeout(5000, () => reject(new Error('no answer in 5 s')));
    // Written, not ended: a client that half-closes may see its request dropped.
    socket.write(payload);
  });
}

const deployed: string[] = [];
const elsewhere: string[] = [];
let blue: { server: Server; url: string };
let other: { server: Server; url: string };
let router: LocalEndpointRouter;
let state: LocalEndpointState;

beforeAll(async () => {
  blue = await listen((target) => deployed.push(target));
  other = await listen((target) => elsewhere.push(target));
  const deployment = { model: 'opp', version: '1', pid: 1, url: blue.url, createdAt: '2026-01-01T00:00:00Z' };
  state = { traffic: { blue: 100 }, deployments: { blue: deployment } };
  router = await startLocalEndpointRouter(async () => state);
});
afterAll(async () => {
  await router.close();
  blue.server.close();
  other.server.close();
});
beforeEach(() => {
  deployed.length = 0;
  elsewhere.length = 0;
});

async function expectServing(): Promise<void> {
  const res = await fetch(`${router.url}/health/live`);
  expect(res.status).toBe(200);
  expect(res.headers.get(DEPLOYMENT_HEADER)).toBe('blue');
  expect(await res.json()).toEqual({ target: '/health/live', host: new URL(blue.url).host });
}

describe('the local endpoint router under hostile requests', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
    'answers a request pinned to deployment "%s" with a JSON 404 and keeps routing',
    async (name) => {
      const res = await fetch(`${router.url}/score`, {
        headers: { [DEPLOYMENT_HEADER]: name },
        signal: AbortSignal.timeout(5000),
      });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: `no deployment "${name}"` });
      await expectServing();
    },
  );

  it('answers an absolute-form target such as http://a:b:c/ with a JSON 400 and keeps routing', async () => {
    for (const target of ['http://a:b:c/', `${other.url}/health/live`, '*', 'health/live']) {
      const answer = await exchange(
        router.url,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toMatch(
        /"error":"(the request target must be a path starting with|malformed HTTP request)/,
      );
    }
    await expectServing();
    expect(elsewhere).toEqual([]);
  });

  it('sends a //host target to the deployment as a path, never to that host (no open proxy)', async () => {
    const host = new URL(other.url).host;
    const answer = await exchange(
      router.url,
      `GET //${host}/steal HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain(`"target":"//${host}/steal"`);
    expect(deployed).toEqual([`//${host}/steal`]);
    expect(elsewhere).toEqual([]);
  });

  it('answers a failure inside the router (a deployment with a broken URL) with a JSON 500 and stays up', async () => {
    const broken = { ...state.deployments.blue!, url: 'http://a:b:c/' };
    state = { traffic: { blue: 100 }, deployments: { blue: state.deployments.blue!, broken } };
    await new Promise((resolve) => setTimeout(resolve, 300));
    const res = await fetch(`${router.url}/score`, {
      headers: { [DEPLOYMENT_HEADER]: 'broken' },
      signal: AbortSignal.timeout(5000),
    });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: string }).error).toMatch(/^router failed: /);
    await expectServing();
  });

  it('answers with a JSON 503 when no deployment takes traffic', async () => {
    const saved = state;
    state = { traffic: {}, deployments: saved.deployments };
    await new Promise((resolve) => setTimeout(resolve, 300));
    const res = await fetch(`${router.url}/score`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'no deployment takes traffic' });
    state = saved;
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expectServing();
  });
});
