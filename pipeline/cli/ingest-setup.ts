import type { Command } from 'commander';
import {
  type IngestSourceOptions,
  SOURCE_ENV,
  STORAGE_PREFIX_ENV,
} from '../ingestion/open-ingest-context.js';
import { resolveStorage } from '../storage/resolve-storage.js';
import { createStorageClients, type StorageClients } from '../storage/storage-clients.js';
import { defaultConfigPath } from '../util/package-root.js';
import { duration, wholeNumber } from './options.js';

export interface SourceCliOptions extends IngestSourceOptions {
  json?: boolean;
}

/** Adds the options every command that reads the source shares. */
export function addSourceOptions(command: Command): Command {
  return command
    .option('--spec <file>', 'feature spec', defaultConfigPath('features.json'))
    .option('--fetch-concurrency <n>', 'record API calls in flight', wholeNumber(1), 8)
    .option('--write-concurrency <n>', 'table transactions in flight', wholeNumber(1), 8)
    .option('--page-size <n>', 'index results per page (≤ 1000)', wholeNumber(1), 1000)
    .option('--request-timeout <duration>', 'timeout of one source request', duration, 30_000)
    .option(
      '--sample-records <n>',
      `records of the local sample source (when ${SOURCE_ENV.indexEndpoint} is unset)`,
      wholeNumber(0),
      10_000,
    )
    .option('--sample-seed <n>', 'seed of the local sample source', wholeNumber(0), 1)
    .option('--json', 'print one JSON result on stdout');
}

/**
 * Runs `use` on the storage tables (OPP_STORAGE_CONNECTION_STRING, else a local Azurite started
 * for the call) under OPP_STORAGE_PREFIX, then releases them: for commands that read what
 * ingestion stored (`opp snapshot`, `opp quarantine`).
 */
export async function withStoredData<T>(use: (storage: StorageClients) => Promise<T>): Promise<T> {
  const target = await resolveStorage();
  try {
    return await use(
      createStorageClients(target.connectionString, { prefix: process.env[STORAGE_PREFIX_ENV] ?? '' }),
    );
  } finally {
    await target.close();
  }
}
