import { TableClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { checkRecordLayout } from './record-layout.js';
import { HTTP_CONFLICT, restStatus, toStorageError } from './storage-errors.js';

/** Table names opp uses (a prefix may be put in front; names must stay alphanumeric). */
export const TABLE_NAMES = {
  records: 'oppRecords',
  state: 'oppState',
  quarantine: 'oppQuarantine',
} as const;
/** Blob container for training snapshots. */
export const SNAPSHOT_CONTAINER = 'opp-snapshots';
/** SDK retries per storage call: few, so a storage outage fails the run quickly and clearly. */
const STORAGE_MAX_RETRIES = 2;

export interface StorageClientOptions {
  /** Prefix for table and container names (alphanumeric), e.g. to isolate tests. Default ''. */
  prefix?: string;
}

/** The table and blob clients of one storage account, with opp's names. */
export interface StorageClients {
  records: TableClient;
  state: TableClient;
  quarantine: TableClient;
  snapshots: ContainerClient;
}

/** Whether `connectionString` points at plain-http endpoints (Azurite), which the SDK must be told to allow. */
export function isInsecure(connectionString: string): boolean {
  return /(Endpoint=http:|DefaultEndpointsProtocol=http;|UseDevelopmentStorage=true)/i.test(connectionString);
}

/** Builds the clients (no I/O). */
export function createStorageClients(
  connectionString: string,
  options: StorageClientOptions = {},
): StorageClients {
  const prefix = options.prefix ?? '';
  const tableOptions = {
    allowInsecureConnection: isInsecure(connectionString),
    retryOptions: { maxRetries: STORAGE_MAX_RETRIES },
  };
  const table = (name: string) =>
    TableClient.fromConnectionString(connectionString, `${prefix}${name}`, tableOptions);
  const blobs = BlobServiceClient.fromConnectionString(connectionString, {
    retryOptions: { maxTries: STORAGE_MAX_RETRIES + 1 },
  });
  return {
    records: table(TABLE_NAMES.records),
    state: table(TABLE_NAMES.state),
    quarantine: table(TABLE_NAMES.quarantine),
    snapshots: blobs.getContainerClient(`${prefix.toLowerCase()}${SNAPSHOT_CONTAINER}`),
  };
}

/**
 * Creates the tables and the container if missing (idempotent: "already exists" is success),
 * then checks the record table's partition layout (see {@link checkRecordLayout}).
 *
 * @throws RecordLayoutError when the record table was written with another layout.
 */
export async function ensureStorage(clients: StorageClients): Promise<void> {
  // Each create on its own: one existing table must not skip creating the others.
  const ignoreExisting = (error: unknown) => {
    if (restStatus(error) !== HTTP_CONFLICT)
      throw toStorageError(error, 'creating the tables and the snapshot container');
  };
  await Promise.all([
    clients.records.createTable().catch(ignoreExisting),
    clients.state.createTable().catch(ignoreExisting),
    clients.quarantine.createTable().catch(ignoreExisting),
    clients.snapshots.createIfNotExists().catch(ignoreExisting),
  ]);
  await checkRecordLayout(clients.records, clients.state);
}
