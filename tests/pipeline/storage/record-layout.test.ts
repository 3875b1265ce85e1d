import { describe, expect, it } from 'vitest';
import { RecordLayoutError } from '../../../pipeline/errors/RecordLayoutError.js';
import { LEGACY_RECORD_LAYOUT, readRecordLayout } from '../../../pipeline/storage/record-layout.js';
import { RECORD_LAYOUT, RECORD_PARTITIONS, recordPartition } from '../../../pipeline/storage/record-rows.js';
import { createStorageClients, ensureStorage } from '../../../pipeline/storage/storage-clients.js';
import { uniquePrefix, useAzurite } from '../../support/azurite.js';

const azurite = useAzurite();

describe('record partitions', () => {
  it('maps an id to the same r000…r3ff key every time and spreads ids over the partitions', () => {
    expect(recordPartition('<a@x.y>')).toBe(recordPartition('<a@x.y>'));
    const keys = new Set(Array.from({ length: 20_000 }, (_, i) => recordPartition(`<r${i}@x.y>`)));
    for (const key of keys) expect(key).toMatch(/^r[0-9a-f]{3}$/);
    expect(keys.size).toBeGreaterThan(RECORD_PARTITIONS * 0.95);
    expect(keys.size).toBeLessThanOrEqual(RECORD_PARTITIONS);
  });
});

describe('record layout', () => {
  it('records the layout when the record table is new and accepts it on later runs', async () => {
    const { clients } = await azurite.freshStorage();
    expect(await readRecordLayout(clients.state)).toBe(RECORD_LAYOUT);
    await expect(ensureStorage(clients)).resolves.toBeUndefined();
  });

  it('refuses a record table an older opp wrote (rows in p0…pf, no recorded layout)', async () => {
    const clients = createStorageClients(azurite.instance.connectionString, { prefix: uniquePrefix() });
    await clients.records.createTable();
    await clients.records.upsertEntity({ partitionKey: 'p3', rowKey: '<old@x.y>', status: 'kept' });
    const error = await ensureStorage(clients).catch((e: unknown) => e);
    expect(error instanceof RecordLayoutError).toBe(true);
    expect(error).toMatchObject({ found: LEGACY_RECORD_LAYOUT, expected: RECORD_LAYOUT });
    expect(String(error)).toMatch(/fresh tables/);
    // Nothing was recorded: the old table stays as it was.
    expect(await readRecordLayout(clients.state)).toBeUndefined();
  });

  it('refuses a record table whose recorded layout is another one', async () => {
    const { clients } = await azurite.freshStorage();
    await clients.state.upsertEntity({ partitionKey: 'layout', rowKey: 'records', layout: 'sha1-mod-4096' });
    await expect(ensureStorage(clients)).rejects.toMatchObject({
      name: 'RecordLayoutError',
      found: 'sha1-mod-4096',
    });
  });
});
