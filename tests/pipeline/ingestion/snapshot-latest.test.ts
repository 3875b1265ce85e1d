import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isStorageError } from '../../../pipeline/errors/StorageError.js';
import {
  downloadLatestSnapshot,
  listSnapshots,
  snapshotBlobName,
} from '../../../pipeline/ingestion/snapshot.js';
import { createStorageClients } from '../../../pipeline/storage/storage-clients.js';
import { useAzurite } from '../../support/azurite.js';

const azurite = useAzurite();

/** Stores `csv` as a snapshot blob made with spec `specHash`; its id. */
async function store(
  container: ReturnType<typeof createStorageClients>['snapshots'],
  csv: string,
  specHash: string,
) {
  const id = createHash('sha256').update(csv).digest('hex');
  await container
    .getBlockBlobClient(snapshotBlobName(id))
    .uploadData(Buffer.from(csv), { metadata: { spechash: specHash, rows: '1' } });
  return id;
}

describe('opp snapshot --latest (listSnapshots, downloadLatestSnapshot)', () => {
  it('downloads the newest snapshot of the spec asked for, ignoring other specs and other blobs', async () => {
    const { clients } = await azurite.freshStorage();
    const older = await store(clients.snapshots, 'a\n1\n', 'spec-a');
    await new Promise((done) => setTimeout(done, 1100)); // last-modified has whole seconds
    const newer = await store(clients.snapshots, 'a\n2\n', 'spec-a');
    await new Promise((done) => setTimeout(done, 1100));
    const otherSpec = await store(clients.snapshots, 'b\n3\n', 'spec-b');
    await clients.snapshots.getBlockBlobClient('notes.txt').uploadData(Buffer.from('not a snapshot'));

    expect((await listSnapshots(clients.snapshots)).map((s) => s.snapshotId)).toEqual([
      otherSpec,
      newer,
      older,
    ]);
    const latest = await downloadLatestSnapshot(clients.snapshots, 'spec-a');
    expect(latest).toMatchObject({ snapshotId: newer, csv: 'a\n2\n', specHash: 'spec-a', rows: 1 });
  }, 30_000);

  it('fails with 404 naming the spec when no snapshot was made with it, also without a container', async () => {
    const { clients } = await azurite.freshStorage();
    await store(clients.snapshots, 'b\n3\n', 'spec-b');
    const error = await downloadLatestSnapshot(clients.snapshots, 'spec-a-hash-value').catch(
      (e: unknown) => e,
    );
    expect(isStorageError(error) && error.statusCode).toBe(404);
    expect((error as Error).message).toMatch(
      /no snapshot made with feature spec spec-a-hash- .*\(1 with other specs\)/,
    );
    const none = createStorageClients(azurite.instance.connectionString, { prefix: 'nocontainer' });
    expect(await listSnapshots(none.snapshots)).toEqual([]);
  });
});
