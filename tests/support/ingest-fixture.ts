import { expect } from 'vitest';
import { compileFeatureSpec } from '../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../pipeline/features/feature-spec.js';
import type { IngestContext } from '../../pipeline/ingestion/ingest-window.js';
import { IndexClient } from '../../pipeline/sources/IndexClient.js';
import { RecordApiClient } from '../../pipeline/sources/RecordApiClient.js';
import { SampleSource, type SourceDocument } from '../../pipeline/sources/SampleSource.js';
import {
  type SampleSourceServer,
  type SourceFaults,
  startSampleSourceServer,
} from '../../pipeline/sources/sample-source-server.js';
import { listQuarantine, type QuarantineEntry } from '../../pipeline/storage/quarantine.js';
import { listStoredRecords, type StoredRecord } from '../../pipeline/storage/record-rows.js';
import type { StorageClients } from '../../pipeline/storage/storage-clients.js';
import { defaultConfigPath } from '../../pipeline/util/package-root.js';

export const SPEC = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));
/** Retries fast enough for tests (the local source answers in well under 200 ms). */
export const TEST_RETRY = { timeoutMs: 200, baseDelayMs: 1, maxDelayMs: 10, maxAttempts: 12 };
/** After every sample record's last-modified time (the samples end in 2025, updates go to 2026). */
export const AFTER_ALL = new Date('2027-01-01T00:00:00Z');

export interface SourceFixture {
  source: SampleSource;
  server: SampleSourceServer;
  clients(storage: StorageClients, options?: { pageSize?: number }): IngestContext;
  stop(): Promise<void>;
}

/** A sample source of `n` records served on 127.0.0.1. */
export async function startSourceFixture(
  n: number,
  seed: number,
  faults: SourceFaults = {},
): Promise<SourceFixture> {
  const source = SampleSource.fromSample({ n, seed });
  const server = await startSampleSourceServer(source, { faults });
  return {
    source,
    server,
    clients: (storage, options = {}) => ({
      index: new IndexClient({
        endpoint: server.url,
        indexName: 'records',
        apiKey: server.apiKey,
        pageSize: options.pageSize ?? 100,
        retry: TEST_RETRY,
      }),
      recordApi: new RecordApiClient({
        url: server.recordApiUrl,
        key: server.functionsKey,
        retry: TEST_RETRY,
      }),
      storage,
      spec: SPEC,
    }),
    stop: () => server.stop(),
  };
}

export async function readTables(
  storage: StorageClients,
): Promise<{ records: Map<string, StoredRecord>; quarantine: Map<string, QuarantineEntry> }> {
  const records = new Map<string, StoredRecord>();
  for await (const row of listStoredRecords(storage.records)) records.set(row.recordId, row);
  const quarantine = new Map<string, QuarantineEntry>();
  for await (const entry of listQuarantine(storage.quarantine)) quarantine.set(entry.indexId, entry);
  return { records, quarantine };
}

/**
 * Asserts the tables hold exactly what the source serves for documents modified before
 * `before`: one row per decodable record (kept with equal features, excluded, or quarantined
 * with its entry), a quarantine entry per undecodable id, and nothing else.
 */
export async function expectTablesMatchSource(
  storage: StorageClients,
  fixture: SourceFixture,
  before: Date = AFTER_ALL,
): Promise<void> {
  const { records, quarantine } = await readTables(storage);
  const docs = fixture.source.all().filter((d) => d.modified < before.getTime());
  const decodable = docs.filter((d): d is SourceDocument & { recordId: string } => d.recordId !== undefined);
  expect(new Set(records.keys())).toEqual(new Set(decodable.map((d) => d.recordId)));
  for (const doc of decodable) {
    const row = records.get(doc.recordId)!;
    const served = fixture.server.recordFor(doc);
    const expected = SPEC.extract(served);
    expect(row.status, doc.recordId).toBe(expected.status === 'invalid' ? 'quarantined' : expected.status);
    expect(row.modified).toBe(new Date(doc.modified).toISOString());
    expect(JSON.parse(row.raw)).toEqual(served);
    if (expected.status === 'kept') {
      expect(row.label).toBe(expected.row.label);
      expect(row.division).toBe(expected.row.division);
      expect(row.features).toEqual([...expected.row.features]);
    } else {
      expect(row.rule).toBe(expected.rule);
    }
    if (expected.status === 'invalid') {
      const entry = quarantine.get(doc.indexId);
      expect(entry?.kind).toBe('invalid-record');
      expect(entry?.reason).toBe(expected.reason);
      expect(JSON.parse(entry!.raw)).toEqual(served);
    }
  }
  for (const doc of docs.filter((d) => d.recordId === undefined)) {
    const entry = quarantine.get(doc.indexId);
    expect(entry?.kind, doc.indexId).toBe('undecodable-id');
    expect(entry?.reason).not.toBe('');
  }
}
