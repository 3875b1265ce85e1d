import { afterEach, describe, expect, it } from 'vitest';
import { parseRawRecord } from '../../../pipeline/records/raw-record.js';
import { SampleSource } from '../../../pipeline/sources/SampleSource.js';
import {
  type SampleSourceServer,
  startSampleSourceServer,
} from '../../../pipeline/sources/sample-source-server.js';

let server: SampleSourceServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const API_VERSION = '2024-07-01';

async function search(body: unknown, key = server!.apiKey): Promise<Response> {
  return fetch(`${server!.url}/indexes/records/docs/search?api-version=${API_VERSION}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': key },
    body: JSON.stringify(body),
  });
}

async function batch(ids: unknown, key = server!.functionsKey): Promise<Response> {
  return fetch(server!.recordApiUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-functions-key': key },
    body: JSON.stringify({ RecordIds: ids }),
  });
}

describe('sample source server', () => {
  it('lists index documents of a time window in order, paged, with a count', async () => {
    const source = SampleSource.fromSample({ n: 300, seed: 3 });
    server = await startSampleSourceServer(source);
    const all = source.all();
    const from = new Date(all[50]!.modified).toISOString();
    const to = new Date(all[250]!.modified).toISOString();
    const expected = all.filter((d) => d.modified >= Date.parse(from) && d.modified < Date.parse(to));
    const seen: string[] = [];
    for (let skip = 0; ; skip += 64) {
      const response = await search({
        search: '*',
        filter: `lastModified ge ${from} and lastModified lt ${to}`,
        orderby: 'lastModified asc, id asc',
        select: 'id, lastModified',
        top: 64,
        skip,
        count: true,
      });
      expect(response.status).toBe(200);
      const page = (await response.json()) as { '@odata.count': number; value: { id: string }[] };
      expect(page['@odata.count']).toBe(expected.length);
      seen.push(...page.value.map((d) => d.id));
      if (page.value.length < 64) break;
    }
    expect(seen).toEqual(expected.map((d) => d.indexId));
  });

  it('refuses a wrong api-key, an unsupported filter and a top above 1,000', async () => {
    server = await startSampleSourceServer(SampleSource.fromSample({ n: 5 }));
    expect((await search({ search: '*' }, 'wrong')).status).toBe(403);
    expect((await search({ filter: 'name eq 3' })).status).toBe(400);
    expect((await search({ top: 1001 })).status).toBe(400);
  });

  it('returns records by decoded id without the sample metadata, at most 100 a call', async () => {
    const source = SampleSource.fromSample({ n: 150, seed: 4 });
    server = await startSampleSourceServer(source);
    const ids = source
      .all()
      .map((d) => d.recordId)
      .filter((id): id is string => id !== undefined);
    const response = await batch([...ids.slice(0, 99), '<unknown@nowhere.example>']);
    const records = (await response.json()) as Record<string, unknown>[];
    expect(records).toHaveLength(99);
    for (const record of records) expect(record).not.toHaveProperty('_sample');
    expect((await batch(ids.slice(0, 101))).status).toBe(400);
    expect((await batch(ids.slice(0, 1), 'wrong')).status).toBe(401);
  });

  it('answers 429 with Retry-After and serves a stable set of records malformed', async () => {
    const source = SampleSource.fromSample({ n: 400, seed: 5 });
    server = await startSampleSourceServer(source, { faults: { throttleRate: 1, retryAfterMs: 1500 } });
    const throttled = await search({});
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect(throttled.headers.get('retry-after-ms')).toBe('1500');

    server.setFaults({ malformedRate: 0.1 });
    const docs = source
      .all()
      .filter((d) => d.recordId !== undefined)
      .slice(0, 100);
    const records = (await (await batch(docs.map((d) => d.recordId))).json()) as unknown[];
    const malformed = docs.filter((d) => server!.isMalformed(d));
    expect(malformed.length).toBeGreaterThan(0);
    expect(records.filter((r) => !parseRawRecord(r).ok)).toHaveLength(malformed.length);
  });

  it('moves preprocessing records to processed with a later modified time', async () => {
    const source = SampleSource.fromSample({ n: 500, seed: 6 });
    const later = new Date('2030-01-01T00:00:00Z');
    const changed = source.applyUpdates({ fraction: 1, modified: later });
    expect(changed.length).toBeGreaterThan(0);
    for (const id of changed) {
      const doc = source.get(id)!;
      expect(doc.modified).toBe(later.getTime());
      expect(Object.values(doc.record)).toContain('processed');
    }
    expect(source.range(later.getTime(), Number.POSITIVE_INFINITY)).toHaveLength(changed.length);
    expect(source.size).toBe(500);
  });
});
