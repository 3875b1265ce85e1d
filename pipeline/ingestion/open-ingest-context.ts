import { ConfigError } from '../errors/ConfigError.js';
import { compileFeatureSpec } from '../features/compile-spec.js';
import { loadFeatureSpec } from '../features/feature-spec.js';
import { IndexClient } from '../sources/IndexClient.js';
import { RecordApiClient } from '../sources/RecordApiClient.js';
import { SampleSource } from '../sources/SampleSource.js';
import { startSampleSourceServer } from '../sources/sample-source-server.js';
import { resolveStorage } from '../storage/resolve-storage.js';
import { createStorageClients } from '../storage/storage-clients.js';
import type { IngestContext } from './ingest-window.js';

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

/** How to reach the source and write the tables (`opp ingest`'s options, the ingest action's inputs). */
export interface IngestSourceOptions {
  spec: string;
  fetchConcurrency: number;
  writeConcurrency: number;
  pageSize: number;
  requestTimeout: number;
  sampleRecords: number;
  sampleSeed: number;
}

/** Where progress notes for people go (stderr for the CLI, the step log for an action). */
export interface ProgressNotes {
  note(line: string): void;
}

/** An ingest context over the configured (or local) source and storage; close() stops what it started. */
export async function openIngestContext(
  opts: IngestSourceOptions,
  output: ProgressNotes,
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
