import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { startAzurite } from '../../../pipeline/storage/azurite.js';
import { resolveStorage } from '../../../pipeline/storage/resolve-storage.js';

describe('startAzurite', () => {
  it('starts on free ports and keeps written data across a SIGTERM restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'opp-azurite-'));
    try {
      const first = await startAzurite({ location: dir });
      const table = () =>
        TableClient.fromConnectionString(first.connectionString, 'persisted', {
          allowInsecureConnection: true,
        });
      await table().createTable();
      await table().upsertEntity({ partitionKey: 'p', rowKey: 'r', value: 42 });
      await first.stop();

      const second = await startAzurite({ location: dir });
      try {
        const again = TableClient.fromConnectionString(second.connectionString, 'persisted', {
          allowInsecureConnection: true,
        });
        expect((await again.getEntity<{ value: number }>('p', 'r')).value).toBe(42);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is not started when a connection string is configured', async () => {
    const target = await resolveStorage({
      env: { OPP_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' },
    });
    expect(target.connectionString).toBe('UseDevelopmentStorage=true');
    expect(target.azurite).toBeUndefined();
  });
});
