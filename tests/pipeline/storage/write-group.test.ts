import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { isStorageError } from '../../../pipeline/errors/StorageError.js';
import { BatchWriter, type Entity } from '../../../pipeline/storage/BatchWriter.js';
import { WriteGroup } from '../../../pipeline/storage/WriteGroup.js';
import { useAzurite } from '../../support/azurite.js';

const azurite = useAzurite();

const row = (partitionKey: string, i: number): Entity => ({ partitionKey, rowKey: `k${i}`, n: i });

describe('WriteGroup on a shared BatchWriter', () => {
  it('settles a group once its own rows are stored, while another group waits in a half-full buffer', async () => {
    const { clients } = await azurite.freshStorage();
    const writer = new BatchWriter(clients.records);
    const full = new WriteGroup();
    const partial = new WriteGroup();
    await writer.add(row('b', 0), partial);
    for (let i = 0; i < 100; i++) await writer.add(row('a', i), full);
    await full.close();
    expect(full.isSettled).toBe(true);
    const waiting = partial.close();
    expect(partial.isSettled).toBe(false);
    expect(writer.buffered).toBe(1);
    await writer.flush();
    await waiting;
    expect(partial.isSettled).toBe(true);
    expect(writer.written).toBe(101);
  });

  it('settles every group that added a row when a later add replaced it in the buffer', async () => {
    const { clients } = await azurite.freshStorage();
    const writer = new BatchWriter(clients.records);
    const first = new WriteGroup();
    const second = new WriteGroup();
    await writer.add(row('a', 1), first);
    await writer.add({ ...row('a', 1), n: 2 }, second);
    const both = Promise.all([first.close(), second.close()]);
    await writer.flush();
    await both;
    expect((await clients.records.getEntity('a', 'k1')).n).toBe(2);
  });

  it('rejects the group whose transaction failed, and the flush with a StorageError', async () => {
    const missing = TableClient.fromConnectionString(azurite.instance.connectionString, 'noSuchTable', {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 0 },
    });
    const writer = new BatchWriter(missing);
    const group = new WriteGroup();
    await writer.add(row('a', 1), group);
    const settled = group.close();
    const flushed = await writer.flush().catch((e: unknown) => e);
    expect(isStorageError(flushed)).toBe(true);
    await expect(settled).rejects.toSatisfy(isStorageError);
    expect(group.isSettled).toBe(false);
  });

  it('sends the fullest partitions first once more than maxBuffered rows wait', async () => {
    const { clients } = await azurite.freshStorage();
    const writer = new BatchWriter(clients.records, { maxBuffered: 10 });
    const fullest = new WriteGroup();
    for (let i = 0; i < 4; i++) await writer.add(row('a', i), fullest);
    const rest = new WriteGroup();
    for (const p of 'bcdefg') await writer.add(row(p, 0), rest);
    expect(writer.buffered).toBe(10);
    await writer.add(row('h', 0), rest);
    // 11 > 10: partition a (4 rows) went out, and stored without a flush.
    expect(writer.buffered).toBeLessThanOrEqual(7);
    await fullest.close();
    expect(rest.isSettled).toBe(false);
    await writer.flush();
    await rest.close();
    expect(writer.written).toBe(11);
  });

  it('refuses a batch size outside 1…100', () => {
    const table = TableClient.fromConnectionString('UseDevelopmentStorage=true', 'x');
    expect(() => new BatchWriter(table, { maxBatch: 101 })).toThrow(RangeError);
    expect(() => new BatchWriter(table, { maxBatch: 0 })).toThrow(RangeError);
  });
});
