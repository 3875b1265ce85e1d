import { describe, expect, it } from 'vitest';
import { isLeaseHeldError } from '../../../pipeline/errors/LeaseHeldError.js';
import { BatchWriter } from '../../../pipeline/storage/BatchWriter.js';
import { listQuarantine, quarantineEntry, toQuarantineEntity } from '../../../pipeline/storage/quarantine.js';
import {
  getStoredRecord,
  listStoredRecords,
  type StoredRecord,
  toRecordEntity,
} from '../../../pipeline/storage/record-rows.js';
import {
  listDoneWindows,
  markWindowDone,
  readWatermark,
  windowKey,
  writeWatermark,
} from '../../../pipeline/storage/run-state.js';
import { TableLease } from '../../../pipeline/storage/TableLease.js';
import { useAzurite } from '../../support/azurite.js';

const azurite = useAzurite();

function record(recordId: string, n = 1): StoredRecord {
  return {
    recordId,
    status: 'kept',
    rule: '',
    reason: '',
    division: n % 8,
    label: 1,
    features: [n, 0.5, 1e-9],
    specHash: 'abc',
    modified: '2024-01-01T00:00:00.000Z',
    indexId: `x${n}`,
    raw: JSON.stringify({ RecordID: recordId }),
    rawTruncated: false,
  };
}

describe('record table', () => {
  it('stores rows under hostile ids and reads them back exactly', async () => {
    const { clients } = await azurite.freshStorage();
    const ids = ['<a/b@x.y>', '<c\\d#e?f@x.y>', "<it's@x.y>", '<tab\there@x.y>', '<100%@x.y>'];
    const writer = new BatchWriter(clients.records);
    for (const [i, id] of ids.entries()) await writer.add(toRecordEntity(record(id, i)));
    await writer.flush();
    for (const [i, id] of ids.entries())
      expect(await getStoredRecord(clients.records, id)).toEqual(record(id, i));
  });

  it('upserts 1,000 rows in transactions of at most 100 and is idempotent on rewrite', async () => {
    const { clients } = await azurite.freshStorage();
    const rows = Array.from({ length: 1000 }, (_, i) => record(`<r${i}@x.y>`, i));
    for (let pass = 0; pass < 2; pass++) {
      const writer = new BatchWriter(clients.records, { concurrency: 4 });
      for (const row of rows) await writer.add(toRecordEntity(row));
      await writer.flush();
      expect(writer.written).toBe(1000);
    }
    const stored = [];
    for await (const row of listStoredRecords(clients.records)) stored.push(row);
    expect(stored).toHaveLength(1000);
  });

  it('replaces a kept row with an excluded one, dropping its features', async () => {
    const { clients } = await azurite.freshStorage();
    const writer = new BatchWriter(clients.records);
    await writer.add(toRecordEntity(record('<z@x.y>')));
    await writer.flush();
    const { division: _d, label: _l, features: _f, ...rest } = record('<z@x.y>');
    await writer.add(toRecordEntity({ ...rest, status: 'excluded', rule: 'state=pastdue' }));
    await writer.flush();
    const stored = await getStoredRecord(clients.records, '<z@x.y>');
    expect(stored?.status).toBe('excluded');
    expect(stored?.features).toBeUndefined();
  });
});

describe('quarantine table', () => {
  it('keeps the reason and raw payload, one entry per index id', async () => {
    const { clients } = await azurite.freshStorage();
    const writer = new BatchWriter(clients.quarantine);
    const entry = quarantineEntry({
      kind: 'invalid-record',
      indexId: 'PABh/AA#2',
      recordId: '<a@b.c>',
      rule: 'project_size',
      reason: 'project_size: "n/a" is not a number',
      modified: '2024-01-01T00:00:00.000Z',
      payload: { RecordID: '<a@b.c>', project_size: 'n/a' },
    });
    await writer.add(toQuarantineEntity(entry));
    await writer.add(toQuarantineEntity(entry));
    await writer.flush();
    const entries = [];
    for await (const e of listQuarantine(clients.quarantine)) entries.push(e);
    expect(entries).toEqual([entry]);
  });
});

describe('run state', () => {
  it('keeps a watermark that never moves backwards', async () => {
    const { clients } = await azurite.freshStorage();
    expect(await readWatermark(clients.state, 'src')).toBeUndefined();
    await writeWatermark(clients.state, 'src', new Date('2024-02-01T00:00:00Z'));
    await writeWatermark(clients.state, 'src', new Date('2024-01-01T00:00:00Z'));
    expect(await readWatermark(clients.state, 'src')).toEqual(new Date('2024-02-01T00:00:00Z'));
  });

  it('records finished backfill windows', async () => {
    const { clients } = await azurite.freshStorage();
    const window = { from: new Date('2024-01-01T00:00:00Z'), to: new Date('2024-01-08T00:00:00Z') };
    await markWindowDone(clients.state, window, { records: 3 });
    expect(await listDoneWindows(clients.state)).toEqual(new Set([windowKey(window)]));
  });

  it('lets exactly one of two racing runs take the lease, and the other after release', async () => {
    const { clients } = await azurite.freshStorage();
    const results = await Promise.allSettled([
      TableLease.acquire(clients.state, 'ingest'),
      TableLease.acquire(clients.state, 'ingest'),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(isLeaseHeldError((lost[0] as PromiseRejectedResult).reason)).toBe(true);
    await (won[0] as PromiseFulfilledResult<TableLease>).value.release();
    const again = await TableLease.acquire(clients.state, 'ingest');
    await Promise.all([again.renew(), again.renew(), again.renew()]);
    await again.renew();
    again.check();
    await again.release();
  });

  it('takes over a lease whose time ran out, but not a live one', async () => {
    const { clients } = await azurite.freshStorage();
    const lease = (expiresAt: Date) => ({
      partitionKey: 'lease',
      rowKey: 'ingest',
      holder: 'other-host|1|abcd',
      expiresAt: expiresAt.toISOString(),
    });
    await clients.state.createEntity(lease(new Date(Date.now() + 60_000)));
    await expect(TableLease.acquire(clients.state, 'ingest')).rejects.toThrow(/other-host/);
    await clients.state.upsertEntity(lease(new Date(Date.now() - 1)), 'Replace');
    const next = await TableLease.acquire(clients.state, 'ingest');
    await next.release();
  });
});
