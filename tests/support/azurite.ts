import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  generateAccountSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { afterAll, beforeAll } from 'vitest';
import { type AzuriteInstance, DEV_ACCOUNT, DEV_KEY, startAzurite } from '../../pipeline/storage/azurite.js';
import {
  createStorageClients,
  ensureStorage,
  type StorageClients,
} from '../../pipeline/storage/storage-clients.js';

let counter = 0;

/** A fresh alphanumeric prefix, so each test gets its own tables in the shared Azurite. */
export function uniquePrefix(): string {
  counter += 1;
  return `t${process.pid}x${counter}x${Math.random().toString(36).slice(2, 8)}`;
}

export interface TestAzurite {
  /** The running Azurite (valid inside tests). */
  readonly instance: AzuriteInstance;
  /** Tables and container under a fresh prefix, created. */
  freshStorage(): Promise<{ prefix: string; clients: StorageClients }>;
}

/** Starts one in-memory Azurite for the calling test file and stops it (SIGTERM) after. */
export function useAzurite(): TestAzurite {
  let instance: AzuriteInstance | undefined;
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'opp-azurite-'));
    instance = await startAzurite({ location: dir, inMemory: true });
  });
  afterAll(async () => {
    await instance?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    get instance() {
      if (!instance) throw new Error('Azurite is not running (use it inside a test)');
      return instance;
    },
    async freshStorage() {
      const prefix = uniquePrefix();
      const clients = createStorageClients(this.instance.connectionString, { prefix });
      await ensureStorage(clients);
      return { prefix, clients };
    },
  };
}

/**
 * A connection string to `instance` that may only read and list (an account SAS with `rl` on
 * blobs and tables): what pr.yml's header advises for its storage secret.
 */
export function readOnlyConnectionString(instance: AzuriteInstance): string {
  const sas = generateAccountSASQueryParameters(
    {
      expiresOn: new Date(Date.now() + 3_600_000),
      permissions: AccountSASPermissions.parse('rl'),
      services: AccountSASServices.parse('bt').toString(),
      resourceTypes: AccountSASResourceTypes.parse('sco').toString(),
    },
    new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY),
  ).toString();
  return `BlobEndpoint=${instance.blobEndpoint};TableEndpoint=${instance.tableEndpoint};SharedAccessSignature=${sas}`;
}
