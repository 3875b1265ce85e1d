/**
 * `npm run bench:ingest`: end-to-end ingest rate (sample source over HTTP → Azurite) beside the
 * raw Azurite batch-upsert rate of the same entities, measured in the same run, then the
 * backfill rate. Options: --records N (default 100,000), --backfill-records N (default: same),
 * --concurrency N (backfill windows, default 4), --in-memory (Azurite without disk persistence).
 * `--backfill N` runs only a backfill of N records and prints its rate every 100,000 records
 * on stderr, so a slowdown as the table grows shows. Prints one JSON document on stdout.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compileFeatureSpec } from '../../pipeline/features/compile-spec.js';
import { loadFeatureSpec } from '../../pipeline/features/feature-spec.js';
import type { IngestContext } from '../../pipeline/ingestion/ingest-window.js';
import { runBackfill } from '../../pipeline/ingestion/run-backfill.js';
import { runIngest } from '../../pipeline/ingestion/run-ingest.js';
import { IndexClient } from '../../pipeline/sources/IndexClient.js';
import { RecordApiClient } from '../../pipeline/sources/RecordApiClient.js';
import { SampleSource } from '../../pipeline/sources/SampleSource.js';
import {
  type SampleSourceServer,
  startSampleSourceServer,
} from '../../pipeline/sources/sample-source-server.js';
import { startAzurite } from '../../pipeline/storage/azurite.js';
import { BatchWriter } from '../../pipeline/storage/BatchWriter.js';
import { keptRecord, RECORD_PARTITIONS, toRecordEntity } from '../../pipeline/storage/record-rows.js';
import {
  createStorageClients,
  ensureStorage,
  type StorageClients,
} from '../../pipeline/storage/storage-clients.js';
import { defaultConfigPath } from '../../pipeline/util/package-root.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    'backfill-records': { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    'in-memory': { type: 'boolean', default: false },
    backfill: { type: 'string' },
  },
});
/** Backfill-only mode: records to backfill. */
const BACKFILL_ONLY = values.backfill === undefined ? undefined : Number(values.backfill);
/** Records between progress lines in backfill-only mode. */
const PROGRESS_STEP = 100_000;
const RECORDS = Number(values.records);
const BACKFILL_RECORDS = Number(values['backfill-records'] ?? values.records);
const CONCURRENCY = Number(values.concurrency);
/** Azurite without its periodic save to disk, to tell Azurite's persistence cost from ours. */
const IN_MEMORY = values['in-memory'] === true;
const FROM = new Date('2020-01-01T00:00:00Z');
const TO = new Date('2027-01-01T00:00:00Z');

const spec = compileFeatureSpec(loadFeatureSpec(defaultConfigPath('features.json')));
const note = (line: string) => process.stderr.write(`${line}\n`);

function context(server: SampleSourceServer, storage: StorageClients): IngestContext {
  return {
    index: new IndexClient({ endpoint: server.url, indexName: 'records', apiKey: server.apiKey }),
    recordApi: new RecordApiClient({ url: server.recordApiUrl, key: server.functionsKey }),
    storage,
    spec,
  };
}

async function fresh(connectionString: string, prefix: string): Promise<StorageClients> {
  const storage = createStorageClients(connectionString, { prefix });
  await ensureStorage(storage);
  return storage;
}

/**
 * Each phase gets a fresh Azurite (data on disk, as `opp` runs it): Azurite re-saves its whole
 * store every few seconds, so a store already holding an earlier phase's rows would slow the
 * next phase and skew the comparison.
 */
async function withAzurite<T>(phase: (connectionString: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'opp-bench-'));
  const azurite = await startAzurite({ location: dir, inMemory: IN_MEMORY });
  try {
    return await phase(azurite.connectionString);
  } finally {
    await azurite.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Backfill window size for `records` sample records (spread over 2021-2025): about 5,000 each. */
function windowMsFor(records: number): number {
  return Math.max(86_400_000, Math.round((5 * 365.25 * 86_400_000 * 5000) / records));
}

if (BACKFILL_ONLY !== undefined) {
  note(`generating ${BACKFILL_ONLY} sample records…`);
  const source = SampleSource.fromSample({ n: BACKFILL_ONLY, seed: 2 });
  const server = await startSampleSourceServer(source);
  const windowMs = windowMsFor(BACKFILL_ONLY);
  note(
    `backfill of ${BACKFILL_ONLY} records, ${CONCURRENCY} windows at once, ${RECORD_PARTITIONS} partitions, Azurite ${IN_MEMORY ? 'in memory' : 'on disk'}…`,
  );
  const steps: { listed: number; stored: number; seconds: number; stepPerSecond: number; load1: number }[] =
    [];
  let started = 0;
  let last = { listed: 0, at: 0 };
  const backfill = await withAzurite(async (connectionString) => {
    const storage = await fresh(connectionString, 'benchbackfill');
    started = performance.now();
    last = { listed: 0, at: started };
    return runBackfill(context(server, storage), FROM, TO, {
      concurrency: CONCURRENCY,
      windowMs,
      onProgress: ({ listed, stored }) => {
        if (listed - last.listed < PROGRESS_STEP) return;
        const now = performance.now();
        const step = {
          listed,
          stored,
          seconds: round((now - started) / 1000),
          stepPerSecond: Math.round((listed - last.listed) / ((now - last.at) / 1000)),
          load1: round(loadavg()[0]!),
        };
        steps.push(step);
        note(`  ${JSON.stringify(step)}`);
        last = { listed, at: now };
      },
    });
  });
  await server.stop();
  process.stdout.write(
    `${JSON.stringify(
      {
        node: process.version,
        cpus: cpus().length,
        loadAverage: round(loadavg()[0]!),
        azuriteInMemory: IN_MEMORY,
        partitions: RECORD_PARTITIONS,
        backfill: {
          records: backfill.stats.listed,
          windows: backfill.windows,
          windowDays: round(windowMs / 86_400_000),
          concurrency: CONCURRENCY,
          seconds: round(backfill.seconds),
          perSecond: Math.round(backfill.stats.listed / backfill.seconds),
          rowsPerTransaction: round(backfill.writes.rows / backfill.writes.transactions),
        },
        steps,
      },
      null,
      2,
    )}\n`,
  );
} else {
  note(`generating ${RECORDS} sample records…`);
  const source = SampleSource.fromSample({ n: RECORDS, seed: 1 });
  const server = await startSampleSourceServer(source);

  // Raw: the entities ingest would write, upserted straight from memory.
  const entities = source.all().flatMap((doc) => {
    const result = spec.extract(doc.record);
    if (result.status !== 'kept') return [];
    const meta = {
      specHash: spec.hash,
      modified: new Date(doc.modified).toISOString(),
      indexId: doc.indexId,
    };
    return [toRecordEntity(keptRecord(result.row, { ...meta, payload: doc.record }))];
  });
  note(`raw batch upsert of ${entities.length} entities…`);
  const rawSeconds = await withAzurite(async (connectionString) => {
    const raw = await fresh(connectionString, 'benchraw');
    const started = performance.now();
    const writer = new BatchWriter(raw.records);
    for (const entity of entities) await writer.add(entity);
    await writer.flush();
    return (performance.now() - started) / 1000;
  });
  const rawRate = entities.length / rawSeconds;
  note(`  ${Math.round(rawRate)} entities/s (${rawSeconds.toFixed(1)} s)`);

  note(`end-to-end ingest of ${RECORDS} records…`);
  const e2e = await withAzurite(async (connectionString) =>
    runIngest(context(server, await fresh(connectionString, 'benchingest')), { now: () => TO, lagMs: 0 }),
  );
  const e2eRate = e2e.stats.listed / e2e.seconds;
  note(`  ${Math.round(e2eRate)} records/s (${e2e.seconds.toFixed(1)} s)`);
  await server.stop();

  let backfillSource = source;
  if (BACKFILL_RECORDS !== RECORDS) {
    note(`generating ${BACKFILL_RECORDS} sample records for the backfill…`);
    backfillSource = SampleSource.fromSample({ n: BACKFILL_RECORDS, seed: 2 });
  }
  const backfillServer = await startSampleSourceServer(backfillSource);
  const WINDOW_MS = windowMsFor(BACKFILL_RECORDS);
  note(`backfill of ${BACKFILL_RECORDS} records, ${CONCURRENCY} windows at once…`);
  const backfill = await withAzurite(async (connectionString) =>
    runBackfill(context(backfillServer, await fresh(connectionString, 'benchbackfill')), FROM, TO, {
      concurrency: CONCURRENCY,
      windowMs: WINDOW_MS,
    }),
  );
  const backfillRate = backfill.stats.listed / backfill.seconds;
  await backfillServer.stop();

  process.stdout.write(
    `${JSON.stringify(
      {
        node: process.version,
        cpus: cpus().length,
        // Other work on the machine skews every figure: the 1-minute load average at the end.
        loadAverage: round(loadavg()[0]!),
        records: RECORDS,
        azuriteInMemory: IN_MEMORY,
        partitions: RECORD_PARTITIONS,
        rawUpsert: { entities: entities.length, seconds: round(rawSeconds), perSecond: Math.round(rawRate) },
        endToEnd: {
          records: e2e.stats.listed,
          seconds: round(e2e.seconds),
          perSecond: Math.round(e2eRate),
          ofRawRate: round(e2eRate / rawRate),
        },
        backfill: {
          records: backfill.stats.listed,
          windows: backfill.windows,
          windowDays: round(WINDOW_MS / 86_400_000),
          concurrency: CONCURRENCY,
          seconds: round(backfill.seconds),
          perSecond: Math.round(backfillRate),
          rowsPerTransaction: round(backfill.writes.rows / backfill.writes.transactions),
          projectedSecondsFor1M: Math.round(1_000_000 / backfillRate),
        },
      },
      null,
      2,
    )}\n`,
  );
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
