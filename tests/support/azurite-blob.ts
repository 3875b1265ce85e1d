import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageSharedKeyCredential } from '@azure/storage-blob';
import { DEV_ACCOUNT, DEV_KEY, startAzurite } from '../../pipeline/storage/azurite.js';

/** Azurite's well-known development account. */
export const AZURITE_ACCOUNT = DEV_ACCOUNT;
export const AZURITE_KEY = DEV_KEY;

export interface AzuriteBlob {
  /** Blob service URL, e.g. http://127.0.0.1:12345/devstoreaccount1 */
  url: string;
  credential: StorageSharedKeyCredential;
  stop(): Promise<void>;
}

/** Azurite for tests that use blobs with a shared-key credential (the Azure ML datastore's view). */
export async function startAzuriteBlob(): Promise<AzuriteBlob> {
  const location = await mkdtemp(join(tmpdir(), 'opp-azurite-'));
  const azurite = await startAzurite({ location, loose: true });
  return {
    url: azurite.blobEndpoint,
    credential: new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    async stop() {
      await azurite.stop();
      await rm(location, { recursive: true, force: true });
    },
  };
}
