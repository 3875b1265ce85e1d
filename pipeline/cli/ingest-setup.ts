import type { Command } from 'commander';
import { ConfigError } from '../errors/ConfigError.js';
import { compileFeatureSpec } from '../features/compile-spec.js';
import { loadFeatureSpec } from '../features/feature-spec.js';
import type { IngestContext } from '../ingestion/ingest-window.js';
import { IndexClient } from '../sources/IndexClient.js';
import { RecordApiClient } from '../sources/RecordApiClient.js';
import { SampleSource } from '../sources/SampleSource.js';
import { startSampleSourceServer } from '../sources/sample-source-server.js';
import { resolveStorage } from '../storage/resolve-storage.js';
import { createStorageClients, type StorageClients } from '../storage/storage-clients.js';
import { defaultConfigPath } from '../util/package-root.js';
import { duration, wholeNumber } from './options.js';
import type { Output } from './output.js';

/** Env vars naming the production source; without OPP_INDEX_ENDPOINT opp serves sample records. */
export const SOURCE_ENV = {
  indexEndpoint: 'OPP_INDEX_ENDPOINT',
  indexName: 'OPP_INDEX_NAME',
  indexApiKey: 'OPP_INDEX_API_KEY',
  recordApiUrl: 'OPP_RECORD_API_URL',
  recordApiKey: 'OPP_RECORD_API_KEY',
} as const;
/** Env var: prefix of opp's table and container names (isolates environments sharing an account). */
export const STORAGE_PREFIX_ENV = 'OPP_STORAGE_PREFIX';

export interface SourceCliOptions {
  spec: string;
  fetchConcurrency: number;
  writeConcurrency: number;
  pageSize: number;
  requestTimeout: number;
  sampleRecords: number;
  sampleSeed: number;
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

/** An ingest context over the configured (or local) source and storage; close() stops what it started. */
export async function openIngestContext(
  opts: SourceCliOptions,
  output: Output,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ context: IngestContext; close: () => Promise<void> }> {
  const spec = compileFeatureSpec(loadFeatureSpec(opts.spec));
  const retry = { timeoutMs: opts.requestTimeout };
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    let index: IndexClient;
    let recordApi: RecordApiClient;
    const endpoint = env[SOURCE_ENV.indexEndpoint];
    if (endpoint) {
      const need = (name: string) => {
        const value = env[name];
        if (!value) throw new ConfigError(`${name} must be set when ${SOURCE_ENV.indexEndpoint} is`);
        return value;
      };
      index = new IndexClient({
        endpoint,
        indexName: env[SOURCE_ENV.indexName] || 'records',
        apiKey: need(SOURCE_ENV.indexApiKey),
        pageSize: Math.min(opts.pageSize, 1000),
        retry,
      });
      recordApi = new RecordApiClient({
        url: need(SOURCE_ENV.recordApiUrl),
        key: need(SOURCE_ENV.recordApiKey),
        retry,
      });
    } else {
      const server = await startSampleSourceServer(
        SampleSource.fromSample({ n: opts.sampleRecords, seed: opts.sampleSeed }),
      );
      closers.push(() => server.stop());
      output.note(
        `serving ${opts.sampleRecords} sample records at ${server.url} (set ${SOURCE_ENV.indexEndpoint} for a real source)`,
      );
      index = new IndexClient({
        endpoint: server.url,
        indexName: 'records',
        apiKey: server.apiKey,
        pageSize: Math.min(opts.pageSize, 1000),
        retry,
      });
      recordApi = new RecordApiClient({ url: server.recordApiUrl, key: server.functionsKey, retry });
    }
    const target = await resolveStorage({ env });
    closers.push(() => target.close());
    if (target.azurite) output.note(`started Azurite (pid ${target.azurite.pid}) for storage`);
    const storage = createStorageClients(target.connectionString, { prefix: env[STORAGE_PREFIX_ENV] ?? '' });
    return {
      context: {
        index,
        recordApi,
        storage,
        spec,
        fetchConcurrency: opts.fetchConcurrency,
        writeConcurrency: opts.writeConcurrency,
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
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
