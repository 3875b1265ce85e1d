import { afterEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../../pipeline/errors/SourceError.js';
import { IndexClient } from '../../../pipeline/sources/IndexClient.js';
import { RecordApiClient } from '../../../pipeline/sources/RecordApiClient.js';
import { SampleSource } from '../../../pipeline/sources/SampleSource.js';
import {
  type SampleSourceServer,
  type SourceFaults,
  startSampleSourceServer,
} from '../../../pipeline/sources/sample-source-server.js';

let server: SampleSourceServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const FAST_RETRY = { timeoutMs: 150, baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 12, seed: 1 };

async function serve(source: SampleSource, faults: SourceFaults = {}) {
  server = await startSampleSourceServer(source, { faults });
  const index = new IndexClient({
    endpoint: server.url,
    indexName: 'records',
    apiKey: server.apiKey,
    pageSize: 7,
    retry: FAST_RETRY,
  });
  const api = new RecordApiClient({ url: server.recordApiUrl, key: server.functionsKey, retry: FAST_RETRY });
  return { index, api };
}

async function listAll(index: IndexClient, from: Date, to: Date): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of index.listChanged({ from, to })) ids.push(...page.map((e) => e.indexId));
  return ids;
}

describe('IndexClient', () => {
  it('lists every id of a window exactly once through faults, pages and ties of the same time', async () => {
    const source = SampleSource.fromSample({ n: 600, seed: 8 });
    // Every updated record shares one modified time: a run of ties longer than a page.
    const tie = new Date('2026-01-01T00:00:00Z');
    expect(source.applyUpdates({ fraction: 1, modified: tie }).length).toBeGreaterThan(7 * 2);
    const { index } = await serve(source, {
      errorRate: 0.2,
      throttleRate: 0.1,
      retryAfterMs: 1,
      timeoutRate: 0.05,
      dropRate: 0.05,
    });
    const from = new Date('2020-01-01T00:00:00Z');
    const to = new Date('2027-01-01T00:00:00Z');
    const ids = await listAll(index, from, to);
    expect(ids).toEqual(source.all().map((d) => d.indexId));
    expect(await listAll(index, tie, new Date(tie.getTime() + 1))).toEqual(
      source.range(tie.getTime(), tie.getTime() + 1).map((d) => d.indexId),
    );
  });
});

describe('RecordApiClient', () => {
  it('fetches records by decoded id and refuses more than 100 ids', async () => {
    const source = SampleSource.fromSample({ n: 120, seed: 9 });
    const { api } = await serve(source, { errorRate: 0.3 });
    const ids = source.all().flatMap((d) => (d.recordId ? [d.recordId] : []));
    expect(await api.getBatch(ids.slice(0, 50))).toHaveLength(50);
    await expect(api.getBatch(ids.slice(0, 101))).rejects.toThrow(RangeError);
  });

  it('waits what Retry-After asks on 429', async () => {
    const source = SampleSource.fromSample({ n: 3, seed: 9 });
    server = await startSampleSourceServer(source, { faults: { throttleRate: 1, retryAfterMs: 25 } });
    const delays: number[] = [];
    const api = new RecordApiClient({
      url: server.recordApiUrl,
      key: server.functionsKey,
      retry: { ...FAST_RETRY, maxAttempts: 3, onRetry: ({ delayMs }) => delays.push(delayMs) },
    });
    const error = await api.getBatch(['<a@b.c>']).catch((e: unknown) => e);
    expect(error instanceof SourceError && error.statusCode).toBe(429);
    expect(delays).toEqual([25, 25]);
  });

  it('fails at once, with the status, on a wrong key', async () => {
    const { api: _ } = await serve(SampleSource.fromSample({ n: 3 }));
    let attempts = 0;
    const api = new RecordApiClient({
      url: server!.recordApiUrl,
      key: 'wrong',
      retry: { ...FAST_RETRY, onRetry: () => attempts++ },
    });
    const error = await api.getBatch(['<a@b.c>']).catch((e: unknown) => e);
    expect(error instanceof SourceError && error.statusCode).toBe(401);
    expect(attempts).toBe(0);
  });

  it('gives up with a clear error when the service never answers', async () => {
    const { api } = await serve(SampleSource.fromSample({ n: 3 }), { timeoutRate: 1 });
    const limited = new RecordApiClient({
      url: server!.recordApiUrl,
      key: server!.functionsKey,
      retry: { ...FAST_RETRY, timeoutMs: 50, maxAttempts: 2 },
    });
    expect(api).toBeDefined();
    await expect(limited.getBatch(['<a@b.c>'])).rejects.toThrow(
      /after 2 attempts; last: no answer within 50 ms/,
    );
  });
});
